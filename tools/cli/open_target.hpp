// Opening the AtomicFile of a tool's FILE so that a signal can end the wait for the lock.
#pragma once

#include <optional>
#include <string>

#include "atomfile/replace.hpp"

namespace atomfile::cli {

class SignalCatcher;

// Opens FILE for replacing. With options.lock, waits for the update lock at most
// options.lock_timeout (negative: forever) in short slices, so that a caught signal ends the
// wait: then returns nothing (no temp was created, nothing is held). Throws what AtomicFile
// throws; a lock wait that runs out fails with std::errc::timed_out, step "wait for update lock".
std::optional<AtomicFile> open_target(const std::string& path, const ReplaceOptions& options,
                                      const SignalCatcher& signals);

}  // namespace atomfile::cli
