// The one file that talks to the kernel. See posix.hpp for the contract.
#include "platform/posix.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <spawn.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>

extern char** environ;

namespace atomfile::platform {

const int current_directory = AT_FDCWD;
const int signal_interrupt = SIGINT;
const int signal_terminate = SIGTERM;
const int signal_hangup = SIGHUP;
const int signal_pipe = SIGPIPE;

namespace {

FaultHook fault_hook = nullptr;
void* fault_context = nullptr;

// Consults the test seam. Returns true (with errno set) when the call must fail.
bool injected(Call call) {
    if (fault_hook == nullptr) return false;
    int error = fault_hook(call, fault_context);
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

int nofollow_flag(bool follow) {
    return follow ? 0 : O_NOFOLLOW;
}

// Applies the exact mode when the umask may have removed bits at creation.
int enforce_mode(int fd, unsigned mode) {
    struct stat st;
    if (::fstat(fd, &st) != 0) return -1;
    if ((st.st_mode & 07777) == mode) return 0;
    ATOMFILE_INJECT(Call::fchmod, -1);
    return ::fchmod(fd, mode);
}

int close_preserving_errno(int fd) {
    int saved = errno;
    ::close(fd);
    errno = saved;
    return -1;
}

FileType type_of(mode_t mode) {
    if (S_ISREG(mode)) return FileType::regular;
    if (S_ISDIR(mode)) return FileType::directory;
    if (S_ISLNK(mode)) return FileType::symlink;
    return FileType::other;
}

void fill_status(const struct stat& st, FileStatus& status) {
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

}  // namespace

const char* call_name(Call call) {
    static const char* const names[] = {"open",      "create",     "create_anonymous",
                                        "read",      "write",      "seek",
                                        "truncate",  "fsync",      "fdatasync",
                                        "fstat",     "fstatat",    "fchmod",
                                        "fchown",    "rename",     "link",
                                        "unlink",    "rmdir",      "mkdir",
                                        "readlink",  "xattr_list", "xattr_get",
                                        "xattr_set", "lock",       "close",
                                        "getrandom", "copy",       "spawn",
                                        "wait",      "writeback",  "open_path"};
    static_assert(sizeof(names) / sizeof(names[0]) == static_cast<int>(Call::count_));
    return names[static_cast<int>(call)];
}

void set_fault_hook(FaultHook hook, void* context) {
    fault_hook = hook;
    fault_context = context;
}

// ---- descriptors -------------------------------------------------------------------------

int close_fd(int fd) {
    ATOMFILE_INJECT(Call::close, (::close(fd), -1));
    return ::close(fd);
}

int open_directory(int dir_fd, const char* path, bool follow) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr([&] {
        return ::openat(dir_fd, path, O_RDONLY | O_DIRECTORY | O_CLOEXEC | nofollow_flag(follow));
    });
}

int open_directory_path(int dir_fd, const char* path) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr([&] { return ::openat(dir_fd, path, O_PATH | O_DIRECTORY | O_CLOEXEC); });
}

int open_path_no_follow(int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::open_path, -1);
    return retry_on_eintr([&] { return ::openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC); });
}

int open_read(int dir_fd, const char* path, bool follow) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr(
        [&] { return ::openat(dir_fd, path, O_RDONLY | O_CLOEXEC | nofollow_flag(follow)); });
}

int open_read_no_wait(int dir_fd, const char* path, bool follow) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr([&] {
        return ::openat(dir_fd, path, O_RDONLY | O_NONBLOCK | O_CLOEXEC | nofollow_flag(follow));
    });
}

int open_lock_file(int dir_fd, const char* path, unsigned mode) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr([&] {
        return ::openat(dir_fd, path, O_RDWR | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, mode);
    });
}

int open_existing_for_lock(int dir_fd, const char* name, bool write) {
    ATOMFILE_INJECT(Call::open, -1);
    const int access = write ? O_RDWR : O_RDONLY;
    return retry_on_eintr(
        [&] { return ::openat(dir_fd, name, access | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); });
}

