#include "cli/system.hpp"

#include <fcntl.h>
#include <linux/openat2.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <climits>
#include <cstdint>
#include <cstring>
#include <vector>

extern char** environ;

namespace atomfile::cli::system {

const int signal_interrupt = SIGINT;
const int signal_terminate = SIGTERM;
const int signal_hangup = SIGHUP;
const int signal_pipe = SIGPIPE;

namespace {

FaultPlan fault_plan;

// Whether the plan fails this call (errno set).
bool injected(Call call) {
    if (!fault_plan) return false;
    const int error = fault_plan(call);
    if (error == 0) return false;
    errno = error;
    return true;
}

}  // namespace

void set_fault_plan(FaultPlan plan) {
    fault_plan = std::move(plan);
}

namespace {

// What reserve_standard_descriptors() put in place of a closed 0, 1 or 2: the file's identity,
// so that a path reaching it again through procfs is known for the closed descriptor it stands for.
struct Reserved {
    bool taken = false;
    dev_t device = 0;
    ino_t inode = 0;
};
Reserved reserved[3];

bool is_reserved(int fd) {
    return fd >= 0 && fd <= 2 && reserved[fd].taken;
}

// /dev/null, opened as fd is meant to fail, or / as O_PATH where there is no /dev/null; moved to
// fd if a lower descriptor was free. -1 with errno.
int open_placeholder(int fd) {
    int got = -1;
    if (!injected(Call::reserve))
        got = ::open("/dev/null", (fd == 0 ? O_WRONLY : O_RDONLY) | O_CLOEXEC);
    if (got < 0) got = ::open("/", O_PATH | O_CLOEXEC);
    if (got < 0 || got == fd) return got;
    const int moved = ::dup3(got, fd, O_CLOEXEC);
    const int error = errno;
    ::close(got);
    errno = error;
    return moved;
}

}  // namespace

int reserve_standard_descriptors() {
    int result = 0;
    for (int fd = 0; fd <= 2; ++fd) {
        if (::fcntl(fd, F_GETFD) >= 0) continue;
        if (errno != EBADF) {
            result = -1;
            continue;
        }
        struct stat st;
        const int got = open_placeholder(fd);
        if (got < 0 || ::fstat(got, &st) != 0) {
            result = -1;
            continue;
        }
        reserved[fd] = {true, st.st_dev, st.st_ino};
    }
    return result;
}

int is_open_descriptor(int fd) {
    if (is_reserved(fd)) return 0;
    if (::fcntl(fd, F_GETFD) >= 0) return 1;
    return errno == EBADF ? 0 : -1;
}

int open_null_device() {
    return ::open("/dev/null", O_RDONLY | O_CLOEXEC);
}

int close_fd(int fd) {
    return ::close(fd);  // never retried on EINTR: Linux has already released the descriptor
}

int file_kind_at(const char* path, bool follow, FileKind& kind) {
    struct stat st;
    if ((follow ? ::stat(path, &st) : ::lstat(path, &st)) != 0) return -1;
    mode_t type = st.st_mode & S_IFMT;
    kind = type == S_IFDIR    ? FileKind::directory
           : type == S_IFLNK  ? FileKind::symlink
           : type == S_IFCHR  ? FileKind::character_device
           : type == S_IFBLK  ? FileKind::block_device
           : type == S_IFIFO  ? FileKind::fifo
           : type == S_IFSOCK ? FileKind::socket
                              : FileKind::regular;
    return 0;
}

namespace {

FileKind kind_of(mode_t mode) {
    const mode_t type = mode & S_IFMT;
    return type == S_IFDIR    ? FileKind::directory
           : type == S_IFLNK  ? FileKind::symlink
           : type == S_IFCHR  ? FileKind::character_device
           : type == S_IFBLK  ? FileKind::block_device
           : type == S_IFIFO  ? FileKind::fifo
           : type == S_IFSOCK ? FileKind::socket
                              : FileKind::regular;
}

void fill_identity(const struct stat& st, FileIdentity& identity) {
    identity.device = st.st_dev;
    identity.inode = st.st_ino;
    identity.kind = kind_of(st.st_mode);
}

}  // namespace

int file_identity_at(const char* path, bool follow, FileIdentity& identity) {
    struct stat st;
    if ((follow ? ::stat(path, &st) : ::lstat(path, &st)) != 0) return -1;
    fill_identity(st, identity);
    return 0;
}

namespace {

// Set by open_for_reading when it refused a symlink, for reading_step().
thread_local bool refused_planted_symlink = false;
// The last standard descriptor (0, 1, 2) whose procfs link the walk followed, or -1; and the one
// open_for_reading found to be closed (reserved), for reading_step().
thread_local int followed_standard_descriptor = -1;
thread_local int closed_standard_descriptor = -1;

// As many symlinks as the kernel follows in one path before it gives up with ELOOP.
constexpr int max_symlinks = 40;
// procfs: its links (/proc/self/fd/N, /proc/PID/cwd) lead to an open file, not to a path that
// their text could be walked by.
constexpr long procfs_magic = 0x9fa0;

// The rule of fs.protected_symlinks, applied whatever the sysctl says: in a sticky,
// world-writable directory (/tmp), a symlink is followed only when it belongs to the caller or
// to the directory's owner, so that no other user can point a root-run tool at a file of its
// choosing (/etc/shadow) by planting a link at a name the tool will read.
bool planted_by_another_user(const struct stat& directory, const struct stat& link) {
    const bool sticky_and_shared = (directory.st_mode & S_ISVTX) && (directory.st_mode & S_IWOTH);
    return sticky_and_shared && link.st_uid != ::geteuid() && link.st_uid != directory.st_uid;
}

// Closes a descriptor at the end of a scope, keeping errno.
class Held {
  public:
    explicit Held(int fd) : fd_(fd) {}
    ~Held() {
        const int error = errno;
        if (fd_ >= 0) ::close(fd_);
        errno = error;
    }
    Held(const Held&) = delete;
    Held& operator=(const Held&) = delete;
    int get() const { return fd_; }
    void reset(int fd) {
        if (fd_ >= 0) ::close(fd_);
        fd_ = fd;
    }

