#include "replace/update_lock.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <thread>

#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/steps.hpp"
#include "replace/temp_names.hpp"

namespace atomfile::replace {
namespace {

constexpr unsigned lock_file_mode = 0600;
constexpr std::size_t pid_field = 12;  // "%11d\n": fixed width, so no truncate is needed
constexpr unsigned sticky_bit = 01000;
// How often a suspect lock file that cannot be opened (so not flock()ed) is checked in
// /proc/locks while someone holds it.
constexpr std::chrono::milliseconds suspect_poll{10};
// How often a wait that the caller may cancel asks whether it should.
constexpr std::chrono::milliseconds cancel_poll{100};
constexpr int max_ancestors = 4096;
// What an error says when locking the target itself (sticky directories) failed.
constexpr const char* on_target = "lock the target itself";

using Clock = std::chrono::steady_clock;
using platform::FileStatus;
using std::chrono::milliseconds;

// 1 when `name` still refers to the locked file, 0 when it is gone or another file, -1 (errno
// set) when that cannot be told.
int names_inode(int dir_fd, const std::string& name, int fd) {
    FileStatus held;
    FileStatus named;
    if (platform::stat_fd(fd, held) != 0) return -1;
    if (platform::stat_at(dir_fd, name.c_str(), named, false) != 0) return errno == ENOENT ? 0 : -1;
    return same_inode(held, named) ? 1 : 0;
}

// The pid a holder wrote into its lock file; 0 when there is none.
int recorded_pid(int fd) {
    char field[pid_field + 1] = {};
    if (platform::pread_some(fd, field, pid_field, 0) <= 0) return 0;
    long pid = std::strtol(field, nullptr, 10);
    return pid > 0 && pid < (1L << 30) ? static_cast<int>(pid) : 0;
}

// Who holds a lock on the file: /proc/locks first (its pids are those of our pid namespace),
// then the pid the holder recorded in a lock file; 0 when unknown.
int holder_of(const FileStatus& status, int lock_file_fd) {
    int pid = 0;
    if (platform::lock_holder(status, pid) == 1 && pid > 0) return pid;
    return lock_file_fd >= 0 ? recorded_pid(lock_file_fd) : 0;
}

// Whether pid is the parent, grandparent... of this process (not the process itself).
bool is_ancestor(int pid) {
    int current = platform::parent_pid(platform::current_pid());
    for (int hops = 0; current > 0 && hops < max_ancestors; ++hops) {
        if (current == pid) return true;
        current = platform::parent_pid(current);
    }
    return false;
}

std::string owner_of(const FileStatus& status) {
    std::string user;
    platform::user_name(status.uid, user);
    return step::owned_by(status.uid, user);
}

// What sits at the lock name, in words, for an error about it.
std::string describe(const FileStatus& status, int holder) {
    std::string kind = "a file";
    if (status.type == platform::FileType::symlink) kind = "a symlink";
    if (status.type == platform::FileType::directory) kind = "a directory";
    if (status.type == platform::FileType::other) kind = "a special file";
    if (status.type == platform::FileType::regular && status.link_count > 1)
        kind = "a file with " + std::to_string(status.link_count) + " links";
    std::string text = kind + " owned by " + owner_of(status);
    if (holder > 0) text += ", " + step::held_by(holder);
    return text;
}

// What sits at the lock name: an open descriptor when it could be opened, its status either way
// (none when the name is free again).
struct Found {
    FileDescriptor fd;
    std::optional<FileStatus> status;
};

// Open errors that mean "something we cannot use is at the name" rather than a failure to
// create a lock file at all.
bool is_planted_error(int error) {
    return error == EACCES || error == EPERM || error == ELOOP || error == ENXIO ||
           error == EISDIR || error == ETXTBSY || error == EWOULDBLOCK;
}

}  // namespace

// One acquisition of an UpdateLock: the policy that update_lock.hpp describes.
class LockAcquisition {
  public:
    LockAcquisition(UpdateLock& lock, milliseconds timeout, const std::function<bool()>& cancel)
        : lock_(lock),
          cancel_(cancel),
          target_(*lock.target_),
          dir_(target_.dir.get()),
          lock_path_(detail::join_path(target_.directory, lock.name_)),
          timeout_(timeout),
          start_(Clock::now()),
          euid_(platform::current_uid()) {
        FileStatus directory;
        if (platform::stat_fd(dir_, directory) != 0) fail_on(errno, "examine its directory");
        sticky_ = (directory.mode & sticky_bit) != 0;
    }