int create_exclusive(int dir_fd, const char* name, unsigned mode) {
    ATOMFILE_INJECT(Call::create, -1);
    int fd = retry_on_eintr([&] {
        return ::openat(dir_fd, name, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
    });
    if (fd < 0) return -1;
    if (enforce_mode(fd, mode) != 0) {
        int saved = errno;
        ::unlinkat(dir_fd, name, 0);
        ::close(fd);
        errno = saved;
        return -1;
    }
    return fd;
}

int create_anonymous(int dir_fd, unsigned mode) {
    ATOMFILE_INJECT(Call::create_anonymous, -1);
    int fd =
        retry_on_eintr([&] { return ::openat(dir_fd, ".", O_TMPFILE | O_RDWR | O_CLOEXEC, mode); });
    if (fd < 0) return -1;
    if (enforce_mode(fd, mode) != 0) return close_preserving_errno(fd);
    return fd;
}

bool anonymous_unsupported(int error) {
    return error == EOPNOTSUPP || error == EISDIR || error == EINVAL;
}

int link_anonymous(int fd, int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::link, -1);
    // AT_EMPTY_PATH needs CAP_DAC_READ_SEARCH; the /proc route works for everyone.
    char proc_path[64];
    std::snprintf(proc_path, sizeof proc_path, "/proc/self/fd/%d", fd);
    if (::linkat(AT_FDCWD, proc_path, dir_fd, name, AT_SYMLINK_FOLLOW) == 0) return 0;
    if (errno == EEXIST) return -1;
    return ::linkat(fd, "", dir_fd, name, AT_EMPTY_PATH);
}

int duplicate(int fd) {
    return ::fcntl(fd, F_DUPFD_CLOEXEC, 0);
}

int is_close_on_exec(int fd) {
    int flags = ::fcntl(fd, F_GETFD);
    if (flags < 0) return -1;
    return (flags & FD_CLOEXEC) ? 1 : 0;
}

int is_open_descriptor(int fd) {
    if (::fcntl(fd, F_GETFD) >= 0) return 1;
    return errno == EBADF ? 0 : -1;
}

// ---- data --------------------------------------------------------------------------------

long read_some(int fd, void* buffer, std::size_t size) {
    ATOMFILE_INJECT(Call::read, -1);
    return retry_on_eintr([&] { return ::read(fd, buffer, size); });
}

long pread_some(int fd, void* buffer, std::size_t size, std::int64_t offset) {
    ATOMFILE_INJECT(Call::read, -1);
    return retry_on_eintr([&] { return ::pread(fd, buffer, size, offset); });
}

void advise_huge_pages(void* buffer, std::size_t size) {
    constexpr std::uintptr_t huge_page = 2 * 1024 * 1024;
    auto begin = (reinterpret_cast<std::uintptr_t>(buffer) + huge_page - 1) & ~(huge_page - 1);
    auto end = (reinterpret_cast<std::uintptr_t>(buffer) + size) & ~(huge_page - 1);
    if (end > begin) ::madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
}

long write_some(int fd, const void* buffer, std::size_t size) {
    ATOMFILE_INJECT(Call::write, -1);
    return retry_on_eintr([&] { return ::write(fd, buffer, size); });
}

int write_all(int fd, const void* buffer, std::size_t size) {
    const char* cursor = static_cast<const char*>(buffer);
    while (size > 0) {
        long written = write_some(fd, cursor, size);
        if (written < 0 && errno == EINTR) continue;  // even an injected one: nothing was written
        if (written < 0) return -1;
        if (written == 0) {  // a zero-length write of a non-empty buffer: the device is full
            errno = ENOSPC;
            return -1;
        }
        cursor += written;
        size -= static_cast<std::size_t>(written);
    }
    return 0;
}

int pwrite_all(int fd, const void* buffer, std::size_t size, std::int64_t offset) {
    const char* cursor = static_cast<const char*>(buffer);
    while (size > 0) {
        ATOMFILE_INJECT(Call::write, -1);
        long written = retry_on_eintr([&] { return ::pwrite(fd, cursor, size, offset); });
        if (written < 0) return -1;
        if (written == 0) {
            errno = ENOSPC;
            return -1;
        }
        cursor += written;
        offset += written;
        size -= static_cast<std::size_t>(written);
    }
    return 0;
}

int read_all(int fd, std::string& out) {
    char buffer[65536];
    for (;;) {
        long got = read_some(fd, buffer, sizeof buffer);
        if (got < 0) return -1;
        if (got == 0) return 0;
        out.append(buffer, static_cast<std::size_t>(got));
    }
}

std::int64_t seek(int fd, std::int64_t offset, Whence whence) {
    ATOMFILE_INJECT(Call::seek, -1);
    int how = whence == Whence::set ? SEEK_SET : whence == Whence::current ? SEEK_CUR : SEEK_END;
    return ::lseek(fd, offset, how);
}

