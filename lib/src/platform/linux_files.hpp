// Files and names: opening, creating, linking, renaming and removing, always relative to a
// directory descriptor. Part of the platform layer (linux.hpp says what that is).
#pragma once

#include <string>
#include <vector>

#include "platform/fault_seam.hpp"

namespace atomfile::platform {

// The value used for "the current working directory" as a directory descriptor.
extern const int current_directory;

int close_fd(int fd);  // never retried on EINTR: Linux has already released the descriptor

// Opens an existing directory read-only (O_DIRECTORY|O_CLOEXEC). With follow=false the last
// component may not be a symlink (O_NOFOLLOW).
int open_directory(int dir_fd, const char* path, bool follow = true);
// Opens an existing directory only as the base of *at calls (O_PATH|O_DIRECTORY|O_CLOEXEC):
// that needs search permission, not read permission, so it works in a directory the caller may
// write but not list (mode 0733). It cannot be fsync()ed, read or flock()ed. Seam: Call::open.
int open_directory_path(int dir_fd, const char* path);
// Opens one path component without following it (O_PATH|O_NOFOLLOW|O_CLOEXEC), for walking a
// path one hop at a time: a directory opens as the base of *at calls, a symlink as the link
// itself (fstat describes the link, read_link_at(fd, "") reads it, and neither can be swapped
// under the caller). Needs search permission on dir_fd only. Seam: Call::open_path.
int open_path_no_follow(int dir_fd, const char* name);
// Opens an existing file for reading (O_RDONLY|O_CLOEXEC).
int open_read(int dir_fd, const char* path, bool follow = true);
// The same with O_NONBLOCK, for a file that may have become something else since it was
// examined: a FIFO then opens at once instead of waiting for a writer (a regular file reads as
// usual; the flag means nothing there). The caller checks what it got. Seam: Call::open.
int open_read_no_wait(int dir_fd, const char* path, bool follow = true);
// Opens or creates a file for use as a lock (O_RDWR|O_CREAT|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC):
// a FIFO planted at the name opens at once instead of hanging; the caller checks what it got.
int open_lock_file(int dir_fd, const char* path, unsigned mode);
// Opens an existing file to lock it, never creating it and never hanging on a FIFO:
// O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC, and O_RDWR when write is true (what a write lock on the file
// itself needs), O_RDONLY otherwise.
int open_existing_for_lock(int dir_fd, const char* name, bool write);
// Opens an existing file to overwrite it in place (O_RDWR|O_NOFOLLOW|O_NONBLOCK|O_CLOEXEC): a
// final symlink fails with ELOOP and a FIFO opens at once; the caller checks what it got.
// Seam: Call::open.
int open_existing_for_overwrite(int dir_fd, const char* name);
// Creates a new file that did not exist: O_RDWR|O_CREAT|O_EXCL|O_NOFOLLOW|O_CLOEXEC.
// The mode is applied exactly, whatever the umask (an fchmod follows when the umask masked bits).
int create_exclusive(int dir_fd, const char* name, unsigned mode);
// Creates an unnamed file in a directory (O_TMPFILE|O_RDWR|O_CLOEXEC), mode applied exactly.
// Fails with EOPNOTSUPP/EISDIR/EINVAL where the file system or kernel refuses it.
int create_anonymous(int dir_fd, unsigned mode);
// Whether create_anonymous failed with one of the errors that mean "no O_TMPFILE here" (the
// caller then falls back on a named file; Python's tempfile falls back on the same ones).
bool anonymous_unsupported(int error);
// Gives an O_TMPFILE descriptor a name (linkat with AT_EMPTY_PATH, or through /proc/self/fd).
// Fails with EEXIST when the name is taken.
int link_anonymous(int fd, int dir_fd, const char* name);
// Duplicates a descriptor with FD_CLOEXEC set.
int duplicate(int fd);
// Whether the descriptor has FD_CLOEXEC set (1), not (0), or error (-1).
int is_close_on_exec(int fd);

enum class RenameMode {
    replace,     // renameat: atomically replaces an existing target
    no_replace,  // renameat2(RENAME_NOREPLACE): fails with EEXIST if the target exists;
                 // EINVAL/ENOSYS where the file system or kernel lacks it
    exchange     // renameat2(RENAME_EXCHANGE)
};
int rename_at(int old_dir, const char* old_name, int new_dir, const char* new_name,
              RenameMode mode = RenameMode::replace);
// linkat without following (a hard link of a named file).
int link_at(int old_dir, const char* old_name, int new_dir, const char* new_name);
int unlink_file_at(int dir_fd, const char* name);
int remove_directory_at(int dir_fd, const char* name);
// mkdirat; the mode is applied exactly, whatever the umask (fchmod after an O_NOFOLLOW open).
int make_directory_at(int dir_fd, const char* name, unsigned mode);
int read_link_at(int dir_fd, const char* path, std::string& target);
// symlinkat: a new symlink `name` holding `target`; EEXIST when the name is taken.
// Seam: Call::symlink.
int make_symlink_at(const char* target, int dir_fd, const char* name);
// Lists the names in a directory (no "." or ".."), reading through a duplicate of dir_fd so
// the caller's offset is untouched.
int list_directory(int dir_fd, std::vector<std::string>& names);
// The absolute path of the current working directory.
int current_directory_path(std::string& path);

}  // namespace atomfile::platform
