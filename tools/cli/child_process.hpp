// Running COMMAND for atomic-edit and with-tempdir.
#pragma once

#include <ostream>
#include <string>

#include "cli/system.hpp"

namespace atomfile::cli {

class SignalCatcher;

// The statuses of a COMMAND that could not be started, as env, nice and timeout give them.
inline constexpr int command_not_found = 127;       // no such program
inline constexpr int command_not_executable = 126;  // found, but exec refused it (EACCES...)

// The outcome of running COMMAND.
struct ChildOutcome {
    bool started = false;  // false: COMMAND could not be run (a message was printed)
    int exit_status = 0;   // its code, or 128 + the signal that ended it; when not started,
                           // command_not_found or command_not_executable
    int first_signal = 0;  // the first signal forwarded to it, or 0
};

// Starts COMMAND and returns its pid. When it cannot be started, prints
// "TOOL: COMMAND: run command: reason" on err, sets outcome.exit_status to 127 (ENOENT) or 126
// (anything else) and returns -1.
int start_child(const system::SpawnRequest& request, ChildOutcome& outcome, const std::string& tool,
                std::ostream& err);

// Waits for the started child pid, forwarding every caught signal (SIGINT, SIGTERM, SIGHUP,
// SIGPIPE) to it, a signal caught before the call included, so that COMMAND decides how to end
// and the caller still cleans up afterwards. Sets outcome.exit_status and first_signal.
// Throws Error naming program when waiting fails.
void wait_for_child(int pid, const std::string& program, SignalCatcher& signals,
                    ChildOutcome& outcome);

// start_child, then wait_for_child.
ChildOutcome run_child(const system::SpawnRequest& request, SignalCatcher& signals,
                       const std::string& tool, std::ostream& err);

}  // namespace atomfile::cli