    void run() {
        for (;;) {
            Found found = open_lock_file();
            if (found.fd && trusted(*found.status)) {
                if (!take_lock_file(found)) continue;
                if (sticky_) take_target_lock(nullptr);
                return;
            }
            if (!sticky_) {
                remove_suspect(found);
                continue;
            }
            take_target_lock(&found);
            return;
        }
    }

  private:
    const std::string& name() const { return lock_.name_; }

    long remaining_ms() const {
        if (timeout_.count() < 0) return -1;
        auto waited = std::chrono::duration_cast<milliseconds>(Clock::now() - start_);
        return waited >= timeout_ ? 0 : static_cast<long>((timeout_ - waited).count());
    }

    [[noreturn]] void fail(int error, const std::string& what, Step id = step::lock) const {
        throw_error(error, StepWords{id, what}, target_.path, lock_path_);
    }

    // A failed call on the way to the lock. A tool prints only the step, so the step names the
    // lock file, and what was being done when that was not the lock file itself.
    [[noreturn]] void fail_on(int error, const char* doing = nullptr) const {
        std::string what = std::string(step_text(step::lock)) + ": " + lock_path_;
        if (doing) what += std::string(" (") + doing + ")";
        fail(error, what);
    }

    // A failed call while we had the lock file open (so may have created it) but before it was
    // ours: it must not outlive us. Removed only if nobody holds it (remove_stale_lock), so a
    // writer that holds it, or that just opened it and notices, is never disturbed.
    [[noreturn]] void fail_and_remove_lock_file(int error, FileDescriptor& opened) const {
        opened.reset();  // our own descriptor must not make the file look held
        remove_stale_lock(dir_, name());
        fail_on(error);
    }

    [[noreturn]] void fail_timeout(const std::string& path, int holder,
                                   const std::string& owner_text) const {
        fail(ETIMEDOUT, step::lock_timed_out(timeout_, path, step::held_by(holder), owner_text));
    }

    // Throws when the holder is one of our ancestors: it waits for us, we would wait for it.
    void check_deadlock(const std::string& path, int holder) const {
        if (holder > 0 && is_ancestor(holder)) fail(EDEADLK, step::lock_deadlock(path, holder));
    }

    Found open_lock_file() const {
        Found found;
        found.fd = FileDescriptor(platform::open_lock_file(dir_, name().c_str(), lock_file_mode));
        FileStatus status;
        if (found.fd) {
            if (platform::stat_fd(found.fd.get(), status) != 0)
                fail_and_remove_lock_file(errno, found.fd);
            found.status = status;
            return found;
        }
        const int error = errno;
        if (!is_planted_error(error) || platform::stat_at(dir_, name().c_str(), status, false) != 0)
            fail_on(error);  // nothing there: we cannot create a lock file at all
        found.status = status;
        return found;
    }

    // A lock file we may use: regular, one link, at most a pid long, and owned by us, by root or
    // by the target's owner, none of whom needs a planted lock to stop an update. A target that
    // cannot be examined makes the file suspect: that only costs caution (suspects are waited
    // for; in a sticky directory the target lock, which every writer takes there, still
    // excludes), never exclusion.
    bool trusted(const FileStatus& status) const {
        if (status.type != platform::FileType::regular || status.link_count != 1 ||
            status.size > static_cast<std::int64_t>(pid_field))
            return false;
        if (status.uid == euid_ || status.uid == 0) return true;
        FileStatus target;
        return platform::stat_at(dir_, target_.name.c_str(), target, false) == 0 &&
               target.uid == status.uid;
    }

    // Waits for a lock on fd: flock on a lock file, an OFD write lock on the target. Throws on
    // a timeout, a self-deadlock or any other failure.
    void wait(int fd, bool lock_file, const std::string& path, const FileStatus& status) const {
        auto take = [&](long ms) {
            return lock_file ? platform::lock_exclusive(fd, ms)
                             : platform::lock_file_for_writing(fd, ms);
        };
        if (take(0) == 0) return;
        if (errno != EWOULDBLOCK) fail_wait(errno, lock_file);
        const int lock_file_fd = lock_file ? fd : -1;
        check_deadlock(path, holder_of(status, lock_file_fd));
        if (take_until_timeout(take) == 0) return;
        const int error = errno;
        if (error != ETIMEDOUT && error != EWOULDBLOCK) fail_wait(error, lock_file);
        fail_timeout(path, holder_of(status, lock_file_fd), lock_file ? owner_of(status) : "");
    }

