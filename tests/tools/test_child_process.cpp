// run_child: starting COMMAND and forwarding signals to it.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <thread>

#include "cli/child_process.hpp"
#include "cli/signal_catcher.hpp"
#include "support/test_support.hpp"

namespace cli = atomfile::cli;

using namespace atomfile::test;

TEST_CASE("a child's status comes back in the shell convention") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {"sh", "-c", "exit 4"};
    auto outcome = cli::run_child(request, catcher, "tool", err);
    CHECK(outcome.started);
    CHECK(outcome.exit_status == 4);
    CHECK(outcome.first_signal == 0);
    request.argv = {"sh", "-c", "kill -HUP $$"};
    CHECK(cli::run_child(request, catcher, "tool", err).exit_status == 128 + SIGHUP);
    CHECK(err.str().empty());
}

TEST_CASE("a program that cannot be run is reported, not started") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {"/nonexistent/atomfile-program"};
    auto outcome = cli::run_child(request, catcher, "tool", err);
    CHECK_FALSE(outcome.started);
    CHECK(err.str() ==
          "tool: /nonexistent/atomfile-program: run command: No such file or directory\n");
}

TEST_CASE("a caught signal is forwarded to the child and remembered") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {"sleep", "30"};
    ::raise(SIGTERM);  // pending: forwarded as soon as the child runs
    auto outcome = cli::run_child(request, catcher, "tool", err);
    CHECK(outcome.started);
    CHECK(outcome.first_signal == SIGTERM);
    CHECK(outcome.exit_status == 128 + SIGTERM);  // sleep died of it, long before 30 s
}

TEST_CASE("a forwarded signal reaches a stopped child, which is woken to act on it") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {"sh", "-c", "kill -STOP $$; sleep 30"};
    // The signal comes once the child has stopped itself (without SIGCONT: a hang).
    std::thread later([] {
        std::this_thread::sleep_for(std::chrono::milliseconds(500));
        ::kill(::getpid(), SIGTERM);
    });
    auto outcome = cli::run_child(request, catcher, "tool", err);
    later.join();
    CHECK(outcome.first_signal == SIGTERM);
    CHECK(outcome.exit_status == 128 + SIGTERM);
}

TEST_CASE("a program found but not executable gives 126, one not found 127, as env does") {
    ScratchDir dir;
    write_file(dir / "script", "#!/bin/sh\necho ran\n");
    ::chmod((dir / "script").c_str(), 0644);
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {(dir / "script").string()};
    auto not_executable = cli::run_child(request, catcher, "tool", err);
    CHECK_FALSE(not_executable.started);
    CHECK(not_executable.exit_status == cli::command_not_executable);
    CHECK(cli::command_not_executable == 126);
    request.argv = {dir.path().string()};  // a directory
    CHECK(cli::run_child(request, catcher, "tool", err).exit_status == 126);
    request.argv = {(dir / "absent").string()};
    auto not_found = cli::run_child(request, catcher, "tool", err);
    CHECK_FALSE(not_found.started);
    CHECK(not_found.exit_status == cli::command_not_found);
    CHECK(cli::command_not_found == 127);
    CHECK(err.str() == "tool: " + (dir / "script").string() + ": run command: Permission denied\n" +
                           "tool: " + dir.path().string() + ": run command: Permission denied\n" +
                           "tool: " + (dir / "absent").string() +
                           ": run command: No such file or directory\n");
}

TEST_CASE("a signal caught between start_child and wait_for_child is forwarded at once") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    cli::system::SpawnRequest request;
    request.argv = {"sleep", "30"};
    cli::ChildOutcome outcome;
    int pid = cli::start_child(request, outcome, "tool", err);
    REQUIRE(pid > 0);
    CHECK(outcome.started);
    ::raise(SIGINT);  // caught while the caller did other work (atomic-edit copying output)
    cli::wait_for_child(pid, "sleep", catcher, outcome);
    CHECK(outcome.first_signal == SIGINT);
    CHECK(outcome.exit_status == 128 + SIGINT);
    CHECK(catcher.caught() == 0);  // forwarded, so the next one is seen too
}
