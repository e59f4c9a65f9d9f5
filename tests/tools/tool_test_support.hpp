// Helpers the tool tests share: capturing a direct call of a tool's run_* function, starting a
// built tool as a child process, and waiting for a child without hanging the suite.
#pragma once

#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <ostream>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

namespace atomfile::test {

struct DirectRun {
    int status = -1;
    std::string out;
    std::string err;
};

// Calls run(out, err) (a run_* function bound to its arguments) and captures both streams.
template <typename Run>
DirectRun capture_run(Run&& run) {
    std::ostringstream out, err;
    DirectRun result;
    result.status = run(out, err);
    result.out = out.str();
    result.err = err.str();
    return result;
}

// Waits (up to about 20 s) for a process; returns its raw status, or kills it and fails.
inline int wait_with_deadline(pid_t pid) {
    for (int i = 0; i < 2000; ++i) {
        int status = 0;
        if (::waitpid(pid, &status, WNOHANG) == pid) return status;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGKILL);
    int status = 0;
    ::waitpid(pid, &status, 0);
    FAIL("the process did not end in time");
    return status;
}

// Starts argv (argv[0] a path) in a child process and returns its pid; the child exits 127 when
// argv[0] cannot be run.
inline pid_t start_program(std::vector<std::string> argv) {
    pid_t pid = ::fork();
    if (pid == 0) {
        std::vector<char*> raw;
        for (auto& arg : argv) raw.push_back(arg.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
    }
    return pid;
}

}  // namespace atomfile::test
