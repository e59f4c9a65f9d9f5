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
#include <string_view>
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

// A file's whole content in memory, for a program that reads a big file once: a regular file is
// mapped (mmap), which costs neither a copy nor fresh memory: its pages are mapped as they are
// first read (a 211 MB file in the page cache, about 0.02 s of CPU shared by the threads that
// read it, where read_descriptor takes about 0.2 s to fill a string); anything else
// (a pipe, a FIFO, a device) and an empty file are read into a string the object owns.
// Move-only; view() is valid while the object lives.
// A mapping shows the file's own pages: a writer that rewrites the file in place changes what
// view() shows, and one that truncates it makes reading the part cut off raise SIGBUS. A file
// replaced through atomfile (a new inode each time) never changes under it, so map the old
// content of an AtomicFile (its original_descriptor()) or files only such writers touch, and
// read_file() any other.
class ATOMFILE_API FileContent {
  public:
    FileContent() noexcept = default;
    // Content already in memory, owned.
    explicit FileContent(std::string text) noexcept;
    FileContent(FileContent&& other) noexcept;
    FileContent& operator=(FileContent&& other) noexcept;
    FileContent(const FileContent&) = delete;
    FileContent& operator=(const FileContent&) = delete;
    ~FileContent();

    std::string_view view() const noexcept;
    bool mapped() const noexcept { return mapping_ != nullptr; }

  private:
    friend ATOMFILE_API FileContent map_descriptor(int, const std::string&, std::uint64_t);
    FileContent(const char* mapping, std::size_t size) noexcept;
    const char* mapping_ = nullptr;
    std::size_t size_ = 0;
    std::string text_;
};

// Maps the regular file open on fd from its start (its offset is ignored and left as it is), or
// reads any other kind of file from its offset as read_descriptor() does, with the same steps
// ("read", which includes a failed mmap, and "check size") and limit.
ATOMFILE_API FileContent map_descriptor(int fd, const std::string& path,
                                        std::uint64_t max_size = no_size_limit);
ATOMFILE_API FileContent map_descriptor(int fd, const std::string& path, std::uint64_t max_size,
                                        std::error_code& ec) noexcept;
// Opens path as read_file() does (steps "open", EISDIR for a directory) and maps or reads it.
ATOMFILE_API FileContent map_file(const PathArg& path, std::uint64_t max_size = no_size_limit);
ATOMFILE_API FileContent map_file(const PathArg& path, std::uint64_t max_size,
                                  std::error_code& ec) noexcept;

}  // namespace atomfile
