#include "replace/target_resolution.hpp"

#include <cerrno>

#include "atomfile/error.hpp"
#include "detail/temp_support.hpp"
#include "replace/steps.hpp"

namespace atomfile::replace {
namespace {

constexpr int max_symlink_hops = 40;  // Linux's own limit for one path lookup
constexpr unsigned sticky_bit = 01000;
constexpr unsigned world_writable = 0002;

// Splits "a/b/c" into "a/b" and "c"; a bare name lives in ".".
void split(const std::string& path, std::string& directory, std::string& name) {
    std::size_t slash = path.rfind('/');
    if (slash == std::string::npos) {
        directory = ".";
        name = path;
        return;
    }
    directory = slash == 0 ? "/" : path.substr(0, slash);
    name = path.substr(slash + 1);
}

// The path a symlink at directory/name points to, relative links taken from that directory.
std::string follow_link(const Target& target) {
    std::string destination;
    if (platform::read_link_at(target.dir.get(), target.name.c_str(), destination) != 0)
        throw_errno(step::resolve, target.path);
    if (!destination.empty() && destination.front() == '/') return destination;
    return detail::join_path(target.directory, destination);
}

// A directory we may write but not read (0733, like a drop box) can still hold the temp: the
// shell's `>` works there, so we do too, through an O_PATH descriptor.
void open_directory_of(Target& target) {
    const char* directory = target.directory.c_str();
    target.dir.reset(platform::open_directory(platform::current_directory, directory));
    if (!target.dir && errno == EACCES) {
        target.dir.reset(platform::open_directory_path(platform::current_directory, directory));
        target.dir_path_only = static_cast<bool>(target.dir);
    }
    if (!target.dir) throw_errno(step::open_directory, target.path);
}

// Opens the directory of `path` and looks at its final name.
Target open_step(const std::string& path) {
    Target target;
    split(path, target.directory, target.name);
    target.path = path;
    if (target.name.empty() || target.name == "." || target.name == "..")
        throw_error(EISDIR, step::resolve, path);
    open_directory_of(target);
    target.status = stat_target(target);
    return target;
}

// The kernel's fs.protected_symlinks rule (see the header): a link someone else planted in a
// sticky world-writable directory such as /tmp must not steer where we write.
void check_may_follow(const Target& link) {
    platform::FileStatus directory;
    if (platform::stat_fd(link.dir.get(), directory) != 0) throw_errno(step::resolve, link.path);
    bool shared = (directory.mode & sticky_bit) && (directory.mode & world_writable);
    unsigned owner = link.status->uid;
    if (!shared || owner == platform::current_uid() || owner == directory.uid) return;
    throw_error(EACCES, step::resolve, link.path,
                "symlink owned by uid " + std::to_string(owner) +
                    " in a sticky world-writable directory owned by uid " +
                    std::to_string(directory.uid) + ": not followed (protected_symlinks)");
}

}  // namespace

bool same_inode(const platform::FileStatus& a, const platform::FileStatus& b) {
    return a.device == b.device && a.inode == b.inode;
}

std::optional<platform::FileStatus> stat_target(const Target& target) {
    platform::FileStatus status;
    if (platform::stat_at(target.dir.get(), target.name.c_str(), status, false) == 0) return status;
    if (errno == ENOENT) return std::nullopt;
    throw_errno(step::resolve, target.path);
}

Target resolve_target(const std::string& path, const ReplaceOptions& options) {
    if (path.empty()) throw_error(ENOENT, step::resolve, path);
    Target target = open_step(path);
    std::vector<platform::FileStatus> links;
    for (int hops = 0; options.follow_symlinks && target.status &&
                       target.status->type == platform::FileType::symlink;
         ++hops) {
        if (hops == max_symlink_hops) throw_error(ELOOP, step::resolve, path);
        if (options.protected_symlinks) check_may_follow(target);
        links.push_back(*target.status);
        target = open_step(follow_link(target));
    }
    target.links_followed = std::move(links);
    return target;
}

Target resolve_target(const std::string& path, bool follow) {
    ReplaceOptions options;
    options.follow_symlinks = follow;
    return resolve_target(path, options);
}

}  // namespace atomfile::replace
