// Streams into an AtomicFile's temp (replace/temp_stream.cpp): AtomicFile::write_from and
// write_original, their stop check and their write-behind.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "atomfile/replace.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;

namespace {

atomfile::ReplaceOptions fast() {
    atomfile::ReplaceOptions options;
    options.durability = atomfile::Durability::none;
    return options;
}

// Durable, so that write-behind runs (with durability none there is no disk work to start).
atomfile::ReplaceOptions durable() {
    return atomfile::ReplaceOptions();
}

}  // namespace

TEST_CASE("everything a pipe yields reaches the temp, and the count is exact") {
    ScratchDir dir;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    const std::string data(1 << 20, 'p');
    std::thread writer([&] {
        REQUIRE(::write(fds[1], data.data(), data.size()) == static_cast<ssize_t>(data.size()));
        ::close(fds[1]);
    });
    atomfile::AtomicFile file((dir / "f").string(), fast());
    CHECK(file.write_from(fds[0], [] { return false; }) == data.size());
    writer.join();
    ::close(fds[0]);
    file.commit();
    CHECK(read_file(dir / "f") == data);
}

TEST_CASE("a stop request ends the copy while it waits for input, keeping what came") {
    ScratchDir dir;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "abc", 3) == 3);
    atomfile::AtomicFile file((dir / "f").string(), fast());
    int asked = 0;
    // Asked before the first piece (no), then while waiting for more input after "abc".
    CHECK(file.write_from(fds[0], [&] { return ++asked > 2; }) == 3);
    CHECK(asked >= 3);
    CHECK(file.size() == 3);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a stop request already made moves nothing") {
    ScratchDir dir;
    write_file(dir / "in", "data");
    atomfile::AtomicFile file((dir / "f").string(), fast());
    atomfile::FileDescriptor in(::open((dir / "in").c_str(), O_RDONLY));
    CHECK(file.write_from(in.get(), [] { return true; }) == 0);
    CHECK(file.size() == 0);
}

TEST_CASE("a failed read names the step and the target, through both overloads") {
    ScratchDir dir;
    atomfile::AtomicFile file((dir / "f").string(), fast());
    int write_only = ::open((dir / "other").c_str(), O_WRONLY | O_CREAT, 0600);
    try {
        file.write_from(write_only);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step_id() == atomfile::Step::copy_into_temp);
        CHECK(e.code() == std::errc::bad_file_descriptor);
        CHECK(e.path() == file.target_path());
    }
    std::error_code ec;
    CHECK(file.write_from(write_only, ec) == 0);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(atomfile::step_of(ec) == atomfile::Step::copy_into_temp);
    ::close(write_only);
}

TEST_CASE("the old content is copied first; a missing target contributes nothing") {
    ScratchDir dir;
    write_file(dir / "f", "old;");
    {
        atomfile::AtomicFile file((dir / "f").string(), fast());
        CHECK(file.write_original() == 4);
        file.write("new");
        CHECK(file.size() == 7);
        file.commit();
    }
    CHECK(read_file(dir / "f") == "old;new");
    atomfile::AtomicFile absent((dir / "absent").string(), fast());
    CHECK(absent.write_original() == 0);
    absent.commit();
    CHECK(read_file(dir / "absent").empty());
}

TEST_CASE("the old content is read through the descriptor held since open, not the path") {
    ScratchDir dir;
    write_file(dir / "f", "opened");
    atomfile::AtomicFile file((dir / "f").string(), fast());
    write_file(dir / "other", "swapped in");
    fs::rename(dir / "other", dir / "f");
    file.write_original();
    atomfile::FileDescriptor copy = file.duplicate_original();
    char first[6];
    REQUIRE(::read(copy.get(), first, sizeof first) == 6);
    CHECK(std::string(first, 6) == "opened");
    file.commit();
    CHECK(read_file(dir / "f") == "opened");
}

namespace {

// Feeds `size` bytes of 's' into a pipe from a thread; returns the read end.
int pipe_with(std::size_t size, std::thread& writer) {
    int fds[2];
    if (::pipe(fds) != 0) return -1;
    writer = std::thread([fd = fds[1], size] {
        // A reader that stops early must cost this thread an EPIPE, not the process a SIGPIPE.
        sigset_t pipe_signal;
        sigemptyset(&pipe_signal);
        sigaddset(&pipe_signal, SIGPIPE);
        pthread_sigmask(SIG_BLOCK, &pipe_signal, nullptr);
        const std::string block(1 << 16, 's');
        for (std::size_t sent = 0; sent < size; sent += block.size())
            if (::write(fd, block.data(), block.size()) < 0) break;
        ::close(fd);
    });
    return fds[0];
}

}  // namespace

TEST_CASE("a long stream is handed to the disk every 8 MiB while it arrives") {
    ScratchDir dir;
    std::thread writer;
    int in = pipe_with(20 << 20, writer);
    REQUIRE(in >= 0);
    atomfile::AtomicFile file((dir / "f").string(), durable());
    int writebacks = 0;
    {
        CallRecorder recorder;
        CHECK(file.write_from(in) == (20u << 20));
        writebacks = recorder.count(atomfile::platform::Call::writeback);
    }
    writer.join();
    ::close(in);
    file.commit();
    // At 8 MiB: start writeback; at 16 MiB: start writeback, then wait for the first 8 MiB.
    CHECK(writebacks == 3);
    CHECK(read_file(dir / "f") == std::string(20 << 20, 's'));
}

TEST_CASE("a failed early writeback fails the copy and leaves the target as it was") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    std::thread writer;
    int in = pipe_with(10 << 20, writer);
    REQUIRE(in >= 0);
    {
        atomfile::AtomicFile file((dir / "f").string(), durable());
        ScopedFault fault(atomfile::platform::Call::writeback, EIO);
        try {
            file.write_from(in);
            FAIL("no error");
        } catch (const atomfile::Error& e) {
            CHECK(e.code() == std::errc::io_error);
            CHECK(e.path() == (dir / "f").string());
        }
    }
    ::close(in);  // the writer sees EPIPE and stops
    writer.join();
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}
