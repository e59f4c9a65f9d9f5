// The fault seam: how tests make a system call fail without the disk failing.
//
// Every function of the platform layer asks injected_error() for its Call before making the
// call; when a fault plan answers with an errno value, the call is not made and fails with that
// errno instead. This is how the test suite proves what happens when fsync returns EIO or the
// disk fills up mid-write, at every call of a protocol in turn.
//
// Plans stack: a FaultScope installed while another is active sits on top of it, and each call
// is shown to every active plan, the newest first, until one injects a fault (so a recorder
// under a fault still sees the calls before it). Safe to use from several threads: plans are
// consulted one call at a time, so a plan's own counters need no locking. Not part of the
// installed library's interface: only tests and benchmarks, linked with atomfile_internal, use
// it.
#pragma once

#include <functional>

namespace atomfile::platform {

// One entry per kind of system call that the seam can fail.
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
    lock,  // flock(2), fcntl(2) OFD locks
    close,
    getrandom,
    copy,       // transfer(); the writes of its read-and-write path are Call::write
    writeback,  // sync_file_range(2) starting writeback
    open_path,  // openat(2) with O_PATH|O_NOFOLLOW of one component while walking a path
    wait,       // poll(2) for input on a descriptor
    symlink,    // symlinkat(2)
    capget,     // capget(2) reading the process's own capabilities
    allocate,   // fallocate(2) preallocating a temp file's blocks
    count_
};

const char* call_name(Call call);

// A fault plan: given the call about to be made, the errno value to fail it with, or 0 to let
// it (and the plans below) proceed.
using FaultPlan = std::function<int(Call call)>;

// Installs a plan for its lifetime. Scopes may end in any order.
class FaultScope {
  public:
    explicit FaultScope(FaultPlan plan);
    ~FaultScope();
    FaultScope(const FaultScope&) = delete;
    FaultScope& operator=(const FaultScope&) = delete;

  private:
    FaultPlan plan_;
};

// What the active plans say about this call: an errno value to fail it with, or 0. Costs one
// atomic load when no plan is active.
int injected_error(Call call);

}  // namespace atomfile::platform
