#include "replace/target_resolution.hpp"

#include <cerrno>
#include <deque>

#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "replace/steps.hpp"
#include "transaction/covering.hpp"

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

// The components of a path, without the empty and "." ones (which name the same directory).
// ".." stays: only the walk knows which directory it leads to.
std::deque<std::string> components_of(const std::string& path) {
    std::deque<std::string> components;
    std::size_t start = 0;
    while (start <= path.size()) {
        std::size_t slash = path.find('/', start);
        if (slash == std::string::npos) slash = path.size();
        std::string component = path.substr(start, slash - start);
        if (!component.empty() && component != ".") components.push_back(std::move(component));
        start = slash + 1;
    }
    return components;
}

// A path whose last component names a directory ("dir/", ".", "..") cannot be replaced by a file.
void require_file_name(const std::string& path, const std::string& where) {
    std::string directory, name;
    split(path, directory, name);
    if (name.empty() || name == "." || name == "..") throw_error(EISDIR, step::resolve, where);
}

bool is_shared(const platform::FileStatus& directory) {
    return (directory.mode & sticky_bit) && (directory.mode & world_writable);
}

// The kernel's fs.protected_symlinks rule (see the header): a link someone else planted in a
// sticky world-writable directory such as /tmp must not steer where we write.
void check_may_follow(const platform::FileStatus& link, const platform::FileStatus& directory,
                      const std::string& link_path) {
    unsigned owner = link.uid;
    if (!is_shared(directory) || owner == platform::current_uid() || owner == directory.uid) return;
    throw_error(EACCES, step::resolve, link_path,
                "symlink owned by uid " + std::to_string(owner) +
                    " in a sticky world-writable directory owned by uid " +
                    std::to_string(directory.uid) + ": not followed (protected_symlinks)");
}

// The kernel's fs.protected_regular rule (see the header): a file another user created in a
// sticky world-writable directory must not receive our content, which would then be theirs.
void check_may_replace(const Target& target, const platform::FileStatus& directory) {
    const platform::FileStatus& file = *target.status;
    if (file.type != platform::FileType::regular || !is_shared(directory) ||
        file.uid == platform::current_uid() || file.uid == directory.uid)
        return;
    throw_error(EACCES, step::resolve, target.path,
                "owned by uid " + std::to_string(file.uid) +
                    " in a sticky world-writable directory: not replaced (protected_regular)");
}

// Resolves a path one component at a time, each opened relative to the directory before it with
// O_PATH|O_NOFOLLOW, so that every symlink is seen (in the directory part too), checked against
// the directory it sits in, and read through the descriptor that was checked: an attacker who
// swaps their own entries between two steps changes nothing we already decided on.
class Walk {
  public:
    Walk(const std::string& path, const ReplaceOptions& options, bool find_roots)
        : options_(options), find_roots_(find_roots), full_(path), rest_(components_of(path)) {
        here_ = open_start(!path.empty() && path.front() == '/');
    }

    Target run() {
        walk_to_final_name();
        for (;;) {
            Target target = examine(rest_.front());
            if (!target.status || target.status->type != platform::FileType::symlink ||
                !options_.follow_symlinks)
                return finish(std::move(target));
            // Read the link through a descriptor, so the link checked is the link read.
            FileDescriptor link(platform::open_path_no_follow(here_.get(), rest_.front().c_str()));
            platform::FileStatus status;
            if (!link || platform::stat_fd(link.get(), status) != 0)
                throw_errno(step::resolve, target.path);
            if (status.type != platform::FileType::symlink) {  // swapped since: look again
                count_hop();
                continue;
            }
            follow(link, status, pop(), true);
            walk_to_final_name();
        }
    }

  private:
    // lstat of a path relative to where the walk stands; false when it is missing or may not be
    // searched for.
    bool stat_above(const std::string& relative, platform::FileStatus& status) {
        if (platform::stat_at(here_.get(), relative.c_str(), status, false) == 0) return true;
        if (errno == ENOENT || errno == EACCES) return false;
        throw_errno(step::resolve, full_);
    }

    // A directory of the chain: a covering root when a trusted staging directory was there.
    struct Level {
        CoveringRoot root;
        std::uint64_t device = 0;  // the staging directory's
    };

    // The directory the walk stands in, as text for messages: "" is the working directory.
    std::string here_text() const { return here_path_.empty() ? "." : here_path_; }

