// The steps every replace error names (Error::step_id(); their words are step_text()). Callers
// and tests match on them, so they are defined once, in error.hpp; these are their short names
// inside the engine.
#pragma once

#include <chrono>
#include <string>

#include "atomfile/error.hpp"

namespace atomfile::replace::step {

inline constexpr Step resolve = Step::resolve;
inline constexpr Step open_directory = Step::open_directory;
inline constexpr Step open_target = Step::open_target;
inline constexpr Step not_regular = Step::not_regular;
inline constexpr Step hard_links = Step::hard_links;
inline constexpr Step target_exists = Step::target_exists;
inline constexpr Step read_target = Step::read_target;
inline constexpr Step lock = Step::lock;
inline constexpr Step lock_untrusted = Step::lock_untrusted;
inline constexpr Step create = Step::create_temp;
inline constexpr Step write = Step::write_temp;
inline constexpr Step copy_into_temp = Step::copy_into_temp;
inline constexpr Step owner = Step::owner;
inline constexpr Step mode = Step::mode;
inline constexpr Step xattrs = Step::xattrs;
inline constexpr Step sync = Step::sync_temp;
inline constexpr Step link = Step::link;
inline constexpr Step conflict = Step::conflict;
inline constexpr Step backup = Step::backup;
inline constexpr Step rename = Step::rename;
inline constexpr Step directory_sync = Step::directory_sync;

// The words of a lock timeout.
inline constexpr const char* lock_timeout = "timed out after ";
inline constexpr const char* lock_wait = " waiting for the update lock on ";

// The lock steps carry who owns and who holds the lock, so they are built here too.

// "1.5 s", "30 s": a lock timeout as a user set it.
inline std::string seconds(std::chrono::milliseconds waited) {
    std::string text = std::to_string(waited.count() / 1000);
    long long fraction = waited.count() % 1000;
    if (fraction != 0) {
        std::string digits = std::to_string(1000 + fraction).substr(1);
        digits.erase(digits.find_last_not_of('0') + 1);
        text += "." + digits;
    }
    return text + " s";
}

// "held by pid 1234" or "held by another process" (pid unknown).
inline std::string held_by(int pid) {
    return pid > 0 ? "held by pid " + std::to_string(pid) : "held by another process";
}

// "root (uid 0)", "uid 65533": a lock file's owner.
inline std::string owned_by(unsigned uid, const std::string& user) {
    return user.empty() ? "uid " + std::to_string(uid)
                        : user + " (uid " + std::to_string(uid) + ")";
}

// "timed out after 30 s waiting for the update lock on PATH held by pid P (lock file owned by
// USER (uid U))": what a tool prints for a lock wait that ran out.
inline std::string lock_timed_out(std::chrono::milliseconds waited, const std::string& lock_path,
                                  const std::string& holder, const std::string& owner_text) {
    std::string text = lock_timeout + seconds(waited) + lock_wait + lock_path + " " + holder;
    if (!owner_text.empty()) text += " (lock file owned by " + owner_text + ")";
    return text;
}

// An ancestor of this process holds the lock: waiting would never end.
inline std::string lock_deadlock(const std::string& lock_path, int pid) {
    return "take update lock: the update lock on " + lock_path + " is " + held_by(pid) +
           ", which this process runs under, so waiting for it would never end (does the "
           "command edit the file it was started on?)";
}

// A lock file that another user may have planted and that cannot be used or removed.
inline std::string lock_suspect(const std::string& lock_path, const std::string& description,
                                const std::string& problem) {
    return "take update lock: " + lock_path + " is " + description + ", not a lock file of " +
           "yours, root's or the file's owner, and " + problem;
}

}  // namespace atomfile::replace::step
