// SignalCatcher, the waits it relies on (cli/system.hpp), and the library's stop checks.
#include <doctest/doctest.h>
#include <pthread.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include "atomfile/replace.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
namespace cli = atomfile::cli;

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

// A tool's main keeps them: a SIGTERM that comes once its files are new must not end it with
// 143, the status that says nothing changed.
TEST_CASE("a tool process keeps its signals caught to the end, so a late one cannot kill it") {
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        cli::system::keep_signals_caught_until_exit();
        { cli::SignalCatcher catcher; }
        ::raise(SIGTERM);
        ::_exit(0);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status));
    CHECK_FALSE(WIFSIGNALED(status));
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

TEST_CASE("a stream copy waiting for input ends when a caught signal arrives") {
    ScratchDir dir;
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
    atomfile::AtomicFile file((dir / "f").string());
    // The pipe stays open and empty: only the signal can end the copy.
    CHECK(file.write_from(fds[0], [&catcher] { return catcher.caught() != 0; }) == 0);
    sender.join();
    CHECK(catcher.caught() == SIGINT);
    ::close(fds[0]);
    ::close(fds[1]);
}

TEST_CASE("a wait for a child returns its status, or 1 when a caught signal comes first") {
    cli::SignalCatcher catcher;
    cli::system::SpawnRequest quick;
    quick.argv = {"sh", "-c", "exit 9"};
    int pid = cli::system::spawn(quick);
    REQUIRE(pid > 0);
    int status = -1;
    CHECK(cli::system::wait_child_or_signal(pid, status) == 0);
    CHECK(status == 9);

    cli::system::SpawnRequest slow;
    slow.argv = {"sleep", "30"};
    pid = cli::system::spawn(slow);
    REQUIRE(pid > 0);
    ::raise(SIGHUP);
    CHECK(cli::system::wait_child_or_signal(pid, status) == 1);
    CHECK(catcher.caught() == SIGHUP);
    cli::system::send_signal(pid, SIGKILL);
    CHECK(cli::system::wait_child(pid, status) == 0);
    CHECK(status == 128 + SIGKILL);
}