    std::string pop() {
        std::string component = std::move(rest_.front());
        rest_.pop_front();
        return component;
    }

    void walk_to_final_name() {
        while (rest_.size() > 1) enter(pop());
    }

    void count_hop() {
        if (++hops_ > max_symlink_hops) throw_error(ELOOP, step::resolve, full_);
    }

    FileDescriptor open_start(bool absolute) {
        here_path_ = absolute ? "/" : "";
        here_status_.reset();
        FileDescriptor dir(
            platform::open_path_no_follow(platform::current_directory, absolute ? "/" : "."));
        if (!dir) throw_errno(step::open_directory, full_);
        chain_.clear();
        chain_from_root_ = absolute;
        if (find_roots_) chain_.push_back(look(dir.get(), here_text()));
        return dir;
    }

    // Steps into directory `name` (".." is the physical parent of where we stand, as in the
    // kernel), or splices in the link found there.
    void enter(const std::string& name) {
        FileDescriptor next(platform::open_path_no_follow(here_.get(), name.c_str()));
        platform::FileStatus status;
        if (!next || platform::stat_fd(next.get(), status) != 0)
            throw_errno(step::open_directory, full_);
        if (status.type == platform::FileType::symlink) return follow(next, status, name, false);
        if (status.type != platform::FileType::directory)
            throw_error(ENOTDIR, step::open_directory, full_);
        here_path_ = here_path_.empty() ? name : detail::join_path(here_path_, name);
        if (find_roots_) extend_chain(name, next.get());
        here_ = std::move(next);
        here_status_ = status;
    }

    // The transaction root `dir` may be: a Level holding it when it has a staging directory
    // recover() would trust, an empty one otherwise. Every directory looked at here is one the
    // walk passes through or writes in: an error is not taken for "none there".
    Level look(int dir, const std::string& dir_path) {
        Level level;
        platform::FileStatus staging;
        if (platform::stat_at(dir, transaction::staging_directory_name(), staging, false) != 0) {
            if (errno != ENOENT) throw_errno(step::resolve, full_);
            return level;
        }
        if (!transaction::trusted_staging(staging)) return level;  // another user's: ignored
        level.root.dir.reset(platform::duplicate(dir));
        if (!level.root.dir) throw_errno(step::resolve, full_);
        level.root.path = dir_path;
        level.device = staging.device;
        return level;
    }

    // Keeps chain_ the physical ancestry of the directory just entered (open as dir): ".." goes
    // back one level; above the directory the walk started in, the chain starts again there.
    void extend_chain(const std::string& name, int dir) {
        if (name != "..") return chain_.push_back(look(dir, here_text()));
        if (chain_.size() > 1) return chain_.pop_back();
        if (chain_from_root_) return;  // "/.." is "/"
        chain_.clear();
        chain_.push_back(look(dir, here_text()));
    }

    // The status of the directory the walk stands in, read once (the rules need its owner).
    const platform::FileStatus& here_status() {
        if (!here_status_) {
            platform::FileStatus status;
            if (platform::stat_fd(here_.get(), status) != 0) throw_errno(step::resolve, full_);
            here_status_ = status;
        }
        return *here_status_;
    }

    // Follows the link `name` of the current directory, open as `link`: checks the rule, then
    // puts its destination in front of what is left to walk (from "/" when it is absolute).
    void follow(const FileDescriptor& link, const platform::FileStatus& status,
                const std::string& name, bool final) {
        const std::string link_path = detail::join_path(here_text(), name);
        count_hop();
        if (options_.protected_symlinks) check_may_follow(status, here_status(), link_path);
        std::string destination;
        if (platform::read_link_at(link.get(), "", destination) != 0)
            throw_errno(step::resolve, link_path);
        links_.push_back(status);
        bool absolute = !destination.empty() && destination.front() == '/';
        full_ = absolute ? destination : detail::join_path(here_text(), destination);
        if (final) require_file_name(destination, full_);
        for (const std::string& component : rest_) full_ += "/" + component;
        std::deque<std::string> spliced = components_of(destination);
        rest_.insert(rest_.begin(), spliced.begin(), spliced.end());
        if (absolute) here_ = open_start(true);
    }

    // The final name in the current directory, and its status when it exists.
    Target examine(const std::string& name) {
        Target target;
        target.path = full_;
        std::string ignored;
        split(full_, target.directory, ignored);
        target.name = name;
        platform::FileStatus status;
        if (platform::stat_at(here_.get(), name.c_str(), status, false) == 0)
            target.status = status;
        else if (errno != ENOENT)
            throw_errno(step::resolve, target.path);
        return target;
    }

