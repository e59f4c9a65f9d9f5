// open_target: the lock wait that a signal can end, and the refusal of a FILE that is not a
// regular file.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>

#include <chrono>

#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
namespace cli = atomfile::cli;
using std::chrono::milliseconds;

namespace {

atomfile::ReplaceOptions locking(milliseconds timeout) {
    atomfile::ReplaceOptions options;
    options.lock = true;
    options.lock_timeout = timeout;
    options.durability = atomfile::Durability::none;
    return options;
}

}  // namespace

TEST_CASE("without contention the file opens and commits normally") {
    ScratchDir dir;
    cli::SignalCatcher catcher;
    auto file = cli::open_target((dir / "f").string(), locking(milliseconds(1000)), catcher);
    REQUIRE(file.has_value());
    file->write("content");
    file->commit();
    CHECK(read_file(dir / "f") == "content");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a held lock times out after the whole timeout, not one slice") {
    ScratchDir dir;
    atomfile::AtomicFile holder((dir / "f").string(), locking(milliseconds(1000)));
    cli::SignalCatcher catcher;
    auto start = std::chrono::steady_clock::now();
    try {
        cli::open_target((dir / "f").string(), locking(milliseconds(450)), catcher);
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.code() == std::errc::timed_out);
        CHECK(e.step().rfind("timed out after 0.45 s waiting for the update lock on " +
                                 (dir / ".f.atomfile-lock").string() + " held by pid ",
                             0) == 0);
        CHECK(e.path() == (dir / "f").string());
    }
    CHECK(std::chrono::steady_clock::now() - start >= milliseconds(450));
}

TEST_CASE("a caught signal ends the lock wait with nothing created") {
    ScratchDir dir;
    atomfile::AtomicFile holder((dir / "f").string(), locking(milliseconds(1000)));
    cli::SignalCatcher catcher;
    ::raise(SIGTERM);
    auto start = std::chrono::steady_clock::now();
    auto file = cli::open_target((dir / "f").string(), locking(milliseconds(-1)), catcher);
    CHECK_FALSE(file.has_value());
    CHECK(catcher.caught() == SIGTERM);
    CHECK(std::chrono::steady_clock::now() - start < milliseconds(1000));
}

TEST_CASE("a FIFO, a device or a directory is refused before anything is created, saying why") {
    ScratchDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    fs::create_directory(dir / "sub");
    cli::SignalCatcher catcher;
    const std::string fifo = (dir / "fifo").string();
    CHECK_THROWS_WITH_AS(cli::open_target(fifo, locking(milliseconds(1000)), catcher),
                         (fifo +
                          ": not a regular file (a FIFO): only regular files can be "
                          "replaced atomically; to write to it, use '> " +
                          fifo + "'")
                             .c_str(),
                         cli::ToolFailure);
    CHECK_THROWS_WITH_AS(cli::open_target("/dev/null", locking(milliseconds(1000)), catcher),
                         "/dev/null: not a regular file (a character device): only regular "
                         "files can be replaced atomically; to write to it, use '> /dev/null'",
                         cli::ToolFailure);
    const std::string sub = (dir / "sub").string();
    CHECK_THROWS_WITH_AS(
        cli::open_target(sub, locking(milliseconds(1000)), catcher),
        (sub + ": is a directory: only regular files can be replaced atomically").c_str(),
        cli::ToolFailure);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"fifo", "sub"});
    CHECK(list_dir(dir / "sub").empty());
}

TEST_CASE("a symlink to a FIFO is refused when followed and replaced itself when not") {
    ScratchDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    fs::create_symlink("fifo", dir / "link");
    cli::SignalCatcher catcher;
    CHECK_THROWS_AS(cli::open_target((dir / "link").string(), locking(milliseconds(1000)), catcher),
                    cli::ToolFailure);
    auto options = locking(milliseconds(1000));
    options.follow_symlinks = false;
    auto file = cli::open_target((dir / "link").string(), options, catcher);
    REQUIRE(file.has_value());
    file->write("content");
    file->commit();
    CHECK(fs::is_regular_file(fs::symlink_status(dir / "link")));
    CHECK(read_file(dir / "link") == "content");
}
