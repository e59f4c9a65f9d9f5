// open_target: the lock wait that a signal can end.
#include <doctest/doctest.h>
#include <signal.h>

#include <chrono>

#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
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
        CHECK(e.step() == "wait for update lock (gave up after 450 ms)");
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
