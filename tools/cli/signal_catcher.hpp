// Catching SIGINT, SIGTERM, SIGHUP and SIGPIPE for the lifetime of a tool's run, so the tool
// can clean up (discard its temp, remove its directory) and exit with 128 + the signal.
#pragma once

#include <vector>

namespace atomfile::cli {

// While alive, the signals are recorded instead of acting, and are delivered only inside
// system::wait_child_or_signal() (cli/system.hpp) or seen by caught(), which the library's
// waits ask through their cancel and stop callbacks; so no signal is lost between a check and
// a blocking call. One catcher at a time per process;
// the destructor restores the previous handlers and mask.
class SignalCatcher {
  public:
    // Throws Error when the handlers cannot be installed.
    SignalCatcher();
    ~SignalCatcher();
    SignalCatcher(const SignalCatcher&) = delete;
    SignalCatcher& operator=(const SignalCatcher&) = delete;

    // The signal caught so far (first one), or 0.
    int caught() const;
    // Forgets the caught signal so the next one is seen too.
    void clear();

    static const std::vector<int>& signals();
};

}  // namespace atomfile::cli