    // Waits with take(ms) until the timeout; with a cancel check, in slices, asking it between
    // them. 0, or -1 with errno (ETIMEDOUT or EWOULDBLOCK when the time ran out).
    template <class Take>
    int take_until_timeout(Take take) const {
        if (!cancel_) return take(remaining_ms());
        for (;;) {
            check_cancelled();
            const long left = remaining_ms();
            const long slice = static_cast<long>(cancel_poll.count());
            if (take(left < 0 ? slice : std::min(left, slice)) == 0) return 0;
            if ((errno != ETIMEDOUT && errno != EWOULDBLOCK) || (left >= 0 && left <= slice))
                return -1;
        }
    }

    void check_cancelled() const {
        if (cancel_ && cancel_()) fail_on(ECANCELED, "wait cancelled");
    }

    // A failed lock call: do not leave a lock file that we may have created.
    [[noreturn]] void fail_wait(int error, bool lock_file) const {
        if (lock_file) remove_stale_lock(dir_, name());
        fail_on(error, lock_file ? nullptr : on_target);
    }

    // true: the lock file is ours; false: its holder released and removed it meanwhile.
    bool take_lock_file(Found& found) {
        wait(found.fd.get(), true, lock_path_, *found.status);
        int named = names_inode(dir_, name(), found.fd.get());
        if (named < 0) fail_and_remove_lock_file(errno, found.fd);
        if (named == 0) return false;
        // Ours from here: a failure below releases it, which removes the file (~UpdateLock).
        lock_.fd_ = std::move(found.fd);
        give_to_target_owner(*found.status);
        record_holder();
        return true;
    }

    // Root's lock file for another user's target is given to that user, so that the owner's
    // writers can open it and wait on it rather than find it suspect. Whether that is needed is
    // unknown when the target cannot be examined, so that fails the lock (a missing target needs
    // nothing). Not being allowed to give it away (platform::cannot_give_away: root in a user
    // namespace) is the one failure let through: the owner's writers then find a root-owned
    // file they cannot open, which they wait on through /proc/locks, and in a sticky directory
    // both sides also lock the target; refusing would leave root unable to update such files.
    void give_to_target_owner(const FileStatus& status) const {
        FileStatus target;
        if (euid_ != 0 || status.uid != 0) return;
        if (platform::stat_at(dir_, target_.name.c_str(), target, false) != 0) {
            if (errno == ENOENT) return;
            fail_on(errno, "examine the target's owner");
        }
        if (target.uid == 0) return;
        if (platform::change_owner(lock_.fd_.get(), target.uid, target.gid) != 0 &&
            !platform::cannot_give_away(errno))
            fail_on(errno, "give it to the target's owner");
    }

    void record_holder() const {
        char field[pid_field + 1];
        std::snprintf(field, sizeof field, "%11d\n", platform::current_pid());
        // Only informative: a failure here must not fail the update.
        platform::pwrite_all(lock_.fd_.get(), field, pid_field, 0);
    }

    // Without the sticky bit: removes a suspect lock file once nobody holds it (waiting for a
    // holder like for a lock). Returns when the name is free or holds something else.
    void remove_suspect(Found& found) const {
        if (!found.status) return;
        if (found.fd) {
            wait(found.fd.get(), true, lock_path_, *found.status);
            if (names_inode(dir_, name(), found.fd.get()) != 1) return;
        } else {
            wait_unheld(*found.status);
            FileStatus now;
            if (platform::stat_at(dir_, name().c_str(), now, false) != 0 ||
                !same_inode(now, *found.status))
                return;
        }
        if (platform::unlink_file_at(dir_, name().c_str()) != 0 && errno != ENOENT) {
            const int error = errno;
            fail(error,
                 step::lock_suspect(lock_path_, describe(*found.status, 0), "it cannot be removed"),
                 step::lock_untrusted);
        }
    }

    // Polls /proc/locks until nobody holds a lock on a file we cannot open. Where /proc/locks
    // cannot be read the file counts as free: a planted file must never block for good.
    void wait_unheld(const FileStatus& status) const {
        for (;;) {
            int holder = 0;
            if (platform::lock_holder(status, holder) != 1) return;
            check_deadlock(lock_path_, holder);
            check_cancelled();
            long left = remaining_ms();
            if (left == 0) fail_timeout(lock_path_, holder, owner_of(status));
            auto pause = left < 0 ? suspect_poll : std::min(suspect_poll, milliseconds(left));
            std::this_thread::sleep_for(pause);
        }
    }

