#include "platform/linux_locks.hpp"

#include <fcntl.h>
#include <pwd.h>
#include <sys/file.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <fstream>
#include <vector>

#include "platform/call_support.hpp"

namespace atomfile::platform {

// Retries try_once (0, or -1 with errno) while busy(errno) says someone else holds the lock,
// backing off from 200 us to 10 ms so a short wait stays short, until timeout_ms has passed.
template <class TryOnce, class Busy>
int poll_for_lock(long timeout_ms, TryOnce try_once, Busy busy) {
    struct timespec start;
    ::clock_gettime(CLOCK_MONOTONIC, &start);
    long pause_us = 200;
    for (;;) {
        if (try_once() == 0) return 0;
        if (!busy(errno) && errno != EINTR) return -1;
        struct timespec now;
        ::clock_gettime(CLOCK_MONOTONIC, &now);
        long elapsed_ms =
            (now.tv_sec - start.tv_sec) * 1000 + (now.tv_nsec - start.tv_nsec) / 1000000;
        if (elapsed_ms >= timeout_ms) {
            errno = timeout_ms == 0 ? EWOULDBLOCK : ETIMEDOUT;
            return -1;
        }
        ::usleep(static_cast<useconds_t>(pause_us));
        if (pause_us < 10000) pause_us *= 2;
    }
}

int lock_exclusive(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::lock, -1);
    if (timeout_ms < 0) return retry_on_eintr([&] { return ::flock(fd, LOCK_EX); });
    return poll_for_lock(
        timeout_ms, [&] { return ::flock(fd, LOCK_EX | LOCK_NB); },
        [](int error) { return error == EWOULDBLOCK; });
}

int lock_shared(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::lock, -1);
    if (timeout_ms < 0) return retry_on_eintr([&] { return ::flock(fd, LOCK_SH); });
    return poll_for_lock(
        timeout_ms, [&] { return ::flock(fd, LOCK_SH | LOCK_NB); },
        [](int error) { return error == EWOULDBLOCK; });
}

int lock_file_for_writing(int fd, long timeout_ms) {
    ATOMFILE_INJECT(Call::lock, -1);
    struct flock whole = {};
    whole.l_type = F_WRLCK;
    whole.l_whence = SEEK_SET;  // l_start 0, l_len 0: the whole file, however it grows
    if (timeout_ms < 0) return retry_on_eintr([&] { return ::fcntl(fd, F_OFD_SETLKW, &whole); });
    return poll_for_lock(
        timeout_ms, [&] { return ::fcntl(fd, F_OFD_SETLK, &whole); },
        [](int error) { return error == EAGAIN || error == EACCES; });
}

int lock_holder(const FileStatus& status, int& pid) {
    pid = 0;
    std::ifstream locks("/proc/locks");
    if (!locks) {
        errno = ENOENT;
        return -1;
    }
    // "1: FLOCK  ADVISORY  WRITE 1234 08:01:5678 0 EOF"; waiters are "1: -> FLOCK ...", and OFD
    // locks show pid -1. The device printed is the super block's, which is not st_dev on btrfs
    // subvolumes or overlayfs: a lock on the same inode number elsewhere is the fallback answer,
    // so that a held file is never reported free (a wrong match only makes a caller wait).
    int found = 0;
    std::string line;
    while (std::getline(locks, line)) {
        char id[32], kind[32], advisory[32], access[32];
        unsigned device_major = 0, device_minor = 0;
        unsigned long long inode = 0;
        long holder = 0;
        if (std::sscanf(line.c_str(), "%31s %31s %31s %31s %ld %x:%x:%llu", id, kind, advisory,
                        access, &holder, &device_major, &device_minor, &inode) != 8)
            continue;  // a waiter's line has "->" in place of a kind and fails the %ld
        if (inode != status.inode) continue;
        bool same_device =
            device_major == major(status.device) && device_minor == minor(status.device);
        if (found == 0 || same_device) pid = holder > 0 ? static_cast<int>(holder) : 0;
        found = 1;
        if (same_device) return 1;
    }
    return found;
}

int parent_pid(int pid) {
    std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
    std::string text;
    if (!stat || !std::getline(stat, text)) {
        errno = ESRCH;
        return -1;
    }
    // "PID (COMMAND) STATE PPID ...": the command may hold spaces and parentheses.
    std::size_t close = text.rfind(')');
    int parent = -1;
    char state = 0;
    if (close == std::string::npos ||
        std::sscanf(text.c_str() + close + 1, " %c %d", &state, &parent) != 2) {
        errno = EINVAL;
        return -1;
    }
    return parent;
}

bool user_name(unsigned uid, std::string& name) {
    struct passwd entry;
    struct passwd* found = nullptr;
    std::vector<char> buffer(4096);
    if (::getpwuid_r(uid, &entry, buffer.data(), buffer.size(), &found) != 0 || !found)
        return false;
    name = found->pw_name;
    return true;
}

}  // namespace atomfile::platform