    // Opens the final directory for reading where allowed. A directory we may write but not
    // read (0733, like a drop box) can still hold the temp: the shell's `>` works there, so we
    // do too, through the O_PATH descriptor the walk holds.
    Target finish(Target target) {
        if (options_.protected_regular && !options_.create_only && target.status &&
            target.status->type == platform::FileType::regular)
            check_may_replace(target, here_status());
        if (find_roots_) collect_roots(target);
        target.dir.reset(platform::open_directory(here_.get(), "."));
        if (!target.dir) {
            if (errno != EACCES) throw_errno(step::open_directory, target.path);
            target.dir = std::move(here_);
            target.dir_path_only = true;
        }
        target.links_followed = std::move(links_);
        return target;
    }

    // The roots found on the chain, nearest first, then those above the directory the walk
    // started in, which the walk did not pass (a relative path): only on the target's own file
    // system.
    void collect_roots(Target& target) {
        std::uint64_t device = 0;
        bool known = false;
        for (auto level = chain_.rbegin(); level != chain_.rend(); ++level) {
            if (!level->root.dir) continue;
            if (!known) device = here_status().device;
            known = true;
            if (level->device == device) target.covering.push_back(std::move(level->root));
        }
        if (!chain_from_root_) look_above_start(target);
    }

    // Each ancestor of the chain's first directory up to "/" or another file system, reached as
    // "../../.." from where the walk stands: its status (to know when to stop), then its
    // staging directory's. An ancestor the caller may not search (a working directory entered
    // before its parent was closed to us) ends the look: the caller could not take that root's
    // lock or read its journal either. Other errors are errors.
    void look_above_start(Target& target) {
        const std::uint64_t device = here_status().device;
        std::string up;
        for (std::size_t i = 1; i < chain_.size(); ++i) up += "../";
        platform::FileStatus below = here_status();
        if (!up.empty() && !stat_above(up, below)) return;
        for (;;) {
            up += "../";
            platform::FileStatus dir;
            if (up.size() > 3000 || !stat_above(up, dir) || same_inode(dir, below) ||
                dir.device != device)
                return;  // "/" reached (its ".." is itself), another file system, or closed
            below = dir;
            platform::FileStatus staging;
            if (!stat_above(up + transaction::staging_directory_name(), staging) ||
                !transaction::trusted_staging(staging) || staging.device != device)
                continue;
            CoveringRoot root{
                FileDescriptor(platform::open_path_no_follow(here_.get(), up.c_str())),
                detail::join_path(here_text(), up.substr(0, up.size() - 1))};
            if (!root.dir) throw_errno(step::resolve, full_);
            target.covering.push_back(std::move(root));
        }
    }

    const ReplaceOptions& options_;
    const bool find_roots_;
    // With find_roots_: the directories from chain_[0] (where the walk started, or "/" after an
    // absolute link) down to where it stands, each a parent of the next.
    std::vector<Level> chain_;
    bool chain_from_root_ = false;  // chain_[0] is "/": nothing above it
    std::string full_;  // the path as resolved so far (links replaced by their destinations)
    std::deque<std::string> rest_;  // components still to walk; the last is the final name
    FileDescriptor here_;           // O_PATH descriptor of the directory the walk stands in
    std::string here_path_;         // its path as walked
    std::optional<platform::FileStatus> here_status_;
    std::vector<platform::FileStatus> links_;
    int hops_ = 0;
};

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

Target resolve_target(const std::string& path, const ReplaceOptions& options, bool find_roots) {
    if (path.empty()) throw_error(ENOENT, step::resolve, path);
    require_file_name(path, path);
    return Walk(path, options, find_roots).run();
}

void recover_covering(Target& target, const ReplaceOptions& options) {
    bool changed = false;
    for (CoveringRoot& root : target.covering)
        changed |= transaction::recover_covering_root(root.dir.get(), root.path, target.path,
                                                      options) != Recovery::nothing;
    target.covering.clear();
    if (changed) target.status = stat_target(target);
}

Target resolve_target(const std::string& path, bool follow) {
    ReplaceOptions options;
    options.follow_symlinks = follow;
    return resolve_target(path, options);
}

}  // namespace atomfile::replace
