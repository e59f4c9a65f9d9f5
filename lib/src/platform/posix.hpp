// The platform layer: the only place in atomfile that makes system calls.
//
// Every function here mirrors one POSIX/Linux call (or a short fixed sequence of them) and
// reports failure the way the kernel does: a negative result with errno set. EINTR is retried
// inside, except where the caller must see it (waiting for a lock or a child).
//
// Nothing in this header needs <fcntl.h> or <unistd.h>: callers say what they want
// ("create exclusively", "replace without clobbering") and this layer picks the flags.
//
// The fault seam: tests install a FaultHook that is consulted before each call. When it returns
// a non-zero errno value, the call is not made; it fails with that errno instead. This is how the
// test suite proves what happens when fsync returns EIO or the disk fills up mid-write.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace atomfile::platform {

// One entry per system call that the seam can fail.
enum class Call {
    open,              // openat(2) of an existing file or directory
    create,            // openat(2) with O_CREAT|O_EXCL
    create_anonymous,  // openat(2) with O_TMPFILE
    read,
    write,
    seek,
    truncate,
    fsync,
    fdatasync,
    fstat,
    fstatat,
    fchmod,
    fchown,
    rename,  // renameat(2) / renameat2(2)
    link,    // linkat(2)
    unlink,  // unlinkat(2) of a file
    rmdir,   // unlinkat(2) with AT_REMOVEDIR
    mkdir,
    readlink,
    xattr_list,
    xattr_get,
    xattr_set,
    lock,  // flock(2)
    close,
    getrandom,
    copy,  // transfer(); the writes of its read-and-write path are Call::write
    spawn,
    wait,
    writeback,  // sync_file_range(2) starting writeback
    open_path,  // openat(2) with O_PATH|O_NOFOLLOW of one component while walking a path
    count_
};

const char* call_name(Call call);

// Returns the errno value to inject for this call, or 0 to let the call proceed.
using FaultHook = int (*)(Call call, void* context);

// Installs hook (nullptr removes it). Not thread-safe with respect to concurrent calls; tests
// install it before doing work.
void set_fault_hook(FaultHook hook, void* context);

// The value used for "the current working directory" as a directory descriptor.
extern const int current_directory;

// ---- descriptors -------------------------------------------------------------------------

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
// Whether fd is an open descriptor (1) or not (0: F_GETFD failed with EBADF), or error (-1).
// A tool started with standard input closed must say so, not read whatever it opened next as 0.
int is_open_descriptor(int fd);

// ---- data --------------------------------------------------------------------------------

long read_some(int fd, void* buffer, std::size_t size);
long pread_some(int fd, void* buffer, std::size_t size, std::int64_t offset);
long write_some(int fd, const void* buffer, std::size_t size);
// Writes everything, surviving short writes and EINTR. Returns 0 or -1 with errno.
int write_all(int fd, const void* buffer, std::size_t size);
int pwrite_all(int fd, const void* buffer, std::size_t size, std::int64_t offset);
// Reads the file from its current offset to its end, appending to out. Returns 0 or -1.
int read_all(int fd, std::string& out);
// Advice, never an error: back this not yet touched buffer with huge pages where the kernel
// allows it, so filling a buffer of hundreds of MiB costs a few hundred page faults, not
// hundreds of thousands, and freeing it at exit is as cheap.
void advise_huge_pages(void* buffer, std::size_t size);

enum class Whence { set, current, end };
std::int64_t seek(int fd, std::int64_t offset, Whence whence);
int truncate_fd(int fd, std::int64_t length);

enum class SyncKind { full, data };
// fsync or fdatasync. Never retried after a failure other than EINTR: see docs/durability.md.
int sync_fd(int fd, SyncKind kind);
// syncfs(2): flushes the whole file system holding fd (any descriptor but O_PATH), directory
// entries included. The seam counts it as Call::fsync: it stands in for a directory fsync.
int sync_file_system(int fd);

// What kind of input a descriptor is, which decides how transfer() moves its bytes.
enum class InputKind { pipe, regular_file, other };
// Classifies in_fd once, so a loop of transfers need not ask again; -1 with errno if fstat fails.
int classify_input(int in_fd, InputKind& kind);

