// Helpers shared by the replace engine's tests: a full snapshot of a file (content and
// metadata), xattr probes, and a fault plan that can fail several calls at once (a forced
// fallback plus the fault under test).
#pragma once

#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "platform/linux.hpp"
#include "support/test_support.hpp"

namespace atomfile::test {

struct FileSnapshot {
    std::string content;
    unsigned mode = 0;
    unsigned uid = 0;
    unsigned gid = 0;
    std::uint64_t inode = 0;
    std::uint64_t links = 0;
    long mtime_ns = 0;
    std::map<std::string, std::string> xattrs;

    bool operator==(const FileSnapshot& o) const {
        return content == o.content && mode == o.mode && uid == o.uid && gid == o.gid &&
               inode == o.inode && links == o.links && mtime_ns == o.mtime_ns && xattrs == o.xattrs;
    }
};

inline std::map<std::string, std::string> read_xattrs(const fs::path& path) {
    std::map<std::string, std::string> result;
    char names[4096];
    ssize_t size = ::llistxattr(path.c_str(), names, sizeof names);
    for (ssize_t at = 0; size > 0 && at < size;) {
        std::string name(names + at);
        char value[4096];
        ssize_t got = ::lgetxattr(path.c_str(), name.c_str(), value, sizeof value);
        if (got >= 0) result[name] = std::string(value, static_cast<std::size_t>(got));
        at += static_cast<ssize_t>(name.size()) + 1;
    }
    return result;
}

inline FileSnapshot snapshot(const fs::path& path) {
    struct stat st {};
    ::stat(path.c_str(), &st);
    FileSnapshot s;
    s.content = read_file(path);
    s.mode = st.st_mode & 07777;
    s.uid = st.st_uid;
    s.gid = st.st_gid;
    s.inode = st.st_ino;
    s.links = st.st_nlink;
    s.mtime_ns = st.st_mtim.tv_sec * 1000000000L + st.st_mtim.tv_nsec;
    s.xattrs = read_xattrs(path);
    return s;
}

// Sets a user.* xattr; false when the file system does not support them (the test then skips).
inline bool set_user_xattr(const fs::path& path, const std::string& name,
                           const std::string& value) {
    return ::setxattr(path.c_str(), name.c_str(), value.data(), value.size(), 0) == 0;
}

// Runs body in a child process that kills itself (SIGKILL) at its k-th system call through
// the seam, for crash sweeps: returns the child's wait status (exit 0 when body finished, 2 when
// it threw, killed by SIGKILL when the k-th call came first).
inline int run_killed_at_call(int k, const std::function<void()>& body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        int remaining = k;
        platform::FaultScope kill_at([&remaining](platform::Call) {
            if (--remaining == 0) ::raise(SIGKILL);
            return 0;
        });
        try {
            body();
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return status;
}

}  // namespace atomfile::test
