#include "platform/linux_files.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/fs.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "platform/call_support.hpp"
#include "platform/linux_metadata.hpp"

namespace atomfile::platform {

const int current_directory = AT_FDCWD;

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

int open_existing_for_overwrite(int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::open, -1);
    return retry_on_eintr(
        [&] { return ::openat(dir_fd, name, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC); });
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

int make_symlink_at(const char* target, int dir_fd, const char* name) {
    ATOMFILE_INJECT(Call::symlink, -1);
    return ::symlinkat(target, dir_fd, name);
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

}  // namespace atomfile::platform
