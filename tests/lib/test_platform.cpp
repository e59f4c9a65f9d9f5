#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <string>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "platform/linux.hpp"
#include "support/test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("an exclusive create gets exactly the requested mode whatever the umask") {
    ScratchDir dir;
    int dir_fd = platform::open_directory(platform::current_directory, dir.path().c_str());
    REQUIRE(dir_fd >= 0);
    int fd = platform::create_exclusive(dir_fd, "f", 0640);
    REQUIRE(fd >= 0);
    CHECK(file_mode(dir / "f") == 0640);
    platform::close_fd(fd);
    platform::close_fd(dir_fd);
}

TEST_CASE("an exclusive create refuses a name that exists, even as a dangling symlink") {
    ScratchDir dir;
    fs::create_symlink(dir / "nowhere", dir / "link");
    int dir_fd = platform::open_directory(platform::current_directory, dir.path().c_str());
    CHECK(platform::create_exclusive(dir_fd, "link", 0600) == -1);
    CHECK(errno == EEXIST);
    CHECK_FALSE(fs::exists(dir / "nowhere"));
    platform::close_fd(dir_fd);
}

TEST_CASE("the fault seam fails the chosen call with the chosen errno and only that one") {
    ScratchDir dir;
    int dir_fd = platform::open_directory(platform::current_directory, dir.path().c_str());
    int fd = platform::create_exclusive(dir_fd, "f", 0600);
    {
        ScopedFault fault(platform::Call::fsync, EIO);
        CHECK(platform::write_all(fd, "x", 1) == 0);
        CHECK(platform::sync_fd(fd, platform::SyncKind::full) == -1);
        CHECK(errno == EIO);
        CHECK(fault.fired());
        CHECK(platform::sync_fd(fd, platform::SyncKind::full) == 0);
    }
    platform::close_fd(fd);
    platform::close_fd(dir_fd);
}

TEST_CASE("every descriptor the platform opens is close-on-exec") {
    ScratchDir dir;
    int dir_fd = platform::open_directory(platform::current_directory, dir.path().c_str());
    int fd = platform::create_exclusive(dir_fd, "f", 0600);
    int anonymous = platform::create_anonymous(dir_fd, 0600);
    CHECK(platform::is_close_on_exec(dir_fd) == 1);
    CHECK(platform::is_close_on_exec(fd) == 1);
    if (anonymous >= 0) CHECK(platform::is_close_on_exec(anonymous) == 1);
    platform::close_fd(anonymous);
    platform::close_fd(fd);
    platform::close_fd(dir_fd);
}

TEST_CASE("huge-page advice keeps every byte of a buffer, whatever its size and alignment") {
    for (std::size_t size :
         {std::size_t{0}, std::size_t{1}, std::size_t{4096}, std::size_t{5 * 1024 * 1024}}) {
        std::string buffer(size + 1, 'y');
        platform::advise_huge_pages(buffer.data() + 1, size);  // after the bytes are written
        CHECK(buffer == std::string(size + 1, 'y'));
        buffer.assign(size, 'x');
        CHECK(buffer == std::string(size, 'x'));
    }
}

namespace {

// A pipe holding `sent` with its write end closed, and an empty file in a scratch directory:
// the two ends of a transfer.
struct PipeIntoFile {
    explicit PipeIntoFile(const std::string& sent) {
        REQUIRE(::pipe(pipe_fds) == 0);
        REQUIRE(::write(pipe_fds[1], sent.data(), sent.size()) ==
                static_cast<ssize_t>(sent.size()));
        ::close(pipe_fds[1]);
        out = platform::create_exclusive(platform::current_directory, (dir / "out").c_str(), 0600);
        REQUIRE(out >= 0);
    }
    ~PipeIntoFile() {
        platform::close_fd(out);
        ::close(pipe_fds[0]);
    }
    long transfer(std::size_t size) {
        return platform::transfer(pipe_fds[0], out, size, platform::InputKind::pipe, buffer);
    }

    ScratchDir dir;
    int pipe_fds[2] = {-1, -1};
    int out = -1;
    std::vector<char> buffer;
};

}  // namespace

