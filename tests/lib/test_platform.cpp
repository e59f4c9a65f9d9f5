#include <doctest/doctest.h>

#include <cerrno>

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
