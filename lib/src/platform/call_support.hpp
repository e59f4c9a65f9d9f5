// What the platform layer's sources share: the seam check, EINTR retries, and small helpers
// that more than one concern needs. Included only by lib/src/platform/*.cpp.
#pragma once

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>

#include "platform/fault_seam.hpp"
#include "platform/linux_metadata.hpp"

namespace atomfile::platform {

// Consults the seam. Returns true (with errno set) when the call must fail.
inline bool injected(Call call) {
    int error = injected_error(call);
    if (error == 0) return false;
    errno = error;
    return true;
}

#define ATOMFILE_INJECT(call, failure)      \
    do {                                    \
        if (injected(call)) return failure; \
    } while (0)

template <class F>
auto retry_on_eintr(F f) -> decltype(f()) {
    decltype(f()) result;
    do {
        result = f();
    } while (result == -1 && errno == EINTR);
    return result;
}

inline int nofollow_flag(bool follow) {
    return follow ? 0 : O_NOFOLLOW;
}

// Applies the exact mode when the umask may have removed bits at creation.
inline int enforce_mode(int fd, unsigned mode) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return -1;
    if ((st.st_mode & 07777) == mode) return 0;
    ATOMFILE_INJECT(Call::fchmod, -1);
    return ::fchmod(fd, mode);
}

// Closes fd after a failure, keeping the failure's errno; returns -1 for the caller to return.
inline int close_preserving_errno(int fd) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
}

inline FileType type_of(mode_t mode) {
    if (S_ISREG(mode)) return FileType::regular;
    if (S_ISDIR(mode)) return FileType::directory;
    if (S_ISLNK(mode)) return FileType::symlink;
    return FileType::other;
}

inline void fill_status(const struct stat& st, FileStatus& status) {
    status.type = type_of(st.st_mode);
    status.mode = st.st_mode & 07777;
    status.uid = st.st_uid;
    status.gid = st.st_gid;
    status.device = st.st_dev;
    status.inode = st.st_ino;
    status.link_count = st.st_nlink;
    status.size = st.st_size;
    status.modified_ns = std::int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec;
    status.changed_ns = std::int64_t(st.st_ctim.tv_sec) * 1000000000 + st.st_ctim.tv_nsec;
}

}  // namespace atomfile::platform