TEST_CASE("a pipe is transferred through the caller's buffer, sized once and reused") {
    const std::string sent = "first piece|second piece";
    PipeIntoFile ends(sent);
    CHECK(ends.transfer(11) == 11);
    const std::size_t sized = ends.buffer.size();
    CHECK(sized >= sent.size());
    const char* storage = ends.buffer.data();
    CHECK(ends.transfer(1 << 20) == static_cast<long>(sent.size() - 11));
    CHECK(ends.transfer(1 << 20) == 0);
    CHECK(ends.buffer.size() == sized);
    CHECK(ends.buffer.data() == storage);
    CHECK(read_file(ends.dir / "out") == sent);
}

TEST_CASE("a pipe transfer whose write fails reports the write's errno, not a short count") {
    PipeIntoFile ends("data");
    long moved;
    int error;
    {
        ScopedFault disk_full(platform::Call::write, ENOSPC);
        moved = ends.transfer(4);
        error = errno;
        CHECK(disk_full.fired());
    }
    CHECK(moved == -1);
    CHECK(error == ENOSPC);
}

TEST_CASE("an interrupted write inside a pipe transfer is retried, so no byte read is lost") {
    PipeIntoFile ends("data");
    {
        ScopedFault interrupted(platform::Call::write, EINTR);
        CHECK(ends.transfer(4) == 4);
        CHECK(interrupted.fired());
    }
    CHECK(read_file(ends.dir / "out") == "data");
}

namespace {

// How many pages of [offset, offset + length) of fd are in the page cache (mincore).
std::size_t resident_pages(int fd, std::size_t offset, std::size_t length) {
    void* map = ::mmap(nullptr, length, PROT_READ, MAP_SHARED, fd, static_cast<off_t>(offset));
    REQUIRE(map != MAP_FAILED);
    const std::size_t page = static_cast<std::size_t>(::sysconf(_SC_PAGESIZE));
    std::vector<unsigned char> in_core((length + page - 1) / page);
    REQUIRE(::mincore(map, length, in_core.data()) == 0);
    ::munmap(map, length);
    std::size_t count = 0;
    for (unsigned char flags : in_core) count += flags & 1;
    return count;
}

bool on_tmpfs(const std::filesystem::path& path) {
    struct statfs status {};
    return ::statfs(path.c_str(), &status) == 0 && status.f_type == 0x01021994;  // TMPFS_MAGIC
}

}  // namespace

TEST_CASE("write-behind retires the earlier range from the page cache and keeps every byte") {
    ScratchDir dir;
    if (on_tmpfs(dir.path())) return;  // tmpfs pages are the file: nothing to write back
    constexpr std::size_t piece = 8 << 20;
    std::string content(2 * piece, 'x');
    for (std::size_t i = 0; i < content.size(); i += 4096) content[i] = static_cast<char>(i >> 12);
    FileDescriptor fd(
        platform::create_exclusive(platform::current_directory, (dir / "f").c_str(), 0600));
    REQUIRE(fd);
    REQUIRE(platform::write_all(fd.get(), content.data(), content.size()) == 0);
    REQUIRE(platform::write_behind(fd.get(), 0, piece, piece) == 0);
    CHECK(resident_pages(fd.get(), 0, piece) == 0);
    CHECK(resident_pages(fd.get(), piece, piece) > 0);
    CHECK(read_file(dir / "f") == content);
}

TEST_CASE("a failure while write-behind waits for the earlier range is reported") {
    ScratchDir dir;
    FileDescriptor fd(
        platform::create_exclusive(platform::current_directory, (dir / "f").c_str(), 0600));
    REQUIRE(fd);
    REQUIRE(platform::write_all(fd.get(), "0123456789", 10) == 0);
    ScopedFault failed_wait(platform::Call::writeback, EIO, 2);  // 1: start, 2: wait
    CHECK(platform::write_behind(fd.get(), 0, 5, 5) == -1);
    CHECK(errno == EIO);
    CHECK(failed_wait.fired());
}