  private:
    int fd_;
};

int walk(int at_fd, const std::string& path, int flags, int& hops);

bool on_procfs(int fd) {
    struct statfs fs;
    return ::fstatfs(fd, &fs) == 0 && fs.f_type == procfs_magic;
}

// Follows the symlink link_fd (an O_PATH descriptor of it, so the link checked is the link read)
// found at name in directory_fd, opening what it leads to with flags. -1 with errno.
int follow(int directory_fd, const char* name, int link_fd, int flags, int& hops) {
    struct stat link, directory;
    if (::fstat(link_fd, &link) != 0 || ::fstat(directory_fd, &directory) != 0) return -1;
    if (planted_by_another_user(directory, link)) {
        refused_planted_symlink = true;
        errno = EACCES;
        return -1;
    }
    if (++hops > max_symlinks) {
        errno = ELOOP;
        return -1;
    }
    // No user can plant a link in procfs; its links are followed as the kernel follows them.
    if (on_procfs(directory_fd)) {
        const std::string link_name = name;
        if (link_name == "0" || link_name == "1" || link_name == "2")
            followed_standard_descriptor = link_name[0] - '0';
        return ::openat(directory_fd, name, flags);
    }
    std::string text(PATH_MAX, '\0');
    const ssize_t length = ::readlinkat(link_fd, "", text.data(), text.size());
    if (length < 0) return -1;
    if (static_cast<std::size_t>(length) == text.size()) {
        errno = ENAMETOOLONG;
        return -1;
    }
    text.resize(static_cast<std::size_t>(length));
    return walk(directory_fd, text, flags, hops);
}

// Opens name (no slash) in directory_fd with flags, a symlink there followed only when the rule
// allows it. A last component swapped between two opens is looked at again, a few times.
int open_component(int directory_fd, const char* name, int flags, int& hops) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        const int fd = ::openat(directory_fd, name, flags | O_NOFOLLOW);
        const int error = errno;
        // O_DIRECTORY|O_NOFOLLOW meets a symlink with ENOTDIR rather than ELOOP.
        if (fd >= 0 || (error != ELOOP && !(error == ENOTDIR && (flags & O_DIRECTORY)))) return fd;
        Held link(::openat(directory_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC));
        if (link.get() < 0) return -1;
        struct stat status;
        if (::fstat(link.get(), &status) != 0) return -1;
        if (S_ISLNK(status.st_mode)) return follow(directory_fd, name, link.get(), flags, hops);
        if (error == ENOTDIR && !S_ISDIR(status.st_mode)) {
            errno = ENOTDIR;  // no directory, and no link to one
            return -1;
        }
    }
    errno = ELOOP;
    return -1;
}

