#include "replace/update_lock.hpp"

#include <cerrno>
#include <cstdio>
#include <cstdlib>

#include "atomfile/error.hpp"
#include "replace/steps.hpp"
#include "replace/temp_names.hpp"

namespace atomfile::replace {
namespace {

constexpr unsigned lock_file_mode = 0600;
constexpr std::size_t pid_field = 12;  // "%11d\n": fixed width, so no truncate is needed

using Clock = std::chrono::steady_clock;

// 1 when `name` still refers to the locked file, 0 when it is gone or another file, -1 (errno
// set) when that cannot be told.
int names_inode(int dir_fd, const std::string& name, int fd) {
    platform::FileStatus held;
    platform::FileStatus named;
    if (platform::stat_fd(fd, held) != 0) return -1;
    if (platform::stat_at(dir_fd, name.c_str(), named, false) != 0) return errno == ENOENT ? 0 : -1;
    return same_inode(held, named) ? 1 : 0;
}

std::string lock_path(const Target& target, const std::string& name) {
    return target.directory == "/" ? "/" + name : target.directory + "/" + name;
}

// Errors name the target first (what the caller asked about) and the lock file second.
[[noreturn]] void throw_lock_error(int error, const std::string& what, const Target& target,
                                   const std::string& name) {
    throw_error(error, what, target.path, lock_path(target, name));
}

}  // namespace

UpdateLock::UpdateLock(const Target& target, std::chrono::milliseconds timeout)
    : target_(&target), name_(lock_name(target.name)), timeout_ms_(timeout.count()) {
    const Clock::time_point start = Clock::now();
    for (;;) {
        long remaining = -1;
        if (timeout.count() >= 0) {
            auto waited =
                std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
            remaining = waited >= timeout ? 0 : static_cast<long>((timeout - waited).count());
        }
        if (try_acquire(remaining)) return;
    }
}

UpdateLock::UpdateLock(UpdateLock&& other) noexcept
    : target_(other.target_),
      name_(std::move(other.name_)),
      timeout_ms_(other.timeout_ms_),
      fd_(std::move(other.fd_)) {}

UpdateLock& UpdateLock::operator=(UpdateLock&& other) noexcept {
    if (this != &other) {
        release();
        target_ = other.target_;
        name_ = std::move(other.name_);
        timeout_ms_ = other.timeout_ms_;
        fd_ = std::move(other.fd_);
    }
    return *this;
}

// One round: true when the lock is ours; false when the file we locked had been released and
// unlinked by its previous holder (the caller opens the new one).
bool UpdateLock::try_acquire(long timeout_ms) {
    const int dir = target_->dir.get();
    FileDescriptor fd(platform::open_lock_file(dir, name_.c_str(), lock_file_mode));
    if (!fd) throw_lock_error(errno, step::lock, *target_, name_);
    if (platform::lock_exclusive(fd.get(), timeout_ms) != 0) {
        int error = errno;
        if (error == ETIMEDOUT || error == EWOULDBLOCK) {
            fd_ = std::move(fd);  // only to read the holder's pid
            throw_timeout();
        }
        fd.reset();
        remove_stale_lock(dir, name_);  // do not leave the file we may have created
        throw_lock_error(error, step::lock, *target_, name_);
    }
    int named = names_inode(dir, name_, fd.get());
    if (named < 0) {
        int error = errno;
        fd.reset();
        remove_stale_lock(dir, name_);
        throw_lock_error(error, step::lock, *target_, name_);
    }
    if (named == 0) return false;
    fd_ = std::move(fd);
    record_holder();
    return true;
}

void UpdateLock::record_holder() const {
    char field[pid_field + 1];
    std::snprintf(field, sizeof field, "%11d\n", platform::current_pid());
    // Only informative: a failure here must not fail the update.
    platform::pwrite_all(fd_.get(), field, pid_field, 0);
}

void UpdateLock::throw_timeout() {
    std::string holder = "another process";
    char field[pid_field + 1] = {};
    if (fd_ && platform::pread_some(fd_.get(), field, pid_field, 0) > 0) {
        long pid = std::strtol(field, nullptr, 10);
        if (pid > 0) holder = "process " + std::to_string(pid);
    }
    fd_.reset();
    std::string what = std::string(step::lock_timeout) + " (held by " + holder +
                       "; gave up after " + std::to_string(timeout_ms_) + " ms)";
    throw_lock_error(ETIMEDOUT, what, *target_, name_);
}

void UpdateLock::release() noexcept {
    if (!fd_) return;
    // Unlink first, while still holding the lock: a waiter that then gets the old inode sees
    // that the name is gone and starts again on a fresh file.
    platform::unlink_file_at(target_->dir.get(), name_.c_str());
    fd_.reset();
}

bool remove_stale_lock(int dir_fd, const std::string& name) {
    FileDescriptor fd(platform::open_read(dir_fd, name.c_str(), false));
    if (!fd || platform::lock_exclusive(fd.get(), 0) != 0) return false;
    if (names_inode(dir_fd, name, fd.get()) != 1) return false;
    return platform::unlink_file_at(dir_fd, name.c_str()) == 0;
}

}  // namespace atomfile::replace