int truncate_fd(int fd, std::int64_t length) {
    ATOMFILE_INJECT(Call::truncate, -1);
    return retry_on_eintr([&] { return ::ftruncate(fd, length); });
}

int sync_fd(int fd, SyncKind kind) {
    if (kind == SyncKind::full) {
        ATOMFILE_INJECT(Call::fsync, -1);
        return retry_on_eintr([&] { return ::fsync(fd); });
    }
    ATOMFILE_INJECT(Call::fdatasync, -1);
    return retry_on_eintr([&] { return ::fdatasync(fd); });
}

int sync_file_system(int fd) {
    ATOMFILE_INJECT(Call::fsync, -1);
    return retry_on_eintr([&] { return ::syncfs(fd); });
}

int classify_input(int in_fd, InputKind& kind) {
    struct stat in_status;
    if (::fstat(in_fd, &in_status) != 0) return -1;
    kind = S_ISFIFO(in_status.st_mode)  ? InputKind::pipe
           : S_ISREG(in_status.st_mode) ? InputKind::regular_file
                                        : InputKind::other;
    return 0;
}

long transfer(int in_fd, int out_fd, std::size_t size, InputKind kind, std::vector<char>& buffer) {
    ATOMFILE_INJECT(Call::copy, -1);
    if (kind == InputKind::regular_file) {
        long moved = retry_on_eintr(
            [&] { return ::copy_file_range(in_fd, nullptr, out_fd, nullptr, size, 0); });
        if (moved >= 0) return moved;
        if (errno != EXDEV && errno != EINVAL && errno != ENOSYS && errno != EOPNOTSUPP) return -1;
        moved = retry_on_eintr([&] { return ::sendfile(out_fd, in_fd, nullptr, size); });
        if (moved >= 0 || (errno != EINVAL && errno != ENOSYS)) return moved;
    }
    // Big enough that a grown pipe empties in a few reads, small enough to stay cheap in RSS.
    constexpr std::size_t buffer_size = 256 * 1024;
    if (buffer.size() < buffer_size) buffer.resize(buffer_size);
    long got =
        retry_on_eintr([&] { return ::read(in_fd, buffer.data(), std::min(size, buffer.size())); });
    if (got <= 0) return got;
    if (write_all(out_fd, buffer.data(), static_cast<std::size_t>(got)) != 0) return -1;
    return got;
}

int start_writeback(int fd, std::int64_t offset, std::int64_t length) {
    ATOMFILE_INJECT(Call::writeback, -1);
    return retry_on_eintr(
        [&] { return ::sync_file_range(fd, offset, length, SYNC_FILE_RANGE_WRITE); });
}

int write_behind(int fd, std::int64_t retire_from, std::int64_t offset, std::int64_t length) {
    if (start_writeback(fd, offset, length) != 0) return -1;
    if (offset <= retire_from) return 0;
    ATOMFILE_INJECT(Call::writeback, -1);
    constexpr unsigned wait_and_write =
        SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    const std::int64_t retired = offset - retire_from;
    auto wait = [&] { return ::sync_file_range(fd, retire_from, retired, wait_and_write); };
    if (retry_on_eintr(wait) != 0) return -1;
    ::posix_fadvise(fd, retire_from, retired, POSIX_FADV_DONTNEED);
    return 0;
}

void grow_pipe_buffer(int fd, std::size_t size) {
    ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(size));  // refused (EBADF) for anything else
}

// ---- metadata ----------------------------------------------------------------------------

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

int file_kind_at(int dir_fd, const char* path, bool follow, FileKind& kind) {
    ATOMFILE_INJECT(Call::fstatat, -1);
    struct stat st;
    if (::fstatat(dir_fd, path, &st, follow ? 0 : AT_SYMLINK_NOFOLLOW) != 0) return -1;
    mode_t type = st.st_mode & S_IFMT;
    kind = type == S_IFDIR    ? FileKind::directory
           : type == S_IFLNK  ? FileKind::symlink
           : type == S_IFCHR  ? FileKind::character_device
           : type == S_IFBLK  ? FileKind::block_device
           : type == S_IFIFO  ? FileKind::fifo
           : type == S_IFSOCK ? FileKind::socket
                              : FileKind::regular;
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

// ---- names -------------------------------------------------------------------------------

int rename_at(int old_dir, const char* old_name, int new_dir, const char* new_name,
              RenameMode mode) {
    ATOMFILE_INJECT(Call::rename, -1);
    if (mode == RenameMode::replace) return ::renameat(old_dir, old_name, new_dir, new_name);
    unsigned flags = mode == RenameMode::no_replace ? RENAME_NOREPLACE : RENAME_EXCHANGE;
    return static_cast<int>(::syscall(SYS_renameat2, old_dir, old_name, new_dir, new_name, flags));
}

int link_at(int old_dir, const char* old_name, int new_dir, const char* new_name) {
    ATOMFILE_INJECT(Call::link, -1);
    return ::linkat(old_dir, old_name, new_dir, new_name, 0);
}

int unlink_file_at(int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::unlink, -1);
    return ::unlinkat(dir_fd, name, 0);
}

