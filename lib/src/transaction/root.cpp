#include "transaction/root.hpp"

#include <algorithm>
#include <cerrno>
#include <utility>

#include "error_support.hpp"

namespace atomfile::transaction {

namespace {

constexpr unsigned sticky_bit = 01000;
constexpr unsigned world_writable = 0002;

StepWords with_reason(Step step, const std::string& reason) {
    return {step, std::string(step_text(step)) + " (" + reason + ")"};
}

bool sticky_shared(const platform::FileStatus& dir) {
    return (dir.mode & sticky_bit) && (dir.mode & world_writable);
}

// The root's path split into the directory holding it and its last component; an empty name
// when the last component is "." or ".." or there is none ("/"): no link to judge there.
std::pair<std::string, std::string> split_root(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const std::size_t slash = path.rfind('/');
    std::string parent = slash == std::string::npos ? "."
                         : slash == 0               ? "/"
                                                    : path.substr(0, slash);
    std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name == "." || name == ".." || name == "/") return {path, ""};
    return {parent, name};
}

// Opens the root's last component from its directory: a symlink only where the kernel's
// protected_symlinks rule would follow it, anything else without following, so that a link
// swapped in after the look is refused rather than followed.
int open_root_at(int parent_fd, const std::string& name, const std::string& path) {
    platform::FileStatus link, parent;
    if (platform::stat_at(parent_fd, name.c_str(), link, false) != 0)
        throw_errno(Step::open_root, path);
    if (link.type != platform::FileType::symlink)
        return platform::open_directory(parent_fd, name.c_str(), false);
    if (platform::stat_fd(parent_fd, parent) != 0) throw_errno(Step::open_root, path);
    const unsigned me = platform::current_uid();
    // A link of ours or of the directory's owner cannot be replaced by another user there.
    if (sticky_shared(parent) && link.uid != me && link.uid != parent.uid)
        throw_error(
            EACCES,
            with_reason(Step::open_root, "another user's symlink (uid " + std::to_string(link.uid) +
                                             ") in a sticky directory"),
            path);
    return platform::open_directory(parent_fd, name.c_str(), true);
}

bool trusted_owner(unsigned uid, const Root& root) {
    return uid == platform::current_uid() || uid == 0 || uid == root.status.uid;
}

// Opens the lock file, or -1 with errno; suspect is set for a file that is not to be used.
int open_lock(const Root& root, bool exclusive, bool& suspect) {
    suspect = false;
    int fd = exclusive ? platform::open_lock_file(root.fd.get(), lock_name, 0644)
                       : platform::open_existing_for_lock(root.fd.get(), lock_name, false);
    if (fd < 0) {
        suspect = errno == ELOOP;  // a symlink planted at the name
        return -1;
    }
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0) {
        platform::close_fd(fd);
        return -1;
    }
    suspect = status.type != platform::FileType::regular || status.link_count != 1 ||
              !trusted_owner(status.uid, root);
    if (!suspect) return fd;
    platform::close_fd(fd);
    return -1;
}

FileDescriptor open_lock_file(const Root& root, bool exclusive) {
    const std::string path = root.path + "/" + lock_name;
    for (int attempt = 0; attempt < 8; ++attempt) {
        bool suspect = false;
        int fd = open_lock(root, exclusive, suspect);
        if (fd >= 0) return FileDescriptor(fd);
        if (!suspect && !exclusive && errno == ENOENT) return {};
        if (!suspect) throw_errno(Step::lock_root, path);
        // Whoever may create names in a directory without the sticky bit may rename over our
        // files anyway: their file is simply replaced. In a sticky one we may not remove it.
        if (sticky_shared(root.status) || !exclusive)
            throw_error(EPERM, with_reason(Step::lock_root, "not a lock file of ours"), path);
        if (platform::unlink_file_at(root.fd.get(), lock_name) != 0 && errno != ENOENT)
            throw_errno(Step::lock_root, path);
    }
    throw_error(EAGAIN, Step::lock_root, path);
}

void check_not_mount(int parent_fd, int fd, const std::string& path, Step step) {
    int other = platform::is_other_mount(parent_fd, fd);
    if (other < 0) throw_errno(step, path);
    if (other == 1) throw_error(EXDEV, step, path);
}

// Opens one directory component, creating it when asked; invalid when missing.
FileDescriptor open_component(int parent_fd, const std::string& name, bool create,
                              const std::string& path, Step step, bool& made) {
    made = false;
    int fd = platform::open_directory(parent_fd, name.c_str(), false);
    if (fd < 0 && errno == ENOENT && create) {
        unsigned mode = 0777 & ~platform::current_umask();
        if (platform::make_directory_at(parent_fd, name.c_str(), mode) != 0 && errno != EEXIST)
            throw_errno(step, path);
        made = true;
        fd = platform::open_directory(parent_fd, name.c_str(), false);
    }
    if (fd < 0 && errno == ENOENT && !create) return {};
    platform::FileStatus status;
    if (fd < 0 && errno == ENOTDIR &&
        platform::stat_at(parent_fd, name.c_str(), status, false) == 0 &&
        status.type == platform::FileType::symlink)
        errno = ELOOP;  // O_DIRECTORY reports a symlink as ENOTDIR: say what it is
    if (fd < 0) throw_errno(step, path);
    FileDescriptor dir(fd);
    check_not_mount(parent_fd, fd, path, step);
    return dir;
}

}  // namespace

