// fuse_refuse [--refuse=WHAT,...] SOURCE MOUNTPOINT: a FUSE passthrough of SOURCE that refuses
// what network and FUSE file systems often refuse, so the library's fallbacks run for real.
//
//   tmpfile    O_TMPFILE: never offered (libfuse 3.14 has no tmpfile operation, so the kernel
//              answers EOPNOTSUPP whatever this option says; it is listed for the record)
//   noreplace  rename with RENAME_NOREPLACE or RENAME_EXCHANGE fails with EINVAL
//   xattr      every extended attribute call fails with EOPNOTSUPP
//   dirsync    fsync of a directory fails with EINVAL (what some FUSE and network file systems
//              answer)
//
// Runs in the foreground, single-threaded, until unmounted (umount MOUNTPOINT). Attribute and
// entry caching are off so every call reaches SOURCE. Exit status: fuse_main's (0 unmounted).
#define FUSE_USE_VERSION 31
#include <dirent.h>
#include <fcntl.h>
#include <fuse.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/syscall.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>

namespace {

struct Refusals {
    bool noreplace = false;
    bool xattr = false;
    bool dirsync = false;
};

int source_fd = -1;
std::string source_path;
Refusals refuse;

// The path relative to SOURCE, for the *at calls.
std::string relative(const char* path) {
    return path[1] != '\0' ? std::string(path + 1) : std::string(".");
}

std::string absolute(const char* path) {
    return source_path + path;
}

int status(int rc) {
    return rc < 0 ? -errno : rc;
}

void* init(fuse_conn_info*, fuse_config* config) {
    config->use_ino = 1;
    config->entry_timeout = 0;
    config->attr_timeout = 0;
    config->negative_timeout = 0;
    config->direct_io = 0;
    return nullptr;
}

int getattr(const char* path, struct stat* st, fuse_file_info* fi) {
    if (fi != nullptr) return status(::fstat(static_cast<int>(fi->fh), st));
    return status(::fstatat(source_fd, relative(path).c_str(), st, AT_SYMLINK_NOFOLLOW));
}

int readlink(const char* path, char* buffer, size_t size) {
    ssize_t length = ::readlinkat(source_fd, relative(path).c_str(), buffer, size - 1);
    if (length < 0) return -errno;
    buffer[length] = '\0';
    return 0;
}

int mknod(const char* path, mode_t mode, dev_t device) {
    return status(::mknodat(source_fd, relative(path).c_str(), mode, device));
}

int mkdir(const char* path, mode_t mode) {
    return status(::mkdirat(source_fd, relative(path).c_str(), mode));
}

int unlink(const char* path) {
    return status(::unlinkat(source_fd, relative(path).c_str(), 0));
}

int rmdir(const char* path) {
    return status(::unlinkat(source_fd, relative(path).c_str(), AT_REMOVEDIR));
}

int symlink(const char* target, const char* path) {
    return status(::symlinkat(target, source_fd, relative(path).c_str()));
}

int rename(const char* from, const char* to, unsigned int flags) {
    if (flags != 0 && refuse.noreplace) return -EINVAL;
    return status(static_cast<int>(::syscall(SYS_renameat2, source_fd, relative(from).c_str(),
                                             source_fd, relative(to).c_str(), flags)));
}

int link(const char* from, const char* to) {
    return status(::linkat(source_fd, relative(from).c_str(), source_fd, relative(to).c_str(), 0));
}

int chmod(const char* path, mode_t mode, fuse_file_info* fi) {
    if (fi != nullptr) return status(::fchmod(static_cast<int>(fi->fh), mode));
    return status(::fchmodat(source_fd, relative(path).c_str(), mode, 0));
}

int chown(const char* path, uid_t uid, gid_t gid, fuse_file_info* fi) {
    if (fi != nullptr) return status(::fchown(static_cast<int>(fi->fh), uid, gid));
    return status(::fchownat(source_fd, relative(path).c_str(), uid, gid, AT_SYMLINK_NOFOLLOW));
}

int truncate(const char* path, off_t size, fuse_file_info* fi) {
    if (fi != nullptr) return status(::ftruncate(static_cast<int>(fi->fh), size));
    return status(::truncate(absolute(path).c_str(), size));
}

int utimens(const char* path, const timespec times[2], fuse_file_info* fi) {
    if (fi != nullptr) return status(::futimens(static_cast<int>(fi->fh), times));
    return status(::utimensat(source_fd, relative(path).c_str(), times, AT_SYMLINK_NOFOLLOW));
}

int open(const char* path, fuse_file_info* fi) {
    int fd = ::openat(source_fd, relative(path).c_str(), fi->flags & ~O_NOFOLLOW);
    if (fd < 0) return -errno;
    fi->fh = static_cast<std::uint64_t>(fd);
    return 0;
}

int create(const char* path, mode_t mode, fuse_file_info* fi) {
    int fd = ::openat(source_fd, relative(path).c_str(), fi->flags | O_CREAT, mode);
    if (fd < 0) return -errno;
    fi->fh = static_cast<std::uint64_t>(fd);
    return 0;
}

int read(const char*, char* buffer, size_t size, off_t offset, fuse_file_info* fi) {
    return status(static_cast<int>(::pread(static_cast<int>(fi->fh), buffer, size, offset)));
}

int write(const char*, const char* buffer, size_t size, off_t offset, fuse_file_info* fi) {
    return status(static_cast<int>(::pwrite(static_cast<int>(fi->fh), buffer, size, offset)));
}

int statfs(const char*, struct statvfs* st) {
    return status(::fstatvfs(source_fd, st));
}

int release(const char*, fuse_file_info* fi) {
    return status(::close(static_cast<int>(fi->fh)));
}

int fsync(const char*, int datasync, fuse_file_info* fi) {
    int fd = static_cast<int>(fi->fh);
    return status(datasync != 0 ? ::fdatasync(fd) : ::fsync(fd));
}

int opendir(const char* path, fuse_file_info* fi) {
    int fd = ::openat(source_fd, relative(path).c_str(), O_RDONLY | O_DIRECTORY);
    if (fd < 0) return -errno;
    DIR* dir = ::fdopendir(fd);
    if (dir == nullptr) {
        int error = errno;
        ::close(fd);
        return -error;
    }
    fi->fh = reinterpret_cast<std::uintptr_t>(dir);
    return 0;
}

DIR* dir_of(fuse_file_info* fi) {
    return reinterpret_cast<DIR*>(static_cast<std::uintptr_t>(fi->fh));
}

int readdir(const char*, void* buffer, fuse_fill_dir_t filler, off_t, fuse_file_info* fi,
            fuse_readdir_flags) {
    DIR* dir = dir_of(fi);
    ::rewinddir(dir);
    while (dirent* entry = ::readdir(dir)) {
        struct stat st {};
        st.st_ino = entry->d_ino;
        st.st_mode = static_cast<mode_t>(DTTOIF(entry->d_type));
        if (filler(buffer, entry->d_name, &st, 0, static_cast<fuse_fill_dir_flags>(0)) != 0) break;
    }
    return 0;
}

int releasedir(const char*, fuse_file_info* fi) {
    return status(::closedir(dir_of(fi)));
}

int fsyncdir(const char*, int, fuse_file_info* fi) {
    if (refuse.dirsync) return -EINVAL;
    return status(::fsync(::dirfd(dir_of(fi))));
}

int access(const char* path, int mask) {
    return status(::faccessat(source_fd, relative(path).c_str(), mask, 0));
}

int setxattr(const char* path, const char* name, const char* value, size_t size, int flags) {
    if (refuse.xattr) return -EOPNOTSUPP;
    return status(::lsetxattr(absolute(path).c_str(), name, value, size, flags));
}

int getxattr(const char* path, const char* name, char* value, size_t size) {
    if (refuse.xattr) return -EOPNOTSUPP;
    return status(static_cast<int>(::lgetxattr(absolute(path).c_str(), name, value, size)));
}

int listxattr(const char* path, char* list, size_t size) {
    if (refuse.xattr) return -EOPNOTSUPP;
    return status(static_cast<int>(::llistxattr(absolute(path).c_str(), list, size)));
}

int removexattr(const char* path, const char* name) {
    if (refuse.xattr) return -EOPNOTSUPP;
    return status(::lremovexattr(absolute(path).c_str(), name));
}

fuse_operations operations() {
    fuse_operations ops{};
    ops.init = init;
    ops.getattr = getattr;
    ops.readlink = readlink;
    ops.mknod = mknod;
    ops.mkdir = mkdir;
    ops.unlink = unlink;
    ops.rmdir = rmdir;
    ops.symlink = symlink;
    ops.rename = rename;
    ops.link = link;
    ops.chmod = chmod;
    ops.chown = chown;
    ops.truncate = truncate;
    ops.utimens = utimens;
    ops.open = open;
    ops.create = create;
    ops.read = read;
    ops.write = write;
    ops.statfs = statfs;
    ops.release = release;
    ops.fsync = fsync;
    ops.opendir = opendir;
    ops.readdir = readdir;
    ops.releasedir = releasedir;
    ops.fsyncdir = fsyncdir;
    ops.access = access;
    ops.setxattr = setxattr;
    ops.getxattr = getxattr;
    ops.listxattr = listxattr;
    ops.removexattr = removexattr;
    return ops;
}

bool parse_refusals(const std::string& list) {
    std::size_t start = 0;
    while (start <= list.size()) {
        std::size_t comma = list.find(',', start);
        std::string item = list.substr(start, comma == std::string::npos ? comma : comma - start);
        if (item == "noreplace")
            refuse.noreplace = true;
        else if (item == "xattr")
            refuse.xattr = true;
        else if (item == "dirsync")
            refuse.dirsync = true;
        else if (item != "tmpfile" && !item.empty())
            return false;
        if (comma == std::string::npos) break;
        start = comma + 1;
    }
    return true;
}

}  // namespace

int main(int argc, char** argv) {
    int next = 1;
    const std::string option = "--refuse=";
    if (argc > next && std::string(argv[next]).rfind(option, 0) == 0) {
        if (!parse_refusals(std::string(argv[next]).substr(option.size()))) {
            std::fprintf(stderr, "fuse_refuse: unknown refusal in %s\n", argv[next]);
            return 2;
        }
        ++next;
    }
    if (argc - next != 2) {
        std::fprintf(stderr,
                     "usage: fuse_refuse [--refuse=tmpfile,noreplace,xattr,dirsync] "
                     "SOURCE MOUNTPOINT\n");
        return 2;
    }
    source_path = argv[next];
    source_fd = ::open(argv[next], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (source_fd < 0) {
        std::fprintf(stderr, "fuse_refuse: open %s: %s\n", argv[next], std::strerror(errno));
        return 1;
    }
    char program[] = "fuse_refuse", foreground[] = "-f", single[] = "-s";
    char* fuse_argv[] = {program, foreground, single, argv[next + 1], nullptr};
    fuse_operations ops = operations();
    return fuse_main(4, fuse_argv, &ops, nullptr);
}
