#include "cli/child_process.hpp"

#include <cerrno>
#include <csignal>
#include <system_error>

#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

int start_child(const system::SpawnRequest& request, ChildOutcome& outcome, const std::string& tool,
                std::ostream& err) {
    int pid = system::spawn(request);
    if (pid >= 0) {
        outcome.started = true;
        return pid;
    }
    const int error = errno;
    report_error(err, tool, request.argv.front(), "run command",
                 std::error_code(error, std::generic_category()).message());
    outcome.started = false;
    outcome.exit_status = error == ENOENT ? command_not_found : command_not_executable;
    return -1;
}

void wait_for_child(int pid, const std::string& program, SignalCatcher& signals,
                    ChildOutcome& outcome) {
    for (;;) {
        int waited = system::wait_child_or_signal(pid, outcome.exit_status);
        if (waited == 0) return;
        if (waited < 0) throw_errno("wait for command", program);
        int signal = signals.caught();
        signals.clear();
        if (outcome.first_signal == 0) outcome.first_signal = signal;
        // A stopped COMMAND would never act on the signal, and atomic-edit would wait for it
        // forever: wake it, as timeout(1) does.
        system::send_signal(pid, signal);
        if (signal != SIGKILL && signal != SIGCONT) system::send_signal(pid, SIGCONT);
    }
}

ChildOutcome run_child(const system::SpawnRequest& request, SignalCatcher& signals,
                       const std::string& tool, std::ostream& err) {
    ChildOutcome outcome;
    int pid = start_child(request, outcome, tool, err);
    if (pid >= 0) wait_for_child(pid, request.argv.front(), signals, outcome);
    return outcome;
}

}  // namespace atomfile::cli
