// fs_shutdown MOUNTPOINT: simulates a power cut on an ext4 file system.
//
// EXT4_IOC_SHUTDOWN with EXT4_GOING_FLAGS_NOLOGFLUSH stops the file system at once without
// writing the journal or any dirty page: what reached the disk stays, everything else is lost,
// exactly as if the power had gone. Every later operation on the mount fails with EIO until it
// is unmounted; mounting it again replays the journal as after a real crash.
#include <fcntl.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cerrno>
#include <cstdint>
#include <cstdio>
#include <cstring>

namespace {

// From the kernel's fs/ext4/ext4.h (not exported to user space headers on every system).
constexpr unsigned long ext4_ioc_shutdown = _IOR('X', 125, std::uint32_t);
constexpr std::uint32_t ext4_going_flags_nologflush = 0x2;

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
    std::uint32_t flags = ext4_going_flags_nologflush;
    if (::ioctl(fd, ext4_ioc_shutdown, &flags) != 0) {
        std::fprintf(stderr, "fs_shutdown: shut down %s: %s\n", argv[1], std::strerror(errno));
        ::close(fd);
        return 1;
    }
    ::close(fd);
    return 0;
}
