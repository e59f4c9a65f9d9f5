// The exclusive update lock of a target: serialises read-modify-write across processes.
//
// Why not lock the target itself: a replace renames a new inode over the name, so a waiter that
// opened the old inode wins a lock nobody else contends for and loses updates. The lock lives in
// a separate file, ".NAME.atomfile-lock" in the target's directory:
//   acquire: open (creating) the lock file, flock(LOCK_EX), then check that the name still refers
//            to the locked inode; if a releasing holder unlinked it meanwhile, start again;
//   release: unlink the name while still holding the lock, then close (which unlocks).
// So no lock file remains once updates finish, a holder's death releases the lock (the kernel
// drops flock locks with the last descriptor), and a lock file left by a killed holder is
// simply taken over by the next writer, which removes it when done.
// The holder writes its pid into the file so a waiter that times out can say who holds it.
#pragma once

#include <chrono>
#include <string>

#include "atomfile/file_descriptor.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

class UpdateLock {
  public:
    UpdateLock() = default;
    // Waits at most timeout (negative: forever). Throws Error: std::errc::timed_out (step "wait
    // for update lock", naming the holder's pid) or the errno of the failed call.
    UpdateLock(const Target& target, std::chrono::milliseconds timeout);
    UpdateLock(UpdateLock&& other) noexcept;
    UpdateLock& operator=(UpdateLock&& other) noexcept;
    ~UpdateLock() { release(); }

    bool held() const noexcept { return fd_.valid(); }
    void release() noexcept;

  private:
    bool try_acquire(long timeout_ms);
    bool still_named() const;
    [[noreturn]] void throw_timeout();
    void record_holder() const;

    const Target* target_ = nullptr;
    std::string name_;
    long long timeout_ms_ = -1;  // as configured, for the error message
    FileDescriptor fd_;
};

// Whether `name` in dir_fd is a lock file nobody holds; if so removes it (taking the lock
// first, so a writer that just opened it notices and starts again). Returns true if removed.
bool remove_stale_lock(int dir_fd, const std::string& name);

}  // namespace atomfile::replace
