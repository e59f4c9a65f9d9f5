// copy_stream and copy_original_content: moving bytes into an AtomicFile's temp.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <string>
#include <thread>

#include "cli/signal_catcher.hpp"
#include "cli/stream_copy.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
namespace cli = atomfile::cli;

namespace {

atomfile::ReplaceOptions fast() {
    atomfile::ReplaceOptions options;
    options.durability = atomfile::Durability::none;
    return options;
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
    cli::SignalCatcher catcher;
    atomfile::AtomicFile file((dir / "f").string(), fast());
    CHECK(cli::copy_stream(fds[0], file, "copy") == data.size());
    writer.join();
    ::close(fds[0]);
    file.commit();
    CHECK(read_file(dir / "f") == data);
}

TEST_CASE("a caught signal stops the copy while it waits for input") {
    ScratchDir dir;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    REQUIRE(::write(fds[1], "abc", 3) == 3);
    cli::SignalCatcher catcher;
    atomfile::AtomicFile file((dir / "f").string(), fast());
    ::raise(SIGINT);  // pending: seen at the first wait for more input
    CHECK(cli::copy_stream(fds[0], file, "copy") == 0);
    CHECK(catcher.caught() == SIGINT);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a failed read names the step and the target") {
    ScratchDir dir;
    cli::SignalCatcher catcher;
    atomfile::AtomicFile file((dir / "f").string(), fast());
    int write_only = ::open((dir / "other").c_str(), O_WRONLY | O_CREAT, 0600);
    try {
        cli::copy_stream(write_only, file, "copy standard input into temp file");
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.step() == "copy standard input into temp file");
        CHECK(e.path() == file.target_path());
    }
    ::close(write_only);
}

TEST_CASE("the old content is copied first; a missing target contributes nothing") {
    ScratchDir dir;
    write_file(dir / "f", "old;");
    cli::SignalCatcher catcher;
    {
        atomfile::AtomicFile file((dir / "f").string(), fast());
        cli::copy_original_content(file, catcher);
        file.write("new");
        file.commit();
    }
    CHECK(read_file(dir / "f") == "old;new");
    atomfile::AtomicFile absent((dir / "absent").string(), fast());
    cli::copy_original_content(absent, catcher);
    absent.commit();
    CHECK(read_file(dir / "absent").empty());
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
    cli::SignalCatcher catcher;
    atomfile::AtomicFile file((dir / "f").string(), fast());
    int writebacks = 0;
    {
        CallRecorder recorder;
        CHECK(cli::copy_stream(in, file, "copy") == (20u << 20));
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
    cli::SignalCatcher catcher;
    {
        atomfile::AtomicFile file((dir / "f").string(), fast());
        ScopedFault fault(atomfile::platform::Call::writeback, EIO);
        try {
            cli::copy_stream(in, file, "copy standard input into temp file");
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
