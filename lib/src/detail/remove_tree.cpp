#include "detail/remove_tree.hpp"

#include <cerrno>
#include <filesystem>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"

namespace atomfile::detail {
namespace {

// An entry that keeps changing kind under us (file, directory, symlink...) is given up after
// this many rounds rather than looping forever against a hostile writer.
constexpr int max_rounds = 16;

// The failure to report, kept while the walk goes on removing what it can: the first skipped
// mount, since it is what the caller must act on (unmount), else the first failure.
struct FirstError {
    int code = 0;
    int count = 0;
    bool is_mount = false;
    Step step = Step::other;
    std::string path;

    void record(int error, Step what, const std::string& where) {
        if (count++ > 0) return;
        code = error;
        step = what;
        path = where;
    }

    void record_mount(const std::string& where) {
        ++count;
        if (is_mount) return;
        is_mount = true;
        code = EBUSY;
        step = Step::skip_mount_point;
        path = where;
    }
};

void remove_entry(int dir_fd, const std::string& name, const std::string& path, FirstError& errors);

// Opens a subdirectory without following a symlink. A directory without read or search
// permission for us is given u+rwx first by a chmod that refuses symlinks. Returns an invalid
// descriptor with errno set on failure.
FileDescriptor open_subdirectory(int dir_fd, const std::string& name) {
    FileDescriptor fd(platform::open_directory(dir_fd, name.c_str(), false));
    if (fd || errno != EACCES) return fd;
    if (platform::change_mode_at(dir_fd, name.c_str(), 0700) != 0) {
        if (errno == EOPNOTSUPP) errno = ELOOP;  // swapped for a symlink meanwhile
        return fd;
    }
    return FileDescriptor(platform::open_directory(dir_fd, name.c_str(), false));
}

// Gives the owner rwx on the directory itself, through its own descriptor, so that its
// entries can be listed and unlinked. A failure here is not recorded: if it matters, listing
// or unlinking fails next and says so; if not (root needs no permission bits), all is well.
void make_writable(int fd) {
    platform::FileStatus status;
    if (platform::stat_fd(fd, status) != 0 || (status.mode & 0700) == 0700) return;
    platform::change_mode(fd, status.mode | 0700);
}

// Another file system, or a bind mount, is never emptied: its content is not ours. True when
// the directory (name in fd, or fd itself when name is "") is one, or is gone, or cannot be
// inspected (recorded): the walk leaves it alone.
bool skipped_as_mount(int dir_fd, int fd, const char* name, const std::string& path,
                      FirstError& errors) {
    int other = platform::is_other_mount(dir_fd, fd, name);
    if (other == 0) return false;
    if (other > 0)
        errors.record_mount(path);
    else if (errno != ENOENT)
        errors.record(errno, Step::inspect_to_remove, path);
    return true;
}

void remove_contents(int fd, const std::string& path, FirstError& errors) {
    make_writable(fd);
    std::vector<std::string> names;
    if (platform::list_directory(fd, names) != 0)
        return errors.record(errno, Step::list_to_remove, path);
    for (const std::string& name : names) remove_entry(fd, name, join_path(path, name), errors);
}

// One round on a directory entry: true when done with it (removed, gone, or failed and
// recorded), false when it changed kind under us and deserves another round.
bool remove_directory_round(int dir_fd, const std::string& name, const std::string& path,
                            FirstError& errors) {
    // By name first, so that not even the chmod of open_subdirectory touches a mount's root.
    if (skipped_as_mount(dir_fd, dir_fd, name.c_str(), path, errors)) return true;
    FileDescriptor fd = open_subdirectory(dir_fd, name);
    if (!fd) {
        if (errno == ENOENT) return true;
        if (errno == ELOOP || errno == ENOTDIR) return false;  // now a symlink or a file
        // Out of descriptors (ulimit -n) or memory: an empty directory, such as a staging
        // directory whose creation failed just after its mkdir, needs none to be removed.
        const int open_error = errno;
        if (platform::remove_directory_at(dir_fd, name.c_str()) == 0 || errno == ENOENT)
            return true;
        errors.record(open_error, Step::open_to_remove, path);
        return true;
    }
    // Then the descriptor the walk would empty, whatever was mounted since.
    if (skipped_as_mount(dir_fd, fd.get(), "", path, errors)) return true;
    const FirstError errors_before = errors;
    remove_contents(fd.get(), path, errors);
    fd.reset();
    // Removed after all: what failed inside left nothing behind (a listing refused with
    // EMFILE, of a directory that was empty), so there is nothing to report.
    if (platform::remove_directory_at(dir_fd, name.c_str()) == 0 || errno == ENOENT) {
        errors = errors_before;
        return true;
    }
    // ENOTDIR: swapped for a symlink or file: go again. ENOTEMPTY: an entry inside failed
    // (already recorded), or the directory was refilled meanwhile: only the latter goes again.
    if (errno == ENOTDIR) return false;
    if (errno == ENOTEMPTY || errno == EEXIST) return errors.count > errors_before.count;
    errors.record(errno, Step::remove_directory, path);
    return true;
}

void remove_entry(int dir_fd, const std::string& name, const std::string& path,
                  FirstError& errors) {
    for (int round = 0; round < max_rounds; ++round) {
        if (platform::unlink_file_at(dir_fd, name.c_str()) == 0 || errno == ENOENT) return;
        // EBUSY: a file with something mounted over it (mount --bind FILE here).
        if (errno == EBUSY) return errors.record_mount(path);
        if (errno != EISDIR && errno != EPERM)
            return errors.record(errno, Step::remove_entry, path);
        // EPERM is also how some file systems refuse to unlink a directory.
        int unlink_error = errno;
        platform::FileStatus status;
        if (unlink_error == EPERM && (platform::stat_at(dir_fd, name.c_str(), status, false) != 0 ||
                                      status.type != platform::FileType::directory))
            return errors.record(unlink_error, Step::remove_entry, path);
        if (remove_directory_round(dir_fd, name, path, errors)) return;
    }
    errors.record(EAGAIN, Step::remove_changing_entry, path);
}

}  // namespace

void remove_tree(const std::string& path, bool ignore_errors) {
    std::filesystem::path target(absolute_path(path));
    std::string parent = target.parent_path().string();
    std::string name = target.filename().string();
    if (name.empty() || name == "." || name == "..") throw_error(EINVAL, Step::remove_tree, path);
    FirstError errors;
    FileDescriptor parent_fd(platform::open_directory(platform::current_directory, parent.c_str()));
    if (!parent_fd) {
        if (errno == ENOENT) return;
        errors.record(errno, Step::open_parent_to_remove, path);
    } else {
        remove_entry(parent_fd.get(), name, target.string(), errors);
    }
    if (errors.code != 0 && !ignore_errors) throw_error(errors.code, errors.step, errors.path);
}

void remove_tree_at(int parent_fd, const std::string& name, const std::string& path,
                    bool ignore_errors) {
    FirstError errors;
    remove_entry(parent_fd, name, path, errors);
    if (errors.code != 0 && !ignore_errors) throw_error(errors.code, errors.step, errors.path);
}

}  // namespace atomfile::detail
