// Running COMMAND for atomic-edit and with-tempdir.
#pragma once

#include <ostream>
#include <string>

#include "platform/posix.hpp"

namespace atomfile::cli {

class SignalCatcher;

// The outcome of running COMMAND.
struct ChildOutcome {
    bool started = false;  // false: COMMAND could not be run (a message was printed)
    int exit_status = 0;   // shell convention: its code, or 128 + the signal that ended it
    int first_signal = 0;  // the first signal forwarded to it, or 0
};

// Starts COMMAND and waits for it, forwarding every caught signal (SIGINT, SIGTERM, SIGHUP,
// SIGPIPE) to it, so that COMMAND decides how to end and the caller still cleans up afterwards.
// When it cannot be started, prints "TOOL: COMMAND: run command: reason" on err.
// Throws Error when waiting for it fails.
ChildOutcome run_child(const platform::SpawnRequest& request, SignalCatcher& signals,
                       const std::string& tool, std::ostream& err);

}  // namespace atomfile::cli
