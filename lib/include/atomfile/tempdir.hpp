// Where temporary files go: gettempdir(), set_tempdir() and gettempprefix().
//
// gettempdir() answers like Python's tempfile.gettempdir(): the first usable directory among
//   $TMPDIR, $TEMP, $TMP (each only when set and non-empty), /tmp, /var/tmp, /usr/tmp, and the
//   current working directory.
// "Usable" is proven, not assumed: a file with a random name is created exclusively in the
// candidate and removed again. A missing directory, a regular file, or a directory the process
// cannot write to is skipped and the next candidate tried. The search's answer is an absolute
// path (a relative $TMPDIR is made absolute against the working directory, as Python's abspath);
// a directory given to set_tempdir() is returned as given, relative or not, as Python returns
// tempfile.tempdir. The temp functions make it absolute when they use it.
//
// The answer is computed once and cached for the life of the process (thread-safe: concurrent
// first calls compute it once). set_tempdir() replaces the cached value, like assigning
// tempfile.tempdir in Python; set_tempdir("") forgets it so the next call searches again.
//
// Errors: when no candidate is usable, gettempdir() throws atomfile::Error with
// std::errc::no_such_file_or_directory and a message listing every directory tried. A probe
// that fails for want of descriptors or memory (EMFILE, ENFILE, ENOMEM) ends the search with
// that error and the candidate's path: it says nothing about the directory (nothing is cached).
#pragma once

#include <string>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

// The directory used when a temp function is given no directory.
ATOMFILE_API std::string gettempdir();
// As above; on failure sets ec and returns an empty string.
ATOMFILE_API std::string gettempdir(std::error_code& ec) noexcept;

// Makes directory the answer of every later gettempdir() call, without checking it (as Python
// does: a bad choice shows up as an error when a temp is created there). An empty path forgets
// the override and the cached search result, so the next gettempdir() searches again.
ATOMFILE_API void set_tempdir(const PathArg& directory);
ATOMFILE_API void set_tempdir(const PathArg& directory, std::error_code& ec) noexcept;

// The default prefix of temp names: "tmp".
ATOMFILE_API std::string gettempprefix();

}  // namespace atomfile
