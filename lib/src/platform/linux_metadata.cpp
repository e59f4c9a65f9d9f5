#include "platform/linux_metadata.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "platform/call_support.hpp"

namespace atomfile::platform {

int stat_fd(int fd, FileStatus& status) {
    ATOMFILE_INJECT(Call::fstat, -1);
    struct stat st;
    if (::fstat(fd, &st) != 0) return -1;
    fill_status(st, status);
    return 0;
}

int stat_at(int dir_fd, const char* path, FileStatus& status, bool follow) {
    ATOMFILE_INJECT(Call::fstatat, -1);
    struct stat st;
    if (::fstatat(dir_fd, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return -1;
    fill_status(st, status);
    return 0;
}

namespace {

// The mount id of `name` in dir_fd (of dir_fd itself when name is empty), from statx (Linux 5.8),
// or its device where the kernel has no mount id.
int mount_identity(int dir_fd, const char* name, std::uint64_t& identity, bool& is_mount_id) {
    const int flags = AT_SYMLINK_NOFOLLOW | (*name == '\0' ? AT_EMPTY_PATH : 0);
    struct statx st {};
    is_mount_id = false;
    if (::statx(dir_fd, name, flags, STATX_MNT_ID, &st) != 0) {
        struct stat plain;
        if (errno != ENOSYS || ::fstatat(dir_fd, name, &plain, flags) != 0) return -1;
        identity = plain.st_dev;
        return 0;
    }
    is_mount_id = (st.stx_mask & STATX_MNT_ID) != 0;
    identity = is_mount_id ? st.stx_mnt_id : makedev(st.stx_dev_major, st.stx_dev_minor);
    return 0;
}

}  // namespace

int is_other_mount(int parent_fd, int fd, const char* name) {
    ATOMFILE_INJECT(Call::fstat, -1);
    std::uint64_t parent = 0, child = 0;
    bool parent_has_id = false, child_has_id = false;
    if (mount_identity(parent_fd, "", parent, parent_has_id) != 0) return -1;
    if (mount_identity(fd, name, child, child_has_id) != 0) return -1;
    // Ids of two kinds cannot be compared (nor happen on one kernel): treated as another mount.
    return parent_has_id != child_has_id || parent != child ? 1 : 0;
}

int change_mode(int fd, unsigned mode) {
    ATOMFILE_INJECT(Call::fchmod, -1);
    return ::fchmod(fd, mode);
}

int change_mode_at(int dir_fd, const char* name, unsigned mode) {
    ATOMFILE_INJECT(Call::fchmod, -1);
    // Open with O_PATH|O_NOFOLLOW and refuse a symlink, then chmod through /proc: this never
    // changes the mode of whatever a symlink points at.
    int fd = ::openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    struct stat st;
    if (::fstat(fd, &st) != 0) return close_preserving_errno(fd);
    if (S_ISLNK(st.st_mode)) {
        ::close(fd);
        errno = EOPNOTSUPP;
        return -1;
    }
    char proc_path[64];
    std::snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    int result = ::chmod(proc_path, mode);
    if (result != 0) return close_preserving_errno(fd);
    ::close(fd);
    return 0;
}

int change_owner(int fd, unsigned uid, unsigned gid) {
    ATOMFILE_INJECT(Call::fchown, -1);
    return ::fchown(fd, uid, gid);
}

unsigned current_umask() {
    std::ifstream status("/proc/self/status");
    std::string line;
    while (std::getline(status, line)) {
        if (line.rfind("Umask:", 0) == 0)
            return static_cast<unsigned>(std::strtoul(line.c_str() + 6, nullptr, 8));
    }
    // No /proc: the only portable way is to set and restore it.
    mode_t old = ::umask(022);
    ::umask(old);
    return old;
}

int list_xattrs(int fd, std::vector<std::string>& names) {
    ATOMFILE_INJECT(Call::xattr_list, -1);
    names.clear();
    for (;;) {
        ssize_t size = ::flistxattr(fd, nullptr, 0);
        if (size < 0) return -1;
        if (size == 0) return 0;  // the common case: nothing to copy, no second call
        std::string buffer(static_cast<std::size_t>(size), '\0');
        ssize_t got = ::flistxattr(fd, buffer.data(), buffer.size());
        if (got < 0 && errno == ERANGE) continue;  // grew between the two calls
        if (got < 0) return -1;
        for (std::size_t start = 0; start < static_cast<std::size_t>(got);) {
            std::size_t end = buffer.find('\0', start);
            names.emplace_back(buffer, start, end - start);
            start = end + 1;
        }
        return 0;
    }
}

int get_xattr(int fd, const char* name, std::string& value) {
    ATOMFILE_INJECT(Call::xattr_get, -1);
    for (;;) {
        ssize_t size = ::fgetxattr(fd, name, nullptr, 0);
        if (size < 0) return -1;
        value.assign(static_cast<std::size_t>(size), '\0');
        ssize_t got = ::fgetxattr(fd, name, value.data(), value.size());
        if (got < 0 && errno == ERANGE) continue;
        if (got < 0) return -1;
        value.resize(static_cast<std::size_t>(got));
        return 0;
    }
}

int set_xattr(int fd, const char* name, const std::string& value) {
    ATOMFILE_INJECT(Call::xattr_set, -1);
    return ::fsetxattr(fd, name, value.data(), value.size(), 0);
}

}  // namespace atomfile::platform
