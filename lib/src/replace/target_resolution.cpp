#include "replace/target_resolution.hpp"

#include <cerrno>

#include "atomfile/error.hpp"
#include "replace/steps.hpp"

namespace atomfile::replace {
namespace {

constexpr int max_symlink_hops = 40;  // Linux's own limit for one path lookup

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

std::string join(const std::string& directory, const std::string& name) {
    if (directory == "/") return "/" + name;
    return directory + "/" + name;
}

// The path a symlink at directory/name points to, relative links taken from that directory.
std::string follow_link(const Target& target) {
    std::string destination;
    if (platform::read_link_at(target.dir.get(), target.name.c_str(), destination) != 0)
        throw_errno(step::resolve, target.path);
    if (!destination.empty() && destination.front() == '/') return destination;
    return join(target.directory, destination);
}

// Opens the directory of `path` and looks at its final name.
Target open_step(const std::string& path) {
    Target target;
    split(path, target.directory, target.name);
    target.path = path;
    if (target.name.empty() || target.name == "." || target.name == "..")
        throw_error(EISDIR, step::resolve, path);
    target.dir.reset(
        platform::open_directory(platform::current_directory, target.directory.c_str()));
    if (!target.dir) throw_errno(step::open_directory, path);
    target.status = stat_target(target);
    return target;
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

Target resolve_target(const std::string& path, bool follow) {
    if (path.empty()) throw_error(ENOENT, step::resolve, path);
    Target target = open_step(path);
    for (int hops = 0;
         follow && target.status && target.status->type == platform::FileType::symlink; ++hops) {
        if (hops == max_symlink_hops) throw_error(ELOOP, step::resolve, path);
        target = open_step(follow_link(target));
    }
    return target;
}

}  // namespace atomfile::replace
