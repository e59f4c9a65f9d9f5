// fs_shutdown MOUNTPOINT: simulates a power cut on an ext4 or XFS file system.
//
// ext4's EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH and XFS's XFS_IOC_GOINGDOWN with
// XFS_FSOP_GOING_FLAGS_NOLOGFLUSH (xfstests' "godown") stop the file system at once without
// writing the journal or any dirty page: what reached the disk stays, everything else is lost,
// exactly as if the power had gone. Every later operation on the mount fails with EIO until it
// is unmounted; mounting it again replays the journal as after a real crash. ext4 copied XFS's
// interface, so both are the same request number and flag value; the program still names the
// one it uses, so a log says which file system was cut.
//
// Exit status: 0 shut down; 1 an error (named on stderr); 2 bad usage; 3 the file system has no
// shutdown request (ENOTTY or EOPNOTSUPP: btrfs on Linux 6.18 as built here, tmpfs, overlayfs): a
// caller may test what it can without a power cut, and must say so.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <sys/vfs.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

// From the kernel's fs/ext4/ext4.h and fs/xfs/libxfs/xfs_fs.h (not exported to user space
// headers on every system).
constexpr unsigned long ext4_ioc_shutdown = _IOR('X', 125, std::uint32_t);
constexpr std::uint32_t ext4_going_flags_nologflush = 0x2;
constexpr unsigned long xfs_ioc_goingdown = _IOR('X', 125, std::uint32_t);
constexpr std::uint32_t xfs_fsop_going_flags_nologflush = 0x2;
constexpr long xfs_super_magic = 0x58465342;

struct Request {
    unsigned long number;
    std::uint32_t flags;
    const char* name;
};

Request request_for(int fd) {
    struct statfs fs {};
    if (::fstatfs(fd, &fs) == 0 && fs.f_type == xfs_super_magic)
        return {xfs_ioc_goingdown, xfs_fsop_going_flags_nologflush,
                "XFS_IOC_GOINGDOWN(NOLOGFLUSH)"};
    return {ext4_ioc_shutdown, ext4_going_flags_nologflush, "EXT4_IOC_SHUTDOWN(NOLOGFLUSH)"};
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::fprintf(stderr, "usage: fs_shutdown MOUNTPOINT\n");
        return 2;
    }
    int fd = ::open(argv[1], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        std::fprintf(stderr, "fs_shutdown: open %s: %s\n", argv[1], std::strerror(errno));
        return 1;
    }
    Request request = request_for(fd);
    std::uint32_t flags = request.flags;
    if (::ioctl(fd, request.number, &flags) != 0) {
        int error = errno;
        std::fprintf(stderr, "fs_shutdown: %s on %s: %s\n", request.name, argv[1],
                     std::strerror(error));
        ::close(fd);
        return error == ENOTTY || error == EOPNOTSUPP ? 3 : 1;
    }
    ::close(fd);
    return 0;
}
