// Reading a whole file that will not be replaced, whatever kind of file it is.
//
// The replace engine reads the old content of a file it is about to replace through
// AtomicFile::read_original(), under the update lock. A program that only reads (a query, a
// configuration loaded at start) or whose input cannot be replaced at all (a pipe) uses these
// instead: they read a regular file in one read sized from its status, and anything else (a
// pipe, a FIFO, a socket, a character device such as /dev/stdin, a process substitution such as
// /dev/fd/63) from the start to the end of input, never seeking, so input that cannot seek is
// read like any other. Symlinks are followed. No lock is taken: a concurrent replace through
// atomfile is seen whole or not at all (the old inode stays readable), but a writer that writes
// in place may be seen half done.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

inline constexpr std::uint64_t no_size_limit = std::numeric_limits<std::uint64_t>::max();

// Reads everything path holds. Throws atomfile::Error naming path and the step, with errno:
//   "open"        the file cannot be opened (ENOENT, EACCES, ELOOP, ...), or it is a
//                 directory (EISDIR)
//   "read"        reading failed (EIO, ...)
//   "check size"  it holds more than max_size bytes (EFBIG); reading stops as soon as that is
//                 known, so an endless input costs at most max_size + 1 bytes of memory
// The steps are given in words (Error::step()); Error::step_id() is Step::other. Opening a FIFO
// waits for a writer, as any reader of a FIFO does.
ATOMFILE_API std::string read_file(const PathArg& path, std::uint64_t max_size = no_size_limit);
// The same without exceptions: sets ec (Error::code() of the error above; its step is
// Step::other) and returns "" on failure.
ATOMFILE_API std::string read_file(const PathArg& path, std::uint64_t max_size,
                                   std::error_code& ec) noexcept;

// Reads an open descriptor from its current offset to the end of input, with the same steps
// ("read", "check size") and limit; path only names it in errors. The descriptor stays open and
// its offset ends where reading stopped.
ATOMFILE_API std::string read_descriptor(int fd, const std::string& path,
                                         std::uint64_t max_size = no_size_limit);
ATOMFILE_API std::string read_descriptor(int fd, const std::string& path, std::uint64_t max_size,
                                         std::error_code& ec) noexcept;

}  // namespace atomfile
