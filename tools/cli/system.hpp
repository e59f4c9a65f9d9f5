// The tools' own system calls: processes, pipes, signals, and what the tools ask about their
// descriptors and files for their messages. The library makes its calls through its platform
// layer (lib/src/platform), which the tools cannot reach; these are the only calls the tools
// make themselves, so this is the only file under tools/ that includes system headers.
// Failures are reported as the kernel does: -1 (or a negative result) with errno set.
#pragma once

#include <functional>
#include <string>
#include <vector>

namespace atomfile::cli::system {

// The tools' fault seam, as the library has one for its calls: while a plan is set, spawn(),
// make_pipe(), the child waits and reserve_standard_descriptors()' open of /dev/null ask it
// first and, when it answers with an errno value, fail with it instead of making the call. For
// tests; set it before the work, not concurrently.
enum class Call { spawn, pipe, wait, reserve };
using FaultPlan = std::function<int(Call call)>;
void set_fault_plan(FaultPlan plan);  // an empty plan removes it

// A tool's main calls this first, before anything is opened: each of the descriptors 0, 1 and 2
// that is closed is taken by /dev/null, so that no file the tool or the library opens later can
// land there. Otherwise a lock file, a journal or a temp opened as descriptor 2 would receive the
// tool's messages, and /dev/stdin, /dev/fd/0 or /proc/self/fd/0 would name the tool's own files.
// Each is opened so that using it fails as a closed descriptor does, with EBADF: 0 write-only,
// 1 and 2 read-only, all O_CLOEXEC (a child the tool starts gets the closed descriptor it was
// given). Where /dev/null cannot be opened (a chroot without /dev) an O_PATH descriptor of / takes
// its place, which fails every read and write with EBADF too. 0, or -1 with errno when one could
// not be reserved at all: it stays closed, and the checks below still see it closed.
int reserve_standard_descriptors();
// Whether fd is an open descriptor (1) or not (0: F_GETFD failed with EBADF, or fd is one of 0,
// 1, 2 that reserve_standard_descriptors() found closed), or error (-1).
// A tool started with standard input closed must say so, not read whatever it opened next as 0.
int is_open_descriptor(int fd);
// Whether path leads, through a link of procfs (/dev/stdin, /dev/fd/1, /proc/self/fd/2), to a
// standard descriptor that reserve_standard_descriptors() found closed: 1 (reading_step() then
// names it), 0 when not or when path cannot be opened (whoever opens it reports why), for files
// opened elsewhere (the library), which would otherwise read /dev/null's nothing as the content.
int names_closed_standard_descriptor(const char* path);
// Opens /dev/null for reading (O_CLOEXEC), for a child that must read nothing.
int open_null_device();
int close_fd(int fd);

// The kind of file a path names (stat, or lstat without follow), for messages that say why a
// file was refused. -1 with errno when stat fails.
enum class FileKind { regular, directory, symlink, character_device, block_device, fifo, socket };
int file_kind_at(const char* path, bool follow, FileKind& kind);

// What atomic-install asks about its files: their kind and identity, to refuse a directory
// SOURCE and a DEST that is SOURCE itself. 0, or -1 with errno (stat or lstat).
struct FileIdentity {
    unsigned long long device = 0;
    unsigned long long inode = 0;
    FileKind kind = FileKind::regular;
    bool through_symlink = false;  // open_for_reading: a symlink on the path was followed
};
int file_identity_at(const char* path, bool follow, FileIdentity& identity);
// Opens an atomic-install SOURCE for reading (O_RDONLY | O_CLOEXEC | O_NOCTTY), following
// symlinks as install(1) does, and sets identity to what was opened (fstat). The library
// streams it from this descriptor, never from the path, so the file checked is the file
// copied. Opened with O_NONBLOCK so that a FIFO at the path (which the caller then refuses)
// cannot hang the open waiting for a writer; on anything but a regular file (where it means
// nothing) the flag is cleared before returning, so reads of a device block as usual. The
// descriptor, or -1 with errno (nothing left open).
// A symlink inside a sticky, world-writable directory (/tmp) is followed only when it belongs
// to the caller (euid) or to the directory's owner, the rule of fs.protected_symlinks applied
// whatever the sysctl says: another user's link there fails with EACCES, so no one can point a tool
// run by root at /etc/shadow by planting a link where root reads. The same holds for every link on
// the path, in the directories on the way as at its end (the kernel's rule covers them all:
// /tmp/planted/shadow, planted -> /etc, is refused), and for each link a link leads to. Race-free:
// a path without a symlink is opened by one openat2 refusing symlinks; one with a symlink is walked
// a component at a time, each opened with O_NOFOLLOW, and a link allowed is read through the
// descriptor that was checked and followed by its text, relative to its directory (procfs links,
// which no user can plant, are followed by the kernel: /dev/stdin works).
// A path that leads to a standard descriptor the tool was started without (/dev/stdin with
// standard input closed) fails with EBADF: it never reads the placeholder's nothing as empty.
int open_for_reading(const char* path, FileIdentity& identity);
// The step to report for this thread's last failed open_for_reading: step itself, or after a
// refused symlink "STEP: refusing to follow a symlink another user planted in a sticky
// directory" (errno EACCES alone would say only "Permission denied"), or after a closed
// standard descriptor "STEP: standard input is closed" (or output, error).
std::string reading_step(const std::string& step);
// Raises the soft limit on open descriptors (RLIMIT_NOFILE) to the hard limit: a group commit
// holds two or three descriptors per file until it commits, and the common soft limit of 1024
// would end a batch of a few hundred files with EMFILE. 0, or -1 with errno.
int raise_open_file_limit();
// chmod(2), for the directories atomic-install -d makes. 0, or -1 with errno.
int change_mode(const char* path, unsigned mode);

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
// the child and its descendants have closed it. 0, or -1 with errno.
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

// A tool that must clean up on SIGINT/SIGTERM/SIGHUP/SIGPIPE calls catch_signals(): each listed
// signal gets a handler that only records it (sigaction without SA_RESTART) and is then blocked,
// so it is delivered only inside wait_child_or_signal() (and seen by caught_signal()). A signal
// therefore never slips in between a check of caught_signal() and a blocking call. A signal
// that is ignored when catch_signals() is called stays ignored (as under nohup).
// Process-wide state: one catcher at a time, from the main thread. release_signals() drains
// what is still pending and restores the previous handlers and mask.
int catch_signals(const std::vector<int>& signals);
int release_signals();
// A tool's main calls this first: SIGXFSZ is ignored, so that a write crossing the file size
// limit (ulimit -f) fails with EFBIG, reported and cleaned up like any failed write, instead of
// killing the tool mid-way (a staging directory, a lock file or a half-staged transaction left
// behind, and the status 128 + 25 that says nothing changed). A SIGXFSZ already ignored stays
// so; otherwise spawn() gives a child its default action back. 0, or -1 with errno.
int ignore_file_size_signal();
// A tool's main calls this first: from then on release_signals() leaves the caught signals
// recorded and blocked, so that one arriving after the work is done (the files already new) is
// dropped at exit instead of killing the process with 128 + N, the status that says nothing
// changed. In-process callers (the tests) never call it and get their handlers back.
void keep_signals_caught_until_exit();
// The first signal caught since catch_signals() (including one pending right now), or 0.
int caught_signal();
// Forgets the caught signal, so that the next one can be seen (with-tempdir forwards each).
void clear_caught_signal();

// For a tool reading a mapped file (atomfile::map_file): a program that truncates the file in
// place while it is read makes the cut-off pages raise SIGBUS. From this call on, SIGBUS writes
// message to standard error and ends the process with exit_status (no cleanup runs: a temp in
// progress is O_TMPFILE or a named temp that remove_orphaned_temps recognises, and the kernel
// drops the locks). message must outlive the process.
void exit_on_bus_error(const char* message, int exit_status);
// Waits for the child like wait_child() (0, exit_status set), but returns 1 as soon as a caught
// signal arrives while the child still runs; -1 with errno.
int wait_child_or_signal(int pid, int& exit_status);

// Appends everything fd gives, to its end of input, to into, waiting for input with the caught
// signals let through (as wait_child_or_signal), so that a signal ends a wait for a FIFO's
// writer or for a terminal's next line: 0 at the end of input, 1 when a caught signal arrived
// (into holds what was read so far), -1 with errno when poll or read failed.
int read_to_end_or_signal(int fd, std::string& into);

}  // namespace atomfile::cli::system
