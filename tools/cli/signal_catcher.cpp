#include "cli/signal_catcher.hpp"

#include "error_support.hpp"
#include "platform/posix.hpp"

namespace atomfile::cli {

const std::vector<int>& SignalCatcher::signals() {
    static const std::vector<int> list = {platform::signal_interrupt, platform::signal_terminate,
                                          platform::signal_hangup, platform::signal_pipe};
    return list;
}

SignalCatcher::SignalCatcher() {
    if (platform::catch_signals(signals()) != 0) {
        platform::release_signals();
        throw_errno("install signal handlers", "");
    }
}

SignalCatcher::~SignalCatcher() {
    platform::release_signals();
}

int SignalCatcher::caught() const {
    return platform::caught_signal();
}

void SignalCatcher::clear() {
    platform::clear_caught_signal();
}

}  // namespace atomfile::cli
