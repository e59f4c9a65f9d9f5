// What a file is: status, mode, owner, extended attributes, mounts. Part of the platform layer
// (linux.hpp says what that is).
#pragma once

#include <cerrno>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/fault_seam.hpp"

namespace atomfile::platform {

enum class FileType { regular, directory, symlink, other };

struct FileStatus {
    FileType type = FileType::other;
    unsigned mode = 0;  // permission bits only (07777)
    unsigned uid = 0;
    unsigned gid = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t link_count = 0;
    std::int64_t size = 0;
    std::int64_t modified_ns = 0;  // mtime, nanoseconds since the epoch
    std::int64_t changed_ns = 0;   // ctime, nanoseconds since the epoch
};

int stat_fd(int fd, FileStatus& status);
int stat_at(int dir_fd, const char* path, FileStatus& status, bool follow);
// Whether the entry `name` in directory fd (fd itself when name is "") belongs to another mount
// than the directory open as parent_fd: another file system, or a bind mount of the same one
// (same st_dev, other mount id; statx's mount id, or st_dev alone before Linux 5.8). A final
// symlink is not followed; `name` needs no permission on the entry itself. 1 yes, 0 no, -1 with
// errno (Call::fstat).
int is_other_mount(int parent_fd, int fd, const char* name = "");
int change_mode(int fd, unsigned mode);
// fchmodat without following a final symlink. Fails with EOPNOTSUPP on a symlink.
int change_mode_at(int dir_fd, const char* name, unsigned mode);
int change_owner(int fd, unsigned uid, unsigned gid);
// Whether change_owner's errno means the file may not be given to that owner, rather than a
// failure: EPERM, not permitted; EINVAL, an owner this process's user namespace does not map (a
// rootless container's root facing a file of a user outside it, seen as the overflow ids),
// whom nobody inside can give a file to.
inline bool cannot_give_away(int error) {
    return error == EPERM || error == EINVAL;
}
// The process umask, read without changing it (from /proc where possible).
unsigned current_umask();

// Extended attributes (POSIX ACLs and security labels are xattrs on Linux). An empty list and
// ENOTSUP are both "nothing to copy"; callers decide.
int list_xattrs(int fd, std::vector<std::string>& names);
int get_xattr(int fd, const char* name, std::string& value);
int set_xattr(int fd, const char* name, const std::string& value);

}  // namespace atomfile::platform
