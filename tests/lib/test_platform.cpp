#include <doctest/doctest.h>

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <vector>

#include "platform/posix.hpp"
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