int remove_directory_at(int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::rmdir, -1);
    return ::unlinkat(dir_fd, name, AT_REMOVEDIR);
}

int make_directory_at(int dir_fd, const char* name, unsigned mode) {
    ATOMFILE_INJECT(Call::mkdir, -1);
    if (::mkdirat(dir_fd, name, mode) != 0) return -1;
    if ((mode & ~current_umask()) == mode) return 0;
    int fd = ::openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return -1;
    int result = enforce_mode(fd, mode);
    if (result != 0) return close_preserving_errno(fd);
    ::close(fd);
    return 0;
}

int read_link_at(int dir_fd, const char* path, std::string& target) {
    ATOMFILE_INJECT(Call::readlink, -1);
    std::string buffer(256, '\0');
    for (;;) {
        ssize_t got = ::readlinkat(dir_fd, path, buffer.data(), buffer.size());
        if (got < 0) return -1;
        if (static_cast<std::size_t>(got) < buffer.size()) {
            target.assign(buffer.data(), static_cast<std::size_t>(got));
            return 0;
        }
        buffer.resize(buffer.size() * 2);
    }
}

int list_directory(int dir_fd, std::vector<std::string>& names) {
    ATOMFILE_INJECT(Call::open, -1);
    int copy = ::openat(dir_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (copy < 0) return -1;
    DIR* dir = ::fdopendir(copy);
    if (dir == nullptr) return close_preserving_errno(copy);
    names.clear();
    errno = 0;
    while (struct dirent* entry = ::readdir(dir)) {
        if (std::strcmp(entry->d_name, ".") == 0 || std::strcmp(entry->d_name, "..") == 0) continue;
        names.emplace_back(entry->d_name);
    }
    int saved = errno;
    ::closedir(dir);
    errno = saved;
    return saved == 0 ? 0 : -1;
}

int current_directory_path(std::string& path) {
    std::string buffer(4096, '\0');
    for (;;) {
        if (::getcwd(buffer.data(), buffer.size()) != nullptr) {
            path.assign(buffer.c_str());
            return 0;
        }
        if (errno != ERANGE) return -1;
        buffer.resize(buffer.size() * 2);
    }
}

// ---- locks -------------------------------------------------------------------------------

// Retries try_once (0, or -1 with errno) while busy(errno) says someone else holds the lock,
// backing off from 200 us to 10 ms so a short wait stays short, until timeout_ms has passed.
template <class TryOnce, class Busy>
int poll_for_lock(long timeout_ms, TryOnce try_once, Busy busy) {
    struct timespec start;
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    long pause_us = 200;
    for (;;) {
        if (try_once() == 0) return 0;
        if (!busy(errno) && errno != EINTR) return -1;
        struct timespec now;
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= timeout_ms) {
            errno = timeout_ms == 0 ? EWOULDBLOCK : ETIMEDOUT;
            return -1;
        }
        ::usleep(static_cast<useconds_t>(pause_us));
        if (pause_us < 10000) pause_us *= 2;
    }
}

int lock_exclusive(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::lock, -1);
    if (timeout_ms < 0) return retry_on_eintr([&] { return ::flock(fd, LOCK_EX); });
    return poll_for_lock(
        timeout_ms, [&] { return ::flock(fd, LOCK_EX | LOCK_NB); },
        [](int error) { return error == EWOULDBLOCK; });
}

int lock_file_for_writing(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::lock, -1);
    struct flock whole = {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file, however it grows
    if (timeout_ms < 0) return retry_on_eintr([&] { return ::fcntl(fd, F_OFD_SETLKW, &whole); });
    return poll_for_lock(
        timeout_ms, [&] { return ::fcntl(fd, F_OFD_SETLK, &whole); },
        [](int error) { return error == EAGAIN || error == EACCES; });
}

