#include "platform/linux_io.hpp"

#include <fcntl.h>
#include <linux/fs.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/sendfile.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "platform/call_support.hpp"

namespace atomfile::platform {

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

const char* map_file(int fd, std::size_t size) {
    ATOMFILE_INJECT(Call::read, nullptr);
    void* address = ::mmap(nullptr, size, PROT_READ, MAP_PRIVATE, fd, 0);
    return address == MAP_FAILED ? nullptr : static_cast<const char*>(address);
}

void unmap_file(const char* address, std::size_t size) {
    ::munmap(const_cast<char*>(address), size);
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

long transfer_range(int in_fd, std::int64_t& in_offset, int out_fd, std::size_t size,
                    std::vector<char>& buffer) {
    ATOMFILE_INJECT(Call::copy, -1);
    loff_t offset = in_offset;
    long moved =
        retry_on_eintr([&] { return ::copy_file_range(in_fd, &offset, out_fd, nullptr, size, 0); });
    if (moved < 0 && (errno == EXDEV || errno == EINVAL || errno == ENOSYS || errno == EOPNOTSUPP))
        moved = retry_on_eintr([&] { return ::sendfile(out_fd, in_fd, &offset, size); });
    if (moved >= 0) {
        in_offset = offset;
        return moved;
    }
    if (errno != EINVAL && errno != ENOSYS) return -1;
    constexpr std::size_t buffer_size = 256 * 1024;
    if (buffer.size() < buffer_size) buffer.resize(buffer_size);
    long got = pread_some(in_fd, buffer.data(), std::min(size, buffer.size()), in_offset);
    if (got <= 0) return got;
    if (write_all(out_fd, buffer.data(), static_cast<std::size_t>(got)) != 0) return -1;
    in_offset += got;
    return got;
}

void preallocate(int fd, std::int64_t offset, std::int64_t length) {
    if (length <= 0 || injected(Call::allocate)) return;
    ::fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, length);
}

int clone_file(int in_fd, int out_fd) {
    ATOMFILE_INJECT(Call::copy, -1);
    return ::ioctl(out_fd, FICLONE, in_fd);
}

bool clone_unsupported(int error) {
    return error == EOPNOTSUPP || error == EXDEV || error == EINVAL || error == ENOTTY;
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

int wait_readable(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::wait, -1);
    struct pollfd entry = {fd, POLLIN, 0};
    const int ready = ::poll(&entry, 1, static_cast<int>(timeout_ms));
    return ready < 0 ? -1 : ready;
}

void grow_pipe_buffer(int fd, std::size_t size) {
    ::fcntl(fd, F_SETPIPE_SZ, static_cast<int>(size));  // refused (EBADF) for anything else
}

}  // namespace atomfile::platform
