// The one door from the replace engine into transactions. A writer whose target lies below a
// transaction root with a staging directory recovers that root before it touches the target,
// so that a crashed, committed transaction cannot later roll forward over the new content, and
// a live one's publish is waited for (transaction.hpp, "Writers that do not use Transaction").
// This header includes nothing of replace/ and replace/ includes nothing of transaction/ but
// this header: the engine finds the root (target_resolution), this file recovers it.
#pragma once

#include <string>

#include "atomfile/replace.hpp"
#include "atomfile/transaction.hpp"
#include "platform/linux_metadata.hpp"

namespace atomfile::transaction {

// The staging directory's name in a root (root.hpp's staging_name).
const char* staging_directory_name() noexcept;

// Whether `staging`, the lstat of a staging directory's name, is one recover() would trust: a
// directory of the caller or root. Anything else (another user's directory, a symlink, a file)
// is not a transaction of ours or root's, and a writer ignores it.
bool trusted_staging(const platform::FileStatus& staging) noexcept;

// recover() for the root open as dir_fd (an O_PATH descriptor will do), named path in errors,
// for a writer about to replace `target` below it: takes the root's lock (waiting up to
// options.lock_timeout, asking options.cancel_lock_wait about every 100 ms), then rolls a
// committed journal forward or an uncommitted one back, always with full durability. A lock that
// stays busy fails with Step::lock_root, ETIMEDOUT (ECANCELED when cancelled), the lock file as
// path and target as second path; other failures are recover()'s.
Recovery recover_covering_root(int dir_fd, const std::string& path, const std::string& target,
                               const ReplaceOptions& options);

}  // namespace atomfile::transaction
