// run_child: starting COMMAND and forwarding signals to it.
#include <doctest/doctest.h>
#include <signal.h>

#include <sstream>

#include "cli/child_process.hpp"
#include "cli/signal_catcher.hpp"

namespace cli = atomfile::cli;
namespace platform = atomfile::platform;

TEST_CASE("a child's status comes back in the shell convention") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    platform::SpawnRequest request;
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
    platform::SpawnRequest request;
    request.argv = {"/nonexistent/atomfile-program"};
    auto outcome = cli::run_child(request, catcher, "tool", err);
    CHECK_FALSE(outcome.started);
    CHECK(err.str() ==
          "tool: /nonexistent/atomfile-program: run command: No such file or directory\n");
}

TEST_CASE("a caught signal is forwarded to the child and remembered") {
    cli::SignalCatcher catcher;
    std::ostringstream err;
    platform::SpawnRequest request;
    request.argv = {"sleep", "30"};
    ::raise(SIGTERM);  // pending: forwarded as soon as the child runs
    auto outcome = cli::run_child(request, catcher, "tool", err);
    CHECK(outcome.started);
    CHECK(outcome.first_signal == SIGTERM);
    CHECK(outcome.exit_status == 128 + SIGTERM);  // sleep died of it, long before 30 s
}
