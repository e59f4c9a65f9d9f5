// Opening the AtomicFile of a tool's FILE so that a signal can end the wait for the lock.
#pragma once

#include <optional>
#include <string>

#include "atomfile/replace.hpp"

namespace atomfile::cli {

class SignalCatcher;

// Opens FILE for replacing. With options.lock, waits for the update lock at most
// options.lock_timeout (negative: forever) and asks the catcher about every 100 ms, so that a
// caught signal ends the wait: then returns nothing (no temp was created, nothing is held).
// Throws what AtomicFile throws; a lock wait that runs out fails with std::errc::timed_out,
// its step "timed out after N s waiting for the update lock on PATH held by pid P ...".
// A FILE that is not a regular file (a directory, /dev/null, a FIFO, /dev/stdout on a pipe or a
// terminal: stat(2) following links, as the shell's > would open it) fails first with
// ToolFailure, whose message names FILE as given, says what it is and suggests '> FILE'; a
// symlink FILE under follow_symlinks = false is replaced itself and never refused here.
std::optional<AtomicFile> open_target(const std::string& path, const ReplaceOptions& options,
                                      const SignalCatcher& signals);

// Streams in_fd into FILE's temp (AtomicFile::write_from), ending early when a signal is caught;
// returns the bytes moved. A failed copy is reported with the tool's words for it ("copy
// standard input into temp file"), which say where the bytes came from.
std::uint64_t copy_into(AtomicFile& file, int in_fd, const SignalCatcher& signals,
                        const std::string& words);

}  // namespace atomfile::cli
