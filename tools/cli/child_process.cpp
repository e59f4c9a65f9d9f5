#include "cli/child_process.hpp"

#include <cerrno>
#include <system_error>

#include "atomfile/error.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

ChildOutcome run_child(const platform::SpawnRequest& request, SignalCatcher& signals,
                       const std::string& tool, std::ostream& err) {
    ChildOutcome outcome;
    const std::string& program = request.argv.front();
    int pid = platform::spawn(request);
    if (pid < 0) {
        report_error(err, tool, program, "run command",
                     std::error_code(errno, std::generic_category()).message());
        return outcome;
    }
    outcome.started = true;
    for (;;) {
        int waited = platform::wait_child_or_signal(pid, outcome.exit_status);
        if (waited == 0) return outcome;
        if (waited < 0) throw_errno("wait for command", program);
        int signal = signals.caught();
        signals.clear();
        if (outcome.first_signal == 0) outcome.first_signal = signal;
        platform::send_signal(pid, signal);
    }
}

}  // namespace atomfile::cli
