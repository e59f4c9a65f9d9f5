#include "cli/open_target.hpp"

#include "atomfile/error.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

namespace {

// The engine refuses these too, but after resolving the path itself: /dev/stdout on a pipe
// resolves to "pipe:[N]", a name that does not exist, and the refusal would be about a temp.
void refuse_non_regular(const std::string& path, bool follow) {
    system::FileKind kind = system::FileKind::regular;
    if (system::file_kind_at(path.c_str(), follow, kind) != 0)
        return;  // missing (created) or unreachable: the engine reports it with its step
    if (kind == system::FileKind::regular || kind == system::FileKind::symlink) return;
    throw ToolFailure(not_regular_message(path));
}

}  // namespace

std::optional<AtomicFile> open_target(const std::string& path, const ReplaceOptions& options,
                                      const SignalCatcher& signals) {
    refuse_non_regular(path, options.follow_symlinks);
    // The tool's signals stay blocked outside its own waits, so the engine's lock wait asks.
    ReplaceOptions cancellable = options;
    cancellable.cancel_lock_wait = [&signals] { return signals.caught() != 0; };
    try {
        return AtomicFile(path, cancellable);
    } catch (const Error& e) {
        if (e.errno_code() == std::errc::operation_canceled && signals.caught() != 0)
            return std::nullopt;
        throw;
    }
}

std::uint64_t copy_into(AtomicFile& file, int in_fd, const SignalCatcher& signals,
                        const std::string& words) {
    try {
        return file.write_from(in_fd, [&signals] { return signals.caught() != 0; });
    } catch (const Error& e) {
        if (e.step_id() != Step::copy_into_temp) throw;
        throw Error(e.code(), words, e.path(), e.second_path());
    }
}

}  // namespace atomfile::cli