Root open_root(const std::string& path) {
    if (path.empty()) throw_error(ENOENT, Step::open_root, path);
    Root root;
    root.path = path;
    const auto [parent_path, name] = split_root(path);
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, parent_path.c_str(), true));
    if (!parent) throw_errno(Step::open_root, path);
    int fd =
        name.empty() ? platform::duplicate(parent.get()) : open_root_at(parent.get(), name, path);
    if (fd < 0) {
        int error = errno;
        platform::FileStatus now;  // O_DIRECTORY reports a symlink as ENOTDIR: say what it is
        if (error == ENOTDIR && platform::stat_at(parent.get(), name.c_str(), now, false) == 0 &&
            now.type == platform::FileType::symlink)
            error = ELOOP;
        throw_error(error, Step::open_root, path);
    }
    root.fd.reset(fd);
    if (platform::stat_fd(fd, root.status) != 0) throw_errno(Step::open_root, path);
    return root;
}

FileDescriptor lock_root(const Root& root, bool exclusive, std::chrono::milliseconds timeout) {
    FileDescriptor fd = open_lock_file(root, exclusive);
    if (!fd) return fd;
    long ms = timeout.count() < 0 ? -1 : static_cast<long>(timeout.count());
    int locked =
        exclusive ? platform::lock_exclusive(fd.get(), ms) : platform::lock_shared(fd.get(), ms);
    if (locked != 0) throw_errno(Step::lock_root, root.path + "/" + lock_name);
    return fd;
}

FileDescriptor open_parent(const Root& root, const std::vector<std::string>& parts, bool create,
                           Step step, std::vector<FileDescriptor>* created_in) {
    std::string path = root.path;
    FileDescriptor dir(platform::duplicate(root.fd.get()));
    if (!dir) throw_errno(step, path);
    for (std::size_t i = 0; i + 1 < parts.size(); ++i) {
        path += "/" + parts[i];
        bool made = false;
        FileDescriptor next = open_component(dir.get(), parts[i], create, path, step, made);
        if (!next) return next;
        if (made && created_in) created_in->push_back(std::move(dir));
        dir = std::move(next);
    }
    return dir;
}

FileDescriptor open_staging(const Root& root, bool create) {
    const std::string path = root.path + "/" + staging_name;
    int fd = platform::open_directory(root.fd.get(), staging_name, false);
    if (fd < 0 && errno == ENOENT && !create) return {};
    bool made = false;
    if (fd < 0 && errno == ENOENT) {
        if (platform::make_directory_at(root.fd.get(), staging_name, 0700) != 0)
            throw_errno(Step::create_temp, path);
        made = true;
        fd = platform::open_directory(root.fd.get(), staging_name, false);
    }
    FileDescriptor staging(fd);
    platform::FileStatus status;
    if (!staging || platform::stat_fd(fd, status) != 0) {
        const int error = errno;
        if (made) platform::remove_directory_at(root.fd.get(), staging_name);
        // Out of descriptors or memory refuses nothing: the journal could not even be looked at.
        throw_error(error,
                    made                      ? Step::create_temp
                    : is_process_limit(error) ? Step::read_journal
                                              : Step::refuse_journal,
                    path);
    }
    if (status.uid != platform::current_uid() && status.uid != 0)
        throw_error(EPERM,
                    with_reason(Step::refuse_journal, "owned by uid " + std::to_string(status.uid)),
                    path);
    return staging;
}

bool staging_exists(const Root& root) {
    platform::FileStatus status;
    if (platform::stat_at(root.fd.get(), staging_name, status, false) == 0) return true;
    if (errno != ENOENT) throw_errno(Step::read_journal, root.path + "/" + staging_name);
    return false;
}

void remove_staging(const Root& root, int staging_fd) {
    const std::string path = root.path + "/" + staging_name;
    std::vector<std::string> names;
    if (platform::list_directory(staging_fd, names) != 0) throw_errno(Step::retire_journal, path);
    // The journal goes last: until then a crash leaves it valid and recovery rolls forward
    // again, which finds the new files published and the old links gone, and changes nothing.
    std::stable_partition(names.begin(), names.end(),
                          [](const std::string& name) { return name != journal_name; });
    for (const std::string& name : names)
        if (platform::unlink_file_at(staging_fd, name.c_str()) != 0 && errno != ENOENT)
            throw_errno(Step::retire_journal, path + "/" + name);
    if (platform::remove_directory_at(root.fd.get(), staging_name) != 0 && errno != ENOENT)
        throw_errno(Step::retire_journal, path);
}

void sync_directory(int dir_fd, const std::string& path, Step step) {
    if (platform::sync_fd(dir_fd, platform::SyncKind::full) == 0) return;
    if (errno == EINVAL && platform::sync_file_system(dir_fd) == 0) return;
    throw_errno(step, path);
}

bool same_file(int a, int b) {
    platform::FileStatus x, y;
    return platform::stat_fd(a, x) == 0 && platform::stat_fd(b, y) == 0 && x.device == y.device &&
           x.inode == y.inode;
}

}  // namespace atomfile::transaction