// path, relative to at_fd, opened with flags: walked one component at a time, each symlink met
// (in the directories on the way as at the end, as the kernel's rule covers every one) checked
// against the directory it is in and followed by its text, relative to that directory.
int walk(int at_fd, const std::string& path, int flags, int& hops) {
    if (path.empty()) {
        errno = ENOENT;
        return -1;
    }
    std::vector<std::string> names;
    for (std::size_t at = 0; at < path.size();) {
        const std::size_t slash = std::min(path.find('/', at), path.size());
        if (slash > at && path.compare(at, slash - at, ".") != 0)
            names.push_back(path.substr(at, slash - at));
        at = slash + 1;
    }
    if (path.back() == '/') flags |= O_DIRECTORY;  // "name/" names a directory only
    const int directory_flags = O_PATH | O_DIRECTORY | O_CLOEXEC;
    Held here(::openat(at_fd, path.front() == '/' ? "/" : ".", directory_flags));
    if (here.get() < 0) return -1;
    if (names.empty()) return ::openat(here.get(), ".", flags);
    for (std::size_t i = 0; i + 1 < names.size(); ++i) {
        const int next = open_component(here.get(), names[i].c_str(), directory_flags, hops);
        if (next < 0) return -1;
        here.reset(next);
    }
    return open_component(here.get(), names.back().c_str(), flags, hops);
}

// path opened with flags, every symlink on it checked. One openat2 settles a path without any
// symlink, the common case; a path with one, or a kernel without openat2, is walked.
int open_checked(const char* path, int flags, bool& through_symlink) {
    through_symlink = false;
    followed_standard_descriptor = -1;
    struct open_how how {};
    how.flags = static_cast<decltype(how.flags)>(static_cast<unsigned>(flags));
    how.resolve = RESOLVE_NO_SYMLINKS;
    const long fd = ::syscall(SYS_openat2, AT_FDCWD, path, &how, sizeof how);
    if (fd >= 0) return static_cast<int>(fd);
    if (errno != ELOOP && errno != ENOSYS && errno != EPERM && errno != EINVAL && errno != E2BIG)
        return -1;
    int hops = 0;
    const int walked = walk(AT_FDCWD, path, flags, hops);
    through_symlink = hops > 0;
    return walked;
}

// Whether st, opened through the procfs link of a standard descriptor, is the placeholder
// reserved for it: the descriptor was closed when the tool started (errno set to EBADF).
bool is_closed_standard_descriptor(const struct stat& st) {
    const int fd = followed_standard_descriptor;
    if (!is_reserved(fd) || st.st_dev != reserved[fd].device || st.st_ino != reserved[fd].inode)
        return false;
    closed_standard_descriptor = fd;
    errno = EBADF;
    return true;
}

}  // namespace