int lock_holder(const FileStatus& status, int& pid) {
    pid = 0;
    std::ifstream locks("/proc/locks");
    if (!locks) {
        errno = ENOENT;
        return -1;
    }
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters are "1: -> FLOCK ...", and OFD
    // locks show pid -1. The device printed is the super block's, which is not st_dev on btrfs
    // subvolumes or overlayfs: a lock on the same inode number elsewhere is the fallback answer,
    // so that a held file is never reported free (a wrong match only makes a caller wait).
    int found = 0;
    std::string line;
    while (std::getline(locks, line)) {
        char id[32], kind[32], advisory[32], access[32];
        unsigned device_major = 0, device_minor = 0;
        unsigned long long inode = 0;
        long holder = 0;
        if (std::sscanf(line.c_str(), "%31s %31s %31s %31s %ld %x:%x:%llu", id, kind, advisory,
                        access, &holder, &device_major, &device_minor, &inode) != 8)
            continue;  // a waiter's line has "->" in place of a kind and fails the %ld
        if (inode != status.inode) continue;
        bool same_device =
            device_major == major(status.device) && device_minor == minor(status.device);
        if (found == 0 || same_device) pid = holder > 0 ? static_cast<int>(holder) : 0;
        found = 1;
        if (same_device) return 1;
    }
    return found;
}

int parent_pid(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!stat || !std::getline(stat, text)) {
        errno = ESRCH;
        return -1;
    }
    // "PID (COMMAND) STATE PPID ...": the command may hold spaces and parentheses.
    std::size_t close = text.rfind(')');
    int parent = -1;
    char state = 0;
    if (close == std::string::npos ||
        std::sscanf(text.c_str() + close + 1, " %c %d", &state, &parent) != 2) {
        errno = EINVAL;
        return -1;
    }
    return parent;
}

bool user_name(unsigned uid, std::string& name) {
    struct passwd entry;
    struct passwd* found = nullptr;
    std::vector<char> buffer(4096);
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return false;
    name = found->pw_name;
    return true;
}

// ---- randomness and processes --------------------------------------------------------------

int random_bytes(void* buffer, std::size_t size) {
    ATOMFILE_INJECT(Call::getrandom, -1);
    char* cursor = static_cast<char*>(buffer);
    while (size > 0) {
        ssize_t got = ::getrandom(cursor, size, 0);
        if (got < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        cursor += got;
        size -= static_cast<std::size_t>(got);
    }
    return 0;
}

int current_pid() {
    return static_cast<int>(::getpid());
}
unsigned current_uid() {
    return ::geteuid();
}
unsigned current_gid() {
    return ::getegid();
}

bool get_environment(const char* name, std::string& value) {
    const char* found = std::getenv(name);
    if (found == nullptr) return false;
    value = found;
    return true;
}

int spawn(const SpawnRequest& request) {
    ATOMFILE_INJECT(Call::spawn, -1);
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (request.stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, request.stdin_fd, 0);
    if (request.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, request.stdout_fd, 1);
    if (!request.working_directory.empty())
        posix_spawn_file_actions_addchdir_np(&actions, request.working_directory.c_str());

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // The tools block the signals they catch; the child must start with none blocked. Caught
    // signals revert to their defaults across exec by themselves, and signals ignored since
    // before we started (nohup) stay ignored, as a shell would leave them.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

    std::vector<std::string> environment_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string item = *entry;
        bool overridden = false;
        for (const auto& set : request.set_env) {
            auto eq = set.find('=');
            if (item.compare(0, eq + 1, set, 0, eq + 1) == 0) overridden = true;
        }
        if (!overridden) environment_strings.push_back(std::move(item));
    }
    for (const auto& set : request.set_env) environment_strings.push_back(set);
    std::vector<char*> envp;
    for (auto& item : environment_strings) envp.push_back(item.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    std::vector<std::string> argv_strings = request.argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);

    pid_t pid = -1;
    int error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return static_cast<int>(pid);
}

int make_pipe(int& read_end, int& write_end) {
    ATOMFILE_INJECT(Call::spawn, -1);
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) return -1;
    read_end = ends[0];
    write_end = ends[1];
    return 0;
}

