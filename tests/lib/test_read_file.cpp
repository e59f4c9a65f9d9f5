#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <string>
#include <thread>
#include <utility>

#include "atomfile/error.hpp"
#include "atomfile/read_file.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
using atomfile::platform::Call;

namespace {

// Writes content into a pipe from another thread (more than a pipe buffer holds, so the reader
// must really loop) and returns the read end.
struct PipeFeeder {
    int read_end = -1;
    std::thread writer;
    explicit PipeFeeder(std::string content) {
        int fds[2];
        REQUIRE(::pipe(fds) == 0);
        read_end = fds[0];
        writer = std::thread([fd = fds[1], content = std::move(content)] {
            std::size_t done = 0;
            while (done < content.size()) {
                ssize_t n = ::write(fd, content.data() + done, content.size() - done);
                if (n <= 0) break;
                done += static_cast<std::size_t>(n);
            }
            ::close(fd);
        });
    }
    ~PipeFeeder() {
        writer.join();
        ::close(read_end);
    }
};

std::string big_text() {
    std::string text;
    for (int i = 0; text.size() < 300000; ++i) text += std::to_string(i) + ",";
    return text;
}

}  // namespace

TEST_CASE("read_file returns the whole content of a regular file") {
    ScratchDir dir;
    std::string text = big_text();
    write_file(dir / "a", text);
    CHECK(atomfile::read_file((dir / "a").string()) == text);
    write_file(dir / "empty", "");
    CHECK(atomfile::read_file((dir / "empty").string()).empty());
}

TEST_CASE("read_file reads input that cannot seek: a pipe through /dev/fd and a FIFO") {
    std::string text = big_text();
    PipeFeeder feeder(text);
    CHECK(atomfile::read_file("/dev/fd/" + std::to_string(feeder.read_end)) == text);

    ScratchDir dir;
    std::string fifo = (dir / "fifo").string();
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    std::thread writer([&] { write_file(fifo, "{\"a\": 1}"); });
    std::string got = atomfile::read_file(fifo);
    writer.join();
    CHECK(got == "{\"a\": 1}");
}

TEST_CASE("read_descriptor reads from the current offset of an open descriptor") {
    std::string text = big_text();
    PipeFeeder feeder(text);
    CHECK(atomfile::read_descriptor(feeder.read_end, "pipe") == text);
}

TEST_CASE("read_file errors name the path and the step and keep the errno") {
    ScratchDir dir;
    std::string missing = (dir / "missing").string();
    try {
        atomfile::read_file(missing);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "open");
        CHECK(e.path() == missing);
        CHECK(e.code() == std::errc::no_such_file_or_directory);
    }
    try {
        atomfile::read_file(dir.path().string());
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "open");
        CHECK(e.code() == std::errc::is_a_directory);
    }
    std::error_code ec;
    CHECK(atomfile::read_file(missing, atomfile::no_size_limit, ec).empty());
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("read_file refuses content over max_size and stops reading there") {
    ScratchDir dir;
    write_file(dir / "a", "0123456789");
    CHECK(atomfile::read_file((dir / "a").string(), 10) == "0123456789");
    try {
        atomfile::read_file((dir / "a").string(), 9);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "check size");
        CHECK(e.code() == std::errc::file_too_large);
    }
    // An endless input: /dev/zero would never end; the limit ends it.
    std::error_code ec;
    CHECK(atomfile::read_file("/dev/zero", 1 << 20, ec).empty());
    CHECK(ec == std::errc::file_too_large);
}

TEST_CASE("read_file goes through the fault seam: a failed open or read is reported") {
    ScratchDir dir;
    std::string path = (dir / "a").string();
    write_file(path, "content");
    for (Call call : {Call::open, Call::read}) {
        CAPTURE(atomfile::platform::call_name(call));
        ScopedFault fault(call, EIO, 0);
        std::error_code ec;
        CHECK(atomfile::read_file(path, atomfile::no_size_limit, ec).empty());
        CHECK(ec == std::errc::io_error);
        CHECK(fault.fired());
        try {
            atomfile::read_file(path);
            FAIL("no error");
        } catch (const atomfile::Error& e) {
            CHECK(e.step() == (call == Call::open ? "open" : "read"));
            CHECK(e.path() == path);
        }
    }
}

TEST_CASE("map_file maps a regular file and reads anything else into memory it owns") {
    ScratchDir dir;
    std::string text = big_text();
    write_file(dir / "a", text);
    atomfile::FileContent mapped = atomfile::map_file((dir / "a").string());
    CHECK(mapped.mapped());
    CHECK(mapped.view() == text);
    atomfile::FileContent moved = std::move(mapped);
    CHECK(moved.view() == text);
    CHECK(mapped.view().empty());  // NOLINT(bugprone-use-after-move): moved-from is empty

    write_file(dir / "empty", "");
    atomfile::FileContent empty = atomfile::map_file((dir / "empty").string());
    CHECK_FALSE(empty.mapped());
    CHECK(empty.view().empty());

    PipeFeeder feeder(text);
    atomfile::FileContent piped = atomfile::map_file("/dev/fd/" + std::to_string(feeder.read_end));
    CHECK_FALSE(piped.mapped());
    CHECK(piped.view() == text);
}

TEST_CASE("map_descriptor maps from the start whatever the offset, and keeps the size limit") {
    ScratchDir dir;
    write_file(dir / "a", "0123456789");
    int fd = ::open((dir / "a").c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    REQUIRE(::lseek(fd, 4, SEEK_SET) == 4);
    CHECK(atomfile::map_descriptor(fd, "a").view() == "0123456789");
    CHECK(::lseek(fd, 0, SEEK_CUR) == 4);
    std::error_code ec;
    CHECK(atomfile::map_descriptor(fd, "a", 9, ec).view().empty());
    CHECK(ec == std::errc::file_too_large);
    ::close(fd);
    try {
        atomfile::map_file((dir / "a").string(), 9);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "check size");
    }
    CHECK_THROWS_AS(atomfile::map_file(dir.path().string()), atomfile::Error);  // a directory
}

TEST_CASE("map_file goes through the fault seam: a failed mapping is a read error") {
    ScratchDir dir;
    std::string path = (dir / "a").string();
    write_file(path, "content");
    ScopedFault fault(Call::read, ENOMEM, 0);
    std::error_code ec;
    CHECK(atomfile::map_file(path, atomfile::no_size_limit, ec).view().empty());
    CHECK(ec == std::errc::not_enough_memory);
    CHECK(fault.fired());
    try {
        atomfile::map_file(path);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "read");
        CHECK(e.path() == path);
    }
}