int names_closed_standard_descriptor(const char* path) {
    refused_planted_symlink = false;
    closed_standard_descriptor = -1;
    if (!is_reserved(0) && !is_reserved(1) && !is_reserved(2)) return 0;  // the usual start
    bool through_symlink = false;
    // Not O_PATH, with which the walk would open a symlink itself rather than follow it; opened
    // as open_for_reading opens, so that a FIFO cannot hang it.
    Held fd(open_checked(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, through_symlink));
    struct stat st;
    if (fd.get() < 0 || ::fstat(fd.get(), &st) != 0) return 0;
    return is_closed_standard_descriptor(st) ? 1 : 0;
}

int open_for_reading(const char* path, FileIdentity& identity) {
    refused_planted_symlink = false;
    closed_standard_descriptor = -1;
    bool through_symlink = false;
    const int fd =
        open_checked(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, through_symlink);
    if (fd < 0) return -1;
    struct stat st;
    bool failed = ::fstat(fd, &st) != 0 || is_closed_standard_descriptor(st);
    if (!failed) fill_identity(st, identity);
    identity.through_symlink = through_symlink;
    if (!failed && identity.kind != FileKind::regular) {
        const int flags = ::fcntl(fd, F_GETFL);
        failed = flags < 0 || ::fcntl(fd, F_SETFL, flags & ~O_NONBLOCK) != 0;
    }
    if (failed) {
        const int error = errno;
        ::close(fd);
        errno = error;
        return -1;
    }
    return fd;
}

std::string reading_step(const std::string& step) {
    static const char* const standard_names[] = {"input", "output", "error"};
    if (closed_standard_descriptor >= 0)
        return step + ": standard " + standard_names[closed_standard_descriptor] + " is closed";
    if (!refused_planted_symlink) return step;
    return step + ": refusing to follow a symlink another user planted in a sticky directory";
}

int raise_open_file_limit() {
    struct rlimit limit;
    if (::getrlimit(RLIMIT_NOFILE, &limit) != 0) return -1;
    if (limit.rlim_cur == limit.rlim_max) return 0;
    limit.rlim_cur = limit.rlim_max;
    return ::setrlimit(RLIMIT_NOFILE, &limit);
}

int change_mode(const char* path, unsigned mode) {
    return ::chmod(path, static_cast<mode_t>(mode));
}

namespace {

bool file_size_signal_ignored_by_us = false;

}  // namespace

int ignore_file_size_signal() {
    struct sigaction previous {};
    if (::sigaction(SIGXFSZ, nullptr, &previous) != 0) return -1;
    if (previous.sa_handler == SIG_IGN) return 0;
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    if (::sigaction(SIGXFSZ, &ignore, nullptr) != 0) return -1;
    file_size_signal_ignored_by_us = true;
    return 0;
}

