// The low-level functions: mkstemp() creates a file, mkdtemp() a directory, both with an
// unpredictable name, both left for the caller to remove (prefer the RAII classes, which clean
// up after themselves).
//
// Guarantees (shared by every temp this library creates):
//   - the name is prefix + 10 characters drawn from getrandom(2) over a 37-symbol alphabet
//     (a-z, 0-9, '_') + suffix; a name that exists is never reused: creation is exclusive and
//     another name is drawn, up to detail::max_name_attempts (238328, Python's TMP_MAX) times;
//   - a file is created O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC with mode 0600 exactly, a directory
//     with mode 0700 exactly, whatever the umask; a symlink planted at a candidate name is never
//     followed;
//   - descriptors are close-on-exec, so they never leak into a child program;
//   - the returned path is absolute (dir made absolute lexically, as Python's abspath does).
//
// Parameters follow Python: an empty dir means gettempdir(); prefix defaults to "tmp"; prefix
// and suffix may not contain '/' (std::errc::invalid_argument: Python would create the temp in
// another directory; atomfile refuses).
//
// Errors (atomfile::Error, naming the step and the directory or path):
//   "open temp directory"        dir cannot be opened (missing, not a directory, no access);
//   "create temp file" / "create temp directory"   the kernel refused the creation;
//   "no unused name after N attempts in DIR"       every name drawn was taken
//                                                  (std::errc::file_exists).
#pragma once

#include <string>
#include <string_view>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

// What mkstemp() returns: the open descriptor (read-write, owned: closed by its destructor)
// and the file's absolute path. Works with structured bindings: auto [fd, path] = mkstemp();
struct MkstempResult {
    FileDescriptor fd;
    std::string path;
};

// Creates a new file. text is accepted for parity with Python and changes nothing: POSIX does
// not distinguish text from binary files.
ATOMFILE_API MkstempResult mkstemp(std::string_view suffix = {}, std::string_view prefix = "tmp",
                                   const PathArg& dir = "", bool text = false);
// As above; on failure sets ec and returns an invalid descriptor and an empty path.
ATOMFILE_API MkstempResult mkstemp(std::string_view suffix, std::string_view prefix,
                                   const PathArg& dir, bool text, std::error_code& ec) noexcept;

// Creates a new directory and returns its absolute path.
ATOMFILE_API std::string mkdtemp(std::string_view suffix = {}, std::string_view prefix = "tmp",
                                 const PathArg& dir = "");
// As above; on failure sets ec and returns an empty string.
ATOMFILE_API std::string mkdtemp(std::string_view suffix, std::string_view prefix,
                                 const PathArg& dir, std::error_code& ec) noexcept;

}  // namespace atomfile
