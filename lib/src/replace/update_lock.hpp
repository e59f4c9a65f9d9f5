// The exclusive update lock of a target: serialises read-modify-write across processes.
//
// The lock file. A replace renames a new inode over the name, so a lock on the target's inode
// alone would let a waiter that opened the old inode win a lock nobody else contends for. The
// lock lives in a separate file, ".NAME.atomfile-lock" in the target's directory (see
// temp_names.hpp for long names):
//   acquire: open (creating, 0600) the lock file, flock(LOCK_EX), then check that the name still
//            refers to the locked inode; if a releasing holder unlinked it meanwhile, start again;
//   release: unlink the name while still holding the lock, then close (which unlocks).
// So no lock file remains once updates finish, a holder's death releases the lock (the kernel
// drops flock locks with the last descriptor), and a lock file left by a killed holder is simply
// taken over by the next writer, which removes it when done. The holder writes its pid into the
// file so a waiter can say who holds it.
//
// Other users (docs/reliability.md, "The update lock and other users"). The lock file's name is
// predictable, so anyone who may create names in the directory can plant something there first:
// a file they own (unopenable for us, or 0666 and flock()ed by them forever), a FIFO, a symlink,
// a hard link to one of our files. Only a file we can trust is used as the lock: a regular file
// with one link, at most a pid long, owned by the caller (euid), by root or by the target's
// owner (who may replace the target anyway). Anything else is "suspect", and then:
//   - in a directory without the sticky bit, whoever may create names there may also rename
//     over the target, so a planter has no power that the lock could take away; a suspect file
//     is removed once nobody holds a lock on it (flock probe, or /proc/locks for a file we cannot
//     open) and the lock is taken on a fresh file. While it is held we wait, and a timeout names
//     its owner and holder.
//   - in a sticky directory (/tmp) an unprivileged planter cannot rename over the target but can
//     keep a file of theirs at the lock name that we may not remove. There every writer also
//     takes an open-file-description write lock on the target itself (fcntl F_OFD_SETLK,
//     F_WRLCK, through an O_RDWR|O_NOFOLLOW|O_NONBLOCK descriptor), which only someone who may
//     write the target can hold, re-checked after locking to still be the inode at the name (a
//     release renames a new inode over it, so a waiter starts again on the new one). A writer
//     that finds a suspect lock file takes only the target lock; one that finds a trustworthy one
//     takes both, lock file first. Since both take the target lock, they exclude each other
//     whatever the planter adds or removes meanwhile. The lock file still matters there for a
//     target that does not exist yet (nothing to lock) or that the caller cannot open for
//     writing (a 0444 file, a running program): with a suspect lock file and no target to lock,
//     the update is refused with an error naming the lock file and its owner — whoever planted
//     it could equally have created the target itself.
//   - root creating the lock file for another user's target gives it to that user (fchown), so
//     the owner's writers can open it and wait on it instead of treating it as suspect. A stat
//     of the target or an fchown failing there fails the lock (the file is removed), except
//     ENOENT (no target, no owner to give it to) and EPERM (a user namespace where root may not
//     chown: the owner's writers then wait on root's file, and in sticky directories both sides
//     also lock the target).
//
// Self-deadlock. A waiter whose lock is held by one of its own ancestors (atomic-edit running a
// command that edits the same file) would wait forever: when the lock is busy, the holder's pid
// (from /proc/locks, else the lock file) is compared with the parent chain of this process, and
// a match fails at once with std::errc::resource_deadlock_would_occur. Not the process itself:
// two threads of one process may wait for each other's lock legitimately.
#pragma once

#include <chrono>
#include <string>

#include <functional>

#include "atomfile/file_descriptor.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

class UpdateLock {
  public:
    UpdateLock() = default;
    // Waits at most timeout (negative: forever). Throws Error naming the target (path) and the
    // lock file (second_path), the step saying what failed with the lock's owner and holder:
    //   std::errc::timed_out — the lock stayed busy ("timed out after N s waiting for the update
    //     lock on PATH held by pid P ...");
    //   std::errc::resource_deadlock_would_occur — an ancestor of this process holds it;
    //   std::errc::operation_not_permitted — a suspect lock file in a sticky directory and no
    //     target that can be locked instead;
    //   std::errc::operation_canceled — cancel() returned true (asked before the wait and
    //     about every 100 ms during it);
    //   otherwise the errno of the failed call (step "take update lock ...").
    UpdateLock(const Target& target, std::chrono::milliseconds timeout,
               const std::function<bool()>& cancel = {});
    UpdateLock(UpdateLock&& other) noexcept;
    UpdateLock& operator=(UpdateLock&& other) noexcept;
    ~UpdateLock() { release(); }

    bool held() const noexcept { return fd_.valid() || target_fd_.valid(); }
    // Whether the lock file is in use (false when only the target itself is locked).
    bool holds_lock_file() const noexcept { return fd_.valid(); }
    void release() noexcept;

  private:
    friend class LockAcquisition;

    const Target* target_ = nullptr;
    std::string name_;
    FileDescriptor fd_;         // the lock file, flock()ed
    FileDescriptor target_fd_;  // the target itself, OFD write-locked (sticky directories)
};

// Whether `name` in dir_fd is a lock file nobody holds; if so removes it (taking the lock first
// where it can be opened, so a writer that just opened it notices and starts again). Never
// follows a symlink or hangs on a FIFO. Returns true if removed.
bool remove_stale_lock(int dir_fd, const std::string& name);

}  // namespace atomfile::replace
