// The transaction root: the directory opened once, its lock file, the staging directory inside
// it, and walking relative paths below it without ever following a symlink.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "platform/linux.hpp"

namespace atomfile::transaction {

inline constexpr const char* lock_name = ".atomfile-transaction.lock";
inline constexpr const char* staging_name = ".atomfile-transaction";
inline constexpr const char* journal_name = "journal";

struct Root {
    std::string path;
    FileDescriptor fd;
    platform::FileStatus status;
};

// Opens the root directory. A symlinked root is followed only as protected_symlinks allows
// (not another user's link in a sticky, world-writable directory: EACCES). Step::open_root.
Root open_root(const std::string& path);

// Takes the root's lock: exclusive for writers, shared for readers. The lock file is used only
// when it is a regular, singly linked file of the caller, root or the root's owner; anything
// else is removed and replaced, except in a sticky root, where that fails with EPERM. A reader
// never creates it: with no lock file it returns an invalid descriptor. timeout < 0 waits
// forever. Step::lock_root.
FileDescriptor lock_root(const Root& root, bool exclusive, std::chrono::milliseconds timeout);

// The directory holding `parts` (all but the last), opened component by component with
// O_NOFOLLOW from the root. Missing directories are created (0777 & ~umask) when create is set,
// their parents appended to created_in; otherwise a missing one gives an invalid descriptor.
// ELOOP for a symlink, ENOTDIR for a file, EXDEV for a mount point; errors with `step`.
FileDescriptor open_parent(const Root& root, const std::vector<std::string>& parts, bool create,
                           Step step, std::vector<FileDescriptor>* created_in = nullptr);

// The staging directory: created (0700) when create is set, otherwise invalid when missing.
// Trusted only when it is a directory of the caller or root (else EPERM, Step::refuse_journal).
FileDescriptor open_staging(const Root& root, bool create);

// Whether anything is at the staging directory's name (lstat). Step::read_journal.
bool staging_exists(const Root& root);

// Removes the staging directory: every entry, the journal last, then the directory.
// Step::retire_journal.
void remove_staging(const Root& root, int staging_fd);

// fsync a directory; a file system that cannot (EINVAL) is synced whole. Errors with step.
void sync_directory(int dir_fd, const std::string& path, Step step);

// Whether a and b are the same open directory (device and inode).
bool same_file(int a, int b);

}  // namespace atomfile::transaction