// Moves up to `size` bytes from in_fd to out_fd: copy_file_range (then sendfile) from a regular
// file, read and write through `buffer` from anything else. A pipe is read, not spliced: splice
// holds the pipe's lock while it writes into the file (throttled writeback included), so the
// command feeding the pipe stalls for that long, while read lets it refill the pipe as the file
// is written; measured, 1 GiB through a pipe took 20-28% less time (docs/architecture.md).
// `buffer` is sized on first use and reused by later calls. Returns the bytes moved (0 at end of
// input) or -1 with errno.
long transfer(int in_fd, int out_fd, std::size_t size, InputKind kind, std::vector<char>& buffer);

// Starts writing [offset, offset + length) of fd to disk without waiting
// (sync_file_range with SYNC_FILE_RANGE_WRITE), so that a long stream and its writeback overlap
// and the final fsync has little left to do. Not a durability step: only fsync is. A failure is
// reported (never swallowed), since a write error seen here might not be seen again by fsync.
int start_writeback(int fd, std::int64_t offset, std::int64_t length);

// Write-behind for a long stream: starts writeback of [offset, offset + length) as
// start_writeback does, then waits until the earlier range [retire_from, offset) is on its way
// to disk and drops its pages from the page cache (POSIX_FADV_DONTNEED; dirty or busy pages are
// kept, so nothing written is lost). The stream's page-cache footprint stays at two ranges:
// the pages it writes next are the ones it just released, not fresh memory, and its dirty
// pages never pile up for the final fsync. Not a durability step: only fsync is. A write error
// seen while waiting is reported (-1 with errno), since fsync might not report it again; the
// dropping is advice and never fails.
int write_behind(int fd, std::int64_t retire_from, std::int64_t offset, std::int64_t length);

// Asks the kernel for a pipe buffer of `size` bytes (F_SETPIPE_SZ), so that a streaming copy
// moves big pieces with fewer wake-ups of writer and reader. Best effort: a refusal (not a
// pipe, over /proc/sys/fs/pipe-max-size) changes nothing and is not an error.
void grow_pipe_buffer(int fd, std::size_t size);

// ---- metadata ----------------------------------------------------------------------------

enum class FileType { regular, directory, symlink, other };

struct FileStatus {
    FileType type = FileType::other;
    unsigned mode = 0;  // permission bits only (07777)
    unsigned uid = 0;
    unsigned gid = 0;
    std::uint64_t device = 0;
    std::uint64_t inode = 0;
    std::uint64_t link_count = 0;
    std::int64_t size = 0;
    std::int64_t modified_ns = 0;  // mtime, nanoseconds since the epoch
    std::int64_t changed_ns = 0;   // ctime, nanoseconds since the epoch
};

int stat_fd(int fd, FileStatus& status);
int stat_at(int dir_fd, const char* path, FileStatus& status, bool follow);
// The kind of file a path names, finer than FileType (which folds devices, FIFOs and sockets
// into "other"), for messages that say why a file was refused. -1 with errno when stat fails.
enum class FileKind { regular, directory, symlink, character_device, block_device, fifo, socket };
int file_kind_at(int dir_fd, const char* path, bool follow, FileKind& kind);
// Whether the entry `name` in directory fd (fd itself when name is "") belongs to another mount
// than the directory open as parent_fd: another file system, or a bind mount of the same one
// (same st_dev, other mount id; statx's mount id, or st_dev alone before Linux 5.8). A final
// symlink is not followed; `name` needs no permission on the entry itself. 1 yes, 0 no, -1 with
// errno (Call::fstat).
int is_other_mount(int parent_fd, int fd, const char* name = "");
int change_mode(int fd, unsigned mode);
// fchmodat without following a final symlink. Fails with EOPNOTSUPP on a symlink.
int change_mode_at(int dir_fd, const char* name, unsigned mode);
int change_owner(int fd, unsigned uid, unsigned gid);
// The process umask, read without changing it (from /proc where possible).
unsigned current_umask();

// Extended attributes (POSIX ACLs and security labels are xattrs on Linux). An empty list and
// ENOTSUP are both "nothing to copy"; callers decide.
int list_xattrs(int fd, std::vector<std::string>& names);
int get_xattr(int fd, const char* name, std::string& value);
int set_xattr(int fd, const char* name, const std::string& value);

// ---- names -------------------------------------------------------------------------------

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
// Lists the names in a directory (no "." or ".."), reading through a duplicate of dir_fd so
// the caller's offset is untouched.
int list_directory(int dir_fd, std::vector<std::string>& names);
// The absolute path of the current working directory.
int current_directory_path(std::string& path);