int spawn(const SpawnRequest& request) {
    if (injected(Call::spawn)) return -1;
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    if (request.stdin_fd >= 0) posix_spawn_file_actions_adddup2(&actions, request.stdin_fd, 0);
    if (request.stdout_fd >= 0) posix_spawn_file_actions_adddup2(&actions, request.stdout_fd, 1);
    if (!request.working_directory.empty())
        posix_spawn_file_actions_addchdir_np(&actions, request.working_directory.c_str());

    posix_spawnattr_t attributes;
    posix_spawnattr_init(&attributes);
    // The tools block the signals they catch; the child must start with none blocked. Caught
    // signals revert to their defaults across exec by themselves, and signals ignored since
    // before we started (nohup) stay ignored, as a shell would leave them.
    sigset_t none;
    sigemptyset(&none);
    posix_spawnattr_setsigmask(&attributes, &none);
    // SIGXFSZ ignored by ignore_file_size_signal() for our own writes goes back to its default.
    sigset_t restored;
    sigemptyset(&restored);
    if (file_size_signal_ignored_by_us) sigaddset(&restored, SIGXFSZ);
    posix_spawnattr_setsigdefault(&attributes, &restored);
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);

    std::vector<std::string> environment_strings;
    for (char** entry = environ; *entry != nullptr; ++entry) {
        std::string item = *entry;
        bool overridden = false;
        for (const auto& set : request.set_env) {
            auto eq = set.find('=');
            if (item.compare(0, eq + 1, set, 0, eq + 1) == 0) overridden = true;
        }
        if (!overridden) environment_strings.push_back(std::move(item));
    }
    for (const auto& set : request.set_env) environment_strings.push_back(set);
    std::vector<char*> envp;
    for (auto& item : environment_strings) envp.push_back(item.data());
    envp.push_back(nullptr);
    std::vector<char*> argv;
    std::vector<std::string> argv_strings = request.argv;
    for (auto& arg : argv_strings) argv.push_back(arg.data());
    argv.push_back(nullptr);

    pid_t pid = -1;
    int error = ::posix_spawnp(&pid, argv[0], &actions, &attributes, argv.data(), envp.data());
    posix_spawn_file_actions_destroy(&actions);
    posix_spawnattr_destroy(&attributes);
    if (error != 0) {
        errno = error;
        return -1;
    }
    return static_cast<int>(pid);
}

int make_pipe(int& read_end, int& write_end) {
    if (injected(Call::pipe)) return -1;
    int ends[2];
    if (::pipe2(ends, O_CLOEXEC) != 0) return -1;
    read_end = ends[0];
    write_end = ends[1];
    return 0;
}

int wait_child(int pid, int& exit_status) {
    if (injected(Call::wait)) return -1;
    int status = 0;
    if (::waitpid(pid, &status, 0) < 0) return -1;
    if (WIFEXITED(status))
        exit_status = WEXITSTATUS(status);
    else if (WIFSIGNALED(status))
        exit_status = 128 + WTERMSIG(status);
    else
        exit_status = 255;
    return 0;
}

int send_signal(int pid, int signal_number) {
    return ::kill(pid, signal_number);
}

namespace {

volatile sig_atomic_t first_caught_signal = 0;
sigset_t caught_set;
sigset_t mask_before_catch;
bool signals_kept_until_exit = false;  // keep_signals_caught_until_exit()
std::vector<std::pair<int, struct sigaction>> actions_before_catch;

void record_signal(int signal_number) {
    if (first_caught_signal == 0) first_caught_signal = signal_number;
}

// The mask to wait under: the mask from before catch_signals() with the caught signals let
// through. Computed once there, not read again before each wait: a streaming copy waits before
// every read.
sigset_t wait_mask;

void compute_wait_mask() {
    wait_mask = mask_before_catch;
    for (int s = 1; s < NSIG; ++s)
        if (sigismember(&caught_set, s) == 1) sigdelset(&wait_mask, s);
}

// Where pidfd_open is missing (Linux < 5.3): poll the child, sleeping in sigtimedwait so a
// caught signal still ends the wait at once.
int poll_child_or_signal(int pid, int& exit_status) {
    for (;;) {
        int status = 0;
        pid_t done = ::waitpid(pid, &status, WNOHANG);
        if (done < 0) return -1;
        if (done == pid) {
            exit_status = WIFEXITED(status)     ? WEXITSTATUS(status)
                          : WIFSIGNALED(status) ? 128 + WTERMSIG(status)
                                                : 255;
            return 0;
        }
        struct timespec pause = {0, 20 * 1000 * 1000};
        int arrived = ::sigtimedwait(&caught_set, nullptr, &pause);
        if (arrived > 0) {
            record_signal(arrived);
            return 1;
        }
    }
}

}  // namespace

