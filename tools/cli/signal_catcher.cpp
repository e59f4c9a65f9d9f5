#include "cli/signal_catcher.hpp"

#include "cli/system.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

const std::vector<int>& SignalCatcher::signals() {
    static const std::vector<int> list = {system::signal_interrupt, system::signal_terminate,
                                          system::signal_hangup, system::signal_pipe};
    return list;
}

SignalCatcher::SignalCatcher() {
    if (system::catch_signals(signals()) != 0) {
        system::release_signals();
        throw_errno("install signal handlers", "");
    }
}

SignalCatcher::~SignalCatcher() {
    system::release_signals();
}

int SignalCatcher::caught() const {
    return system::caught_signal();
}

void SignalCatcher::clear() {
    system::clear_caught_signal();
}

}  // namespace atomfile::cli