// ---- locks -------------------------------------------------------------------------------

// flock(LOCK_EX). With timeout_ms < 0 waits forever; with 0 does not wait (EWOULDBLOCK);
// otherwise polls until the deadline and then fails with ETIMEDOUT.
int lock_exclusive(int fd, long timeout_ms);
// An open-file-description write lock on the whole file (fcntl F_OFD_SETLK, F_WRLCK): only a
// descriptor open for writing can take it, so only someone who may write the file can hold it.
// Released when the last descriptor of that open file description closes. Timeouts as
// lock_exclusive. Independent of flock: the two never block each other.
int lock_file_for_writing(int fd, long timeout_ms);
// Whether a process holds a lock (flock, OFD or POSIX) on the file `status` describes, read from
// /proc/locks: 1 (pid set to the holder, or 0 for an OFD lock, whose holder the kernel does not
// show), 0 when nobody holds one, -1 (errno) when /proc/locks cannot be read.
int lock_holder(const FileStatus& status, int& pid);
// The parent of process `pid`, from /proc/PID/stat; -1 (errno) when it cannot be read.
int parent_pid(int pid);
// The login name of uid from the user database; false when it has none.
bool user_name(unsigned uid, std::string& name);

// ---- randomness and processes --------------------------------------------------------------

// Fills buffer from getrandom(2). Blocks only before the kernel's pool is initialised.
int random_bytes(void* buffer, std::size_t size);
int current_pid();
unsigned current_uid();
unsigned current_gid();
// Reads an environment variable; returns false when unset.
bool get_environment(const char* name, std::string& value);

struct SpawnRequest {
    std::vector<std::string> argv;     // argv[0] is looked up in PATH
    int stdin_fd = -1;                 // -1: inherit
    int stdout_fd = -1;                // -1: inherit
    std::vector<std::string> set_env;  // "NAME=value" entries added to the environment
    std::string working_directory;     // empty: inherit
};
// Starts a child (posix_spawnp). Returns its pid, or -1 with errno (ENOENT, EACCES...) when the
// program cannot be run.
int spawn(const SpawnRequest& request);
// A pipe for a child's standard output (pipe2 with O_CLOEXEC): the child gets the write end only
// through SpawnRequest::stdout_fd, so no other child inherits it and end of input arrives when
// the child and its descendants have closed it. 0, or -1 with errno (fails as Call::spawn).
int make_pipe(int& read_end, int& write_end);
// Waits for the child. Returns 0 and sets exit_status to the shell convention (code, or
// 128+signal), or -1 with errno. EINTR is returned to the caller when interrupted.
int wait_child(int pid, int& exit_status);
int send_signal(int pid, int signal_number);

// Signal numbers, so callers need not include <csignal> for these.
extern const int signal_interrupt;  // SIGINT
extern const int signal_terminate;  // SIGTERM
extern const int signal_hangup;     // SIGHUP
extern const int signal_pipe;       // SIGPIPE

// ---- signals, for the command-line tools ------------------------------------------------------

// A tool that must clean up on SIGINT/SIGTERM/SIGHUP/SIGPIPE calls catch_signals(): each listed
// signal gets a handler that only records it (sigaction without SA_RESTART) and is then blocked,
// so it is delivered only inside wait_readable_or_signal() and wait_child_or_signal(). A signal
// therefore never slips in between a check of caught_signal() and a blocking call. A signal
// that is ignored when catch_signals() is called stays ignored (as under nohup).
// Process-wide state: one catcher at a time, from the main thread. release_signals() drains
// what is still pending and restores the previous handlers and mask.
int catch_signals(const std::vector<int>& signals);
int release_signals();
// The first signal caught since catch_signals() (including one pending right now), or 0.
int caught_signal();
// Forgets the caught signal, so that the next one can be seen (with-tempdir forwards each).
void clear_caught_signal();
// Waits until fd has input, end of input or an error to report (1), or a caught signal arrives
// (0), or fails (-1 with errno).
int wait_readable_or_signal(int fd);
// Waits for the child like wait_child() (0, exit_status set), but returns 1 as soon as a caught
// signal arrives while the child still runs; -1 with errno.
int wait_child_or_signal(int pid, int& exit_status);

}  // namespace atomfile::platform
