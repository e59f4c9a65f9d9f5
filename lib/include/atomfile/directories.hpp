// Making the directories a new file needs, durably.
#pragma once

#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

// Creates the missing directories leading to path's last component (mkdir -p of its parent),
// each with mode 0777 minus the umask, as mkdir(1) does. Each directory created is made durable
// at once: its parent is synced, so a file later replaced into it is not lost with its directory
// in a power cut (the replace syncs the directory that holds the file; nothing else would sync
// the entries above it). Directories that exist are left alone, whoever owns them; a symlink to
// a directory counts as one. Returns whether any directory was created.
// Errors: Error with Step::create_directory and the directory as path: ENOTDIR when a component
// exists and is not a directory, otherwise the errno of mkdir, of the parent's open or fsync
// (EACCES, ENOSPC, EIO, ...). Directories created before a failure stay (as with mkdir -p).
ATOMFILE_API bool create_parent_directories(const PathArg& path);
ATOMFILE_API bool create_parent_directories(const PathArg& path, std::error_code& ec) noexcept;

}  // namespace atomfile