int wait_child(int pid, int& exit_status) {
    ATOMFILE_INJECT(Call::wait, -1);
    int status = 0;
    if (::waitpid(pid, &status, 0) < 0) return -1;
    if (WIFEXITED(status))
        exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        exit_status = 128 + WTERMSIG(status);
    else
        exit_status = 255;
    return 0;
}

int send_signal(int pid, int signal_number) {
    return ::kill(pid, signal_number);
}

// ---- signals, for the command-line tools ------------------------------------------------------

namespace {

volatile sig_atomic_t first_caught_signal = 0;
sigset_t caught_set;
sigset_t mask_before_catch;
std::vector<std::pair<int, struct sigaction>> actions_before_catch;

void record_signal(int signal_number) {
    if (first_caught_signal == 0) first_caught_signal = signal_number;
}

// The mask to wait under: the mask from before catch_signals() with the caught signals let
// through. Computed once there, not read again before each wait: a streaming copy waits before
// every read.
sigset_t wait_mask;

void compute_wait_mask() {
    wait_mask = mask_before_catch;
    for (int s = 1; s < NSIG; ++s)
        if (sigismember(&caught_set, s) == 1) sigdelset(&wait_mask, s);
}

// Where pidfd_open is missing (Linux < 5.3): poll the child, sleeping in sigtimedwait so a
// caught signal still ends the wait at once.
int poll_child_or_signal(int pid, int& exit_status) {
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done < 0) return -1;
        if (done == pid) {
            exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                          : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                                : 255;
            return 0;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        int arrived = ::sigtimedwait(&caught_set, nullptr, &pause);
        if (arrived > 0) {
            record_signal(arrived);
            return 1;
        }
    }
}

}  // namespace

int catch_signals(const std::vector<int>& signals) {
    sigemptyset(&caught_set);
    actions_before_catch.clear();
    first_caught_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: an interrupted wait must return to its caller
    for (int s : signals) {
        struct sigaction previous {};
        if (::sigaction(s, nullptr, &previous) != 0) return -1;
        // An ignored signal stays ignored (nohup, a background job): the caller asked for that.
        if (previous.sa_handler == SIG_IGN) continue;
        if (::sigaction(s, &action, nullptr) != 0) return -1;
        actions_before_catch.emplace_back(s, previous);
        sigaddset(&caught_set, s);
    }
    int error = ::pthread_sigmask(SIG_BLOCK, &caught_set, &mask_before_catch);
    compute_wait_mask();
    if (error != 0) errno = error;
    return error == 0 ? 0 : -1;
}

int release_signals() {
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&caught_set, nullptr, &zero) > 0) {
    }
    for (const auto& [s, previous] : actions_before_catch) ::sigaction(s, &previous, nullptr);
    actions_before_catch.clear();
    sigemptyset(&caught_set);
    int error = ::pthread_sigmask(SIG_SETMASK, &mask_before_catch, nullptr);
    if (error != 0) errno = error;
    return error == 0 ? 0 : -1;
}

int caught_signal() {
    if (first_caught_signal == 0) {
        struct timespec zero = {0, 0};
        int pending = ::sigtimedwait(&caught_set, nullptr, &zero);
        if (pending > 0) first_caught_signal = pending;
    }
    return first_caught_signal;
}

void clear_caught_signal() {
    first_caught_signal = 0;
}

int wait_readable_or_signal(int fd) {
    for (;;) {
        // Checked before each wait, not left to ppoll: ppoll reports ready input before a
        // pending signal and leaves the signal pending, so an always-full pipe would hide it.
        if (caught_signal() != 0) return 0;
        struct pollfd entry = {fd, POLLIN, 0};
        int ready = ::ppoll(&entry, 1, nullptr, &wait_mask);
        if (ready > 0) return 1;
        if (ready < 0 && errno != EINTR) return -1;
    }
}

int wait_child_or_signal(int pid, int& exit_status) {
    ATOMFILE_INJECT(Call::wait, -1);
    int process_fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (process_fd < 0) return errno == ENOSYS ? poll_child_or_signal(pid, exit_status) : -1;
    for (;;) {
        if (caught_signal() != 0) {
            ::close(process_fd);
            return 1;
        }
        struct pollfd entry = {process_fd, POLLIN, 0};
        int ready = ::ppoll(&entry, 1, nullptr, &wait_mask);
        if (ready > 0) break;
        if (ready < 0 && errno != EINTR) return close_preserving_errno(process_fd);
    }
    ::close(process_fd);
    return wait_child(pid, exit_status);
}

}  // namespace atomfile::platform
