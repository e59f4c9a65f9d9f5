// Helpers shared by the tests of the temp primitives (tests/lib/test_{tempdir,mkstemp,...}.cpp).
#pragma once

#include <grp.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdlib>
#include <functional>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "detail/random_name.hpp"
#include "detail/temp_support.hpp"
#include "detail/tempdir_cache.hpp"
#include "support/test_support.hpp"

namespace atomfile::test {

// Feeds chosen names to every temp creation while alive (prefix + name + suffix), then random
// ones, so a test can plant files and symlinks exactly where a creation will look.
class ScriptedNames {
  public:
    explicit ScriptedNames(std::vector<std::string> names) : names_(std::move(names)) {
        detail::set_name_source(&ScriptedNames::next, this);
    }
    ~ScriptedNames() { detail::set_name_source(nullptr, nullptr); }
    ScriptedNames(const ScriptedNames&) = delete;
    ScriptedNames& operator=(const ScriptedNames&) = delete;
    int drawn() const { return drawn_; }

  private:
    static std::string next(std::string_view prefix, std::string_view suffix, void* self) {
        auto* names = static_cast<ScriptedNames*>(self);
        std::size_t index = static_cast<std::size_t>(names->drawn_++);
        if (index >= names->names_.size()) return detail::random_name(prefix, suffix);
        return std::string(prefix) + names->names_[index] + std::string(suffix);
    }
    std::vector<std::string> names_;
    int drawn_ = 0;
};

// Sets the umask for the scope of a test and restores it.
class ScopedUmask {
  public:
    explicit ScopedUmask(unsigned mask) : old_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old_); }
    ScopedUmask(const ScopedUmask&) = delete;
    ScopedUmask& operator=(const ScopedUmask&) = delete;

  private:
    mode_t old_;
};

// Sets or unsets environment variables for the scope of a test, restoring them and forgetting
// gettempdir()'s cached answer on both ends.
class ScopedEnvironment {
  public:
    ScopedEnvironment() { detail::reset_tempdir_cache(); }
    ~ScopedEnvironment() {
        for (const auto& [name, value] : saved_) {
            if (value)
                ::setenv(name.c_str(), value->c_str(), 1);
            else
                ::unsetenv(name.c_str());
        }
        detail::reset_tempdir_cache();
    }
    ScopedEnvironment(const ScopedEnvironment&) = delete;
    ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

    void set(const std::string& name, const std::string& value) {
        save(name);
        ::setenv(name.c_str(), value.c_str(), 1);
    }
    void unset(const std::string& name) {
        save(name);
        ::unsetenv(name.c_str());
    }

  private:
    void save(const std::string& name) {
        for (const auto& entry : saved_)
            if (entry.first == name) return;
        const char* value = std::getenv(name.c_str());
        saved_.emplace_back(name, value ? std::optional<std::string>(value) : std::nullopt);
    }
    std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

// What an exec'd program sees open: the targets of its /proc/self/fd links.
inline std::vector<std::string> descriptors_seen_by_child() {
    CommandResult result =
        run_command({"sh", "-c", "for f in /proc/$$/fd/*; do readlink \"$f\"; done"});
    std::vector<std::string> targets;
    std::istringstream lines(result.out);
    for (std::string line; std::getline(lines, line);) targets.push_back(line);
    return targets;
}

// True when a child program sees a descriptor on anything under directory.
inline bool child_sees_anything_in(const fs::path& directory) {
    for (const std::string& target : descriptors_seen_by_child())
        if (target.rfind(directory.string(), 0) == 0) return true;
    return false;
}

// Runs body without root's power to ignore permissions: as root, in a child switched to
// nobody (uid/gid 65534); otherwise in this process. Returns body's result (0 = success), or
// 200+ when the child could not be set up. Permission tests are meaningless for root.
inline int run_unprivileged(const std::function<int()>& body) {
    if (::geteuid() != 0) return body();
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
            ::_exit(201);
        int result = 202;
        try {
            result = body();
        } catch (...) {
            result = 203;
        }
        ::_exit(result);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 204;
}

// A directory anyone may create in, for tests that drop privileges.
inline void open_to_everyone(const fs::path& directory) {
    fs::permissions(directory, fs::perms::all | fs::perms::sticky_bit);
}

// The random part of a temp name made with the given prefix and suffix.
inline std::string random_part(const std::string& path, const std::string& prefix,
                               const std::string& suffix) {
    std::string name = fs::path(path).filename().string();
    return name.substr(prefix.size(), name.size() - prefix.size() - suffix.size());
}

}  // namespace atomfile::test
