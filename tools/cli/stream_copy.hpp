// Moving bytes into an AtomicFile's temp in constant memory, stopping early on a caught signal.
#pragma once

#include <cstdint>

#include "atomfile/replace.hpp"

namespace atomfile::cli {

class SignalCatcher;

// Moves everything in_fd yields into the temp (copy_file_range or sendfile from a regular file,
// read/write through a 256 KiB buffer otherwise) and returns the byte count. Every 8 MiB the
// temp is handed to the disk and the 8 MiB before are dropped from the page cache once written
// (platform::write_behind), so a stream of any size keeps about 16 MiB of it cached. Returns
// early, with what was moved so far, when a caught signal arrives while waiting for input.
// Throws Error with the given step and the target's path when reading or writing fails.
std::uint64_t copy_stream(int in_fd, AtomicFile& file, const char* step);

// Copies the target's current content (nothing when it does not exist) into the temp, for
// --append. Stops early when a signal has been caught.
void copy_original_content(AtomicFile& file, const SignalCatcher& signals);

}  // namespace atomfile::cli
