#include "cli/open_target.hpp"

#include <algorithm>
#include <chrono>

#include "atomfile/error.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"
#include "platform/posix.hpp"
#include "replace/steps.hpp"

namespace atomfile::cli {

namespace {

using Clock = std::chrono::steady_clock;
using std::chrono::milliseconds;

// The engine's lock wait cannot see the tool's signals (they stay blocked outside the tool's
// own waits), so the wait is cut into slices of this length with a signal check between them.
constexpr milliseconds slice{100};

bool is_timeout(const Error& e) {
    return e.code() == std::errc::timed_out;
}

// The engine refuses these too, but after resolving the path itself: /dev/stdout on a pipe
// resolves to "pipe:[N]", a name that does not exist, and the refusal would be about a temp.
void refuse_non_regular(const std::string& path, bool follow) {
    platform::FileKind kind = platform::FileKind::regular;
    if (platform::file_kind_at(platform::current_directory, path.c_str(), follow, kind) != 0)
        return;  // missing (created) or unreachable: the engine reports it with its step
    if (kind == platform::FileKind::regular || kind == platform::FileKind::symlink) return;
    throw ToolFailure(not_regular_message(path));
}

}  // namespace

std::optional<AtomicFile> open_target(const std::string& path, const ReplaceOptions& options,
                                      const SignalCatcher& signals) {
    refuse_non_regular(path, options.follow_symlinks);
    if (!options.lock) return AtomicFile(path, options);
    const bool forever = options.lock_timeout.count() < 0;
    const Clock::time_point deadline = Clock::now() + options.lock_timeout;
    ReplaceOptions sliced = options;
    for (;;) {
        if (signals.caught() != 0) return std::nullopt;
        auto left = std::chrono::duration_cast<milliseconds>(deadline - Clock::now());
        sliced.lock_timeout = forever ? slice : std::clamp(left, milliseconds(0), slice);
        try {
            return AtomicFile(path, sliced);
        } catch (const Error& e) {
            if (!is_timeout(e)) throw;
            if (!forever && Clock::now() >= deadline) {
                throw Error(e.code(), e.step_id(), e.path(), e.second_path(),
                            replace::step::lock_timed_out_after(e.step(), options.lock_timeout));
            }
        }
    }
}

}  // namespace atomfile::cli
