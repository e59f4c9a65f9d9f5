#include "transaction/covering.hpp"

#include <algorithm>
#include <cerrno>
#include <chrono>

#include "error_support.hpp"
#include "platform/linux.hpp"
#include "transaction/recover.hpp"
#include "transaction/root.hpp"

namespace atomfile::transaction {

namespace {

using std::chrono::milliseconds;
using std::chrono::steady_clock;

constexpr milliseconds cancel_slice{100};  // as the update lock asks its cancel check
constexpr const char* waited_words = "take transaction lock before writing below its root";

Root root_at(int dir_fd, const std::string& path) {
    Root root;
    root.path = path;
    // A real descriptor, not O_PATH: recovery syncs the directories it publishes into.
    root.fd.reset(platform::open_directory(dir_fd, ".", false));
    if (!root.fd) throw_errno(Step::open_root, path);
    if (platform::stat_fd(root.fd.get(), root.status) != 0) throw_errno(Step::open_root, path);
    return root;
}

[[noreturn]] void fail_wait(int error, const Root& root, const std::string& target) {
    throw_error(error, StepWords{Step::lock_root, waited_words}, root.path + "/" + lock_name,
                target);
}

// A lock still held when the wait (or, with lock_timeout 0, the single try) ended.
bool busy(const Error& e) {
    return e.step_id() == Step::lock_root && (e.errno_code() == std::errc::timed_out ||
                                              e.errno_code() == std::errc::operation_would_block);
}

// The root's lock, in slices when the caller may cancel the wait.
FileDescriptor lock_covering(const Root& root, const std::string& target,
                             const ReplaceOptions& options) {
    const milliseconds timeout = options.lock_timeout;
    const auto deadline = steady_clock::now() + timeout;
    for (;;) {
        if (options.cancel_lock_wait && options.cancel_lock_wait())
            fail_wait(ECANCELED, root, target);
        milliseconds slice = timeout;
        if (options.cancel_lock_wait) {
            const auto left =
                std::chrono::duration_cast<milliseconds>(deadline - steady_clock::now());
            slice = timeout.count() < 0 ? cancel_slice
                                        : std::clamp(left, milliseconds(1), cancel_slice);
        }
        try {
            return lock_root(root, true, slice);
        } catch (const Error& e) {
            if (!busy(e)) throw;
            if (!options.cancel_lock_wait ||
                (timeout.count() >= 0 && steady_clock::now() >= deadline))
                fail_wait(ETIMEDOUT, root, target);
        }
    }
}

}  // namespace

const char* staging_directory_name() noexcept {
    return staging_name;
}

bool trusted_staging(const platform::FileStatus& staging) noexcept {
    return staging.type == platform::FileType::directory &&
           (staging.uid == platform::current_uid() || staging.uid == 0);
}

Recovery recover_covering_root(int dir_fd, const std::string& path, const std::string& target,
                               const ReplaceOptions& options) {
    const Root root = root_at(dir_fd, path);
    FileDescriptor lock = lock_covering(root, target, options);
    // The transaction's guarantee is not the writer's to weaken: Durability::none of a plain
    // write must not retire a journal before the directories it published into are synced.
    return recover_locked(root, ReplaceOptions{});
}

}  // namespace atomfile::transaction
