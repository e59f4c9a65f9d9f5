// Moving bytes: reads, writes, transfers between descriptors, flushes and writeback. Part of the
// platform layer (linux.hpp says what that is).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "platform/fault_seam.hpp"

namespace atomfile::platform {

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

// Maps the first size bytes of fd read-only and private: the page cache's own pages, neither
// copied nor zeroed, so a big file costs page-table entries rather than fresh memory. Not
// populated (no MAP_POPULATE): the threads that read the text fault its pages in, the two
// halves of a big one in parallel, instead of one thread mapping all of it before either may
// start. nullptr with errno on failure. Seam: Call::read. unmap_file never fails.
const char* map_file(int fd, std::size_t size);
void unmap_file(const char* address, std::size_t size);

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
// Moves up to `size` bytes of in_fd from in_offset (which it advances; in_fd's own file offset
// is left alone) to out_fd at out_fd's offset: copy_file_range (the kernel copies between the
// page caches, no user-space copy or page fault), then sendfile, then pread and write through
// `buffer` where neither applies. Returns the bytes moved (0 at in_fd's end) or -1 with errno.
// Seam: Call::copy.
long transfer_range(int in_fd, std::int64_t& in_offset, int out_fd, std::size_t size,
                    std::vector<char>& buffer);
// Advice, never an error: allocates [offset, offset + length) of fd without changing its size
// (fallocate FALLOC_FL_KEEP_SIZE), so that writes there take blocks already allocated instead of
// delayed allocation, which some file systems (ext4's auto_da_alloc) flush synchronously when
// the file is renamed over another. Ignored where the file system cannot, and when it fails
// (ENOSPC: the writes that follow then fail with their own step). Seam: Call::allocate.
void preallocate(int fd, std::int64_t offset, std::int64_t length);
// Makes out_fd share in_fd's data blocks (ioctl FICLONE, a reflink: btrfs, XFS, ...). Fails
// with EOPNOTSUPP, EXDEV, EINVAL or ENOTTY where the file system cannot (the caller copies
// instead: clone_unsupported). Seam: Call::copy.
int clone_file(int in_fd, int out_fd);
bool clone_unsupported(int error);

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

// Waits at most timeout_ms for fd to have input, end of input or an error to report: 1 ready,
// 0 timed out, -1 with errno (EINTR included, for the caller to decide). Seam: Call::wait.
int wait_readable(int fd, long timeout_ms);

// Asks the kernel for a pipe buffer of `size` bytes (F_SETPIPE_SZ), so that a streaming copy
// moves big pieces with fewer wake-ups of writer and reader. Best effort: a refusal (not a
// pipe, over /proc/sys/fs/pipe-max-size) changes nothing and is not an error.
void grow_pipe_buffer(int fd, std::size_t size);

}  // namespace atomfile::platform