int catch_signals(const std::vector<int>& signals) {
    sigemptyset(&caught_set);
    actions_before_catch.clear();
    first_caught_signal = 0;
    struct sigaction action {};
    action.sa_handler = record_signal;
    sigemptyset(&action.sa_mask);
    action.sa_flags = 0;  // no SA_RESTART: an interrupted wait must return to its caller
    for (int s : signals) {
        struct sigaction previous {};
        if (::sigaction(s, nullptr, &previous) != 0) return -1;
        // An ignored signal stays ignored (nohup, a background job): the caller asked for that.
        if (previous.sa_handler == SIG_IGN) continue;
        if (::sigaction(s, &action, nullptr) != 0) return -1;
        actions_before_catch.emplace_back(s, previous);
        sigaddset(&caught_set, s);
    }
    int error = ::pthread_sigmask(SIG_BLOCK, &caught_set, &mask_before_catch);
    compute_wait_mask();
    if (error != 0) errno = error;
    return error == 0 ? 0 : -1;
}

void keep_signals_caught_until_exit() {
    signals_kept_until_exit = true;
}

int release_signals() {
    if (signals_kept_until_exit) return 0;
    struct timespec zero = {0, 0};
    while (::sigtimedwait(&caught_set, nullptr, &zero) > 0) {
    }
    for (const auto& [s, previous] : actions_before_catch) ::sigaction(s, &previous, nullptr);
    actions_before_catch.clear();
    sigemptyset(&caught_set);
    int error = ::pthread_sigmask(SIG_SETMASK, &mask_before_catch, nullptr);
    if (error != 0) errno = error;
    return error == 0 ? 0 : -1;
}

int caught_signal() {
    if (first_caught_signal == 0) {
        struct timespec zero = {0, 0};
        int pending = ::sigtimedwait(&caught_set, nullptr, &zero);
        if (pending > 0) first_caught_signal = pending;
    }
    return first_caught_signal;
}

void clear_caught_signal() {
    first_caught_signal = 0;
}

namespace {

const char* bus_error_message = "";
int bus_error_status = 1;

extern "C" void exit_after_bus_error(int) {
    static_cast<void>(::write(2, bus_error_message, std::strlen(bus_error_message)));
    ::_exit(bus_error_status);
}

}  // namespace

void exit_on_bus_error(const char* message, int exit_status) {
    bus_error_message = message;
    bus_error_status = exit_status;
    struct sigaction action {};
    action.sa_handler = exit_after_bus_error;
    ::sigemptyset(&action.sa_mask);
    ::sigaction(SIGBUS, &action, nullptr);
}

int wait_child_or_signal(int pid, int& exit_status) {
    if (injected(Call::wait)) return -1;
    int process_fd = static_cast<int>(::syscall(SYS_pidfd_open, pid, 0));
    if (process_fd < 0) return errno == ENOSYS ? poll_child_or_signal(pid, exit_status) : -1;
    for (;;) {
        if (caught_signal() != 0) {
            ::close(process_fd);
            return 1;
        }
        struct pollfd entry = {process_fd, POLLIN, 0};
        int ready = ::ppoll(&entry, 1, nullptr, &wait_mask);
        if (ready > 0) break;
        if (ready < 0 && errno != EINTR) {
            const int error = errno;
            ::close(process_fd);
            errno = error;
            return -1;
        }
    }
    ::close(process_fd);
    return wait_child(pid, exit_status);
}

int read_to_end_or_signal(int fd, std::string& into) {
    char buffer[65536];
    for (;;) {
        if (caught_signal() != 0) return 1;
        struct pollfd entry = {fd, POLLIN, 0};
        const int ready = ::ppoll(&entry, 1, nullptr, &wait_mask);
        if (ready < 0 && errno != EINTR) return -1;
        if (ready <= 0) continue;
        const ssize_t got = ::read(fd, buffer, sizeof buffer);
        if (got == 0) return 0;
        if (got > 0) into.append(buffer, static_cast<std::size_t>(got));
        if (got < 0 && errno != EINTR && errno != EAGAIN) return -1;
    }
}

}  // namespace atomfile::cli::system
