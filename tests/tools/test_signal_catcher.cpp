// SignalCatcher and the platform's signal-aware waits it relies on.
#include <doctest/doctest.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "cli/signal_catcher.hpp"
#include "platform/posix.hpp"

namespace cli = atomfile::cli;
namespace platform = atomfile::platform;

namespace {

volatile sig_atomic_t previous_handler_ran = 0;
void previous_handler(int) {
    previous_handler_ran = 1;
}

}  // namespace

TEST_CASE("a signal raised while caught is recorded instead of acting") {
    cli::SignalCatcher catcher;
    CHECK(catcher.caught() == 0);
    ::raise(SIGTERM);  // would end the test run if it acted
    CHECK(catcher.caught() == SIGTERM);
    ::raise(SIGHUP);
    CHECK(catcher.caught() == SIGTERM);  // the first one is kept
    catcher.clear();
    CHECK(catcher.caught() == SIGHUP);  // the next one was pending
}

TEST_CASE("the previous handlers come back and nothing pending leaks out") {
    struct sigaction action {};
    action.sa_handler = previous_handler;
    struct sigaction saved {};
    ::sigaction(SIGINT, &action, &saved);
    {
        cli::SignalCatcher catcher;
        ::raise(SIGINT);
        CHECK(catcher.caught() == SIGINT);
        ::raise(SIGINT);  // still pending when the catcher goes
    }
    CHECK(previous_handler_ran == 0);
    ::raise(SIGINT);
    CHECK(previous_handler_ran == 1);
    ::sigaction(SIGINT, &saved, nullptr);
}

TEST_CASE("an ignored signal stays ignored") {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    struct sigaction saved {};
    ::sigaction(SIGHUP, &ignore, &saved);
    {
        cli::SignalCatcher catcher;
        ::raise(SIGHUP);
        CHECK(catcher.caught() == 0);
    }
    struct sigaction now {};
    ::sigaction(SIGHUP, nullptr, &now);
    const bool still_ignored = now.sa_handler == SIG_IGN;
    CHECK(still_ignored);
    ::sigaction(SIGHUP, &saved, nullptr);
}

TEST_CASE("a wait for input ends when a caught signal arrives, not only when input comes") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    cli::SignalCatcher catcher;
    const pid_t self = ::getpid();
    std::thread sender([&] {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);
        std::this_thread::sleep_for(std::chrono::milliseconds(100));
        ::kill(self, SIGINT);
    });
    int result = platform::wait_readable_or_signal(fds[0]);
    sender.join();
    CHECK(result == 0);
    CHECK(catcher.caught() == SIGINT);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a wait for input reports input and end of input as ready") {
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    cli::SignalCatcher catcher;
    REQUIRE(::write(fds[1], "x", 1) == 1);
    CHECK(platform::wait_readable_or_signal(fds[0]) == 1);
    char byte;
    REQUIRE(::read(fds[0], &byte, 1) == 1);
    ::close(fds[1]);
    CHECK(platform::wait_readable_or_signal(fds[0]) == 1);
    ::close(fds[0]);
}

TEST_CASE("a wait for a child returns its status, or 1 when a caught signal comes first") {
    cli::SignalCatcher catcher;
    platform::SpawnRequest quick;
    quick.argv = {"sh", "-c", "exit 9"};
    int pid = platform::spawn(quick);
    REQUIRE(pid > 0);
    int status = -1;
    CHECK(platform::wait_child_or_signal(pid, status) == 0);
    CHECK(status == 9);

    platform::SpawnRequest slow;
    slow.argv = {"sleep", "30"};
    pid = platform::spawn(slow);
    REQUIRE(pid > 0);
    ::raise(SIGHUP);
    CHECK(platform::wait_child_or_signal(pid, status) == 1);
    CHECK(catcher.caught() == SIGHUP);
    platform::send_signal(pid, SIGKILL);
    CHECK(platform::wait_child(pid, status) == 0);
    CHECK(status == 128 + SIGKILL);
}
