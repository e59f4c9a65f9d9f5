// The words every replace error uses for the step that failed (Error::step()). Callers and
// tests match on them, so they are defined once.
#pragma once

#include <chrono>
#include <string>

namespace atomfile::replace::step {

inline constexpr const char* resolve = "resolve target";
inline constexpr const char* open_directory = "open target directory";
inline constexpr const char* open_target = "open target";
inline constexpr const char* not_regular = "replace a target that is not a regular file";
inline constexpr const char* hard_links = "replace a target that has other hard links";
inline constexpr const char* target_exists = "create target that already exists";
inline constexpr const char* read_target = "read target";
inline constexpr const char* lock = "take update lock";
inline constexpr const char* lock_timeout = "timed out after ";
inline constexpr const char* lock_wait = " waiting for the update lock on ";
inline constexpr const char* create = "create temp file";
inline constexpr const char* write = "write temp file";
inline constexpr const char* owner = "copy owner to temp file";
inline constexpr const char* mode = "set mode of temp file";
inline constexpr const char* xattrs = "copy extended attributes to temp file";
inline constexpr const char* sync = "sync temp file";
inline constexpr const char* link = "link temp file into target directory";
inline constexpr const char* conflict = "check for concurrent replace";
inline constexpr const char* backup = "make backup";
inline constexpr const char* rename = "rename temp over target";
inline constexpr const char* directory_sync = "sync directory after replace";

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

// The same step with the time a caller waited in total (tools wait in slices, so that a signal
// can end the wait); any other step is returned unchanged.
inline std::string lock_timed_out_after(const std::string& step, std::chrono::milliseconds waited) {
    std::string prefix = lock_timeout;
    std::size_t rest = step.find(lock_wait);
    if (step.compare(0, prefix.size(), prefix) != 0 || rest == std::string::npos) return step;
    return prefix + seconds(waited) + step.substr(rest);
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