    // Write-locks the target itself. With `suspect` (the lock file could not be used) the target
    // lock is the only one, so a target that cannot be locked fails the update; without it the
    // lock file already serialises writers that cannot open the target, and a missing or
    // unwritable target is skipped.
    void take_target_lock(const Found* suspect) {
        for (;;) {
            FileDescriptor fd(platform::open_existing_for_lock(dir_, target_.name.c_str(), true));
            FileStatus status;
            if (fd && platform::stat_fd(fd.get(), status) != 0) fail_on(errno, on_target);
            if (!fd || status.type != platform::FileType::regular) {
                if (!suspect) return;
                fail_unlockable_target(fd ? EINVAL : errno, *suspect);
            }
            wait(fd.get(), false, target_.path, status);
            int named = names_inode(dir_, target_.name, fd.get());
            if (named < 0) fail_on(errno, on_target);
            if (named == 1) {
                lock_.target_fd_ = std::move(fd);
                return;
            }
        }
    }

    [[noreturn]] void fail_unlockable_target(int error, const Found& suspect) const {
        std::string about = describe(*suspect.status, holder_of(*suspect.status, -1));
        std::string problem =
            error == ENOENT
                ? "it cannot be removed in this sticky directory, and " + target_.path +
                      " does not exist yet to be locked instead (whoever planted it could have "
                      "created the file too): remove it, or use another directory"
                : "it cannot be removed in this sticky directory, and " + target_.path +
                      " cannot be opened for writing to be locked instead";
        fail(error == ENOENT ? EPERM : error, step::lock_suspect(lock_path_, about, problem),
             step::lock_untrusted);
    }

    UpdateLock& lock_;
    const std::function<bool()>& cancel_;
    const Target& target_;
    const int dir_;
    const std::string lock_path_;
    const milliseconds timeout_;
    const Clock::time_point start_;
    const unsigned euid_;
    bool sticky_ = false;
};

UpdateLock::UpdateLock(const Target& target, std::chrono::milliseconds timeout,
                       const std::function<bool()>& cancel)
    : target_(&target), name_(lock_name(target.name)) {
    try {
        LockAcquisition(*this, timeout, cancel).run();
    } catch (...) {
        release();  // a lock file taken before the target lock failed must not stay behind
        throw;
    }
}

UpdateLock::UpdateLock(UpdateLock&& other) noexcept
    : target_(other.target_),
      name_(std::move(other.name_)),
      fd_(std::move(other.fd_)),
      target_fd_(std::move(other.target_fd_)) {}

UpdateLock& UpdateLock::operator=(UpdateLock&& other) noexcept {
    if (this != &other) {
        release();
        target_ = other.target_;
        name_ = std::move(other.name_);
        fd_ = std::move(other.fd_);
        target_fd_ = std::move(other.target_fd_);
    }
    return *this;
}

void UpdateLock::release() noexcept {
    if (fd_) {
        // Unlink first, while still holding the lock: a waiter that then gets the old inode sees
        // that the name is gone and starts again on a fresh file.
        platform::unlink_file_at(target_->dir.get(), name_.c_str());
        fd_.reset();
    }
    target_fd_.reset();
}

bool remove_stale_lock(int dir_fd, const std::string& name) {
    FileDescriptor fd(platform::open_existing_for_lock(dir_fd, name.c_str(), false));
    if (fd) {
        if (platform::lock_exclusive(fd.get(), 0) != 0) return false;
        if (names_inode(dir_fd, name, fd.get()) != 1) return false;
        return platform::unlink_file_at(dir_fd, name.c_str()) == 0;
    }
    // Unreadable (another user's 0600 lock): free when /proc/locks shows no holder.
    FileStatus status;
    FileStatus again;
    int holder = 0;
    if (errno != EACCES || platform::stat_at(dir_fd, name.c_str(), status, false) != 0 ||
        platform::lock_holder(status, holder) != 0)
        return false;
    if (platform::stat_at(dir_fd, name.c_str(), again, false) != 0 || !same_inode(status, again))
        return false;
    return platform::unlink_file_at(dir_fd, name.c_str()) == 0;
}

}  // namespace atomfile::replace
