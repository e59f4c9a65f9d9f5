#include "cli/system.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cerrno>
#include <climits>
#include <cstring>

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

int is_open_descriptor(int fd) {
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

// As many symlinks as the kernel follows in one path before it gives up with ELOOP.
constexpr int max_symlinks = 40;

// The rule of fs.protected_symlinks, applied whatever the sysctl says: in a sticky,
// world-writable directory (/tmp), a symlink is followed only when it belongs to the caller or
// to the directory's owner, so that no other user can point a root-run tool at a file of its
// choosing (/etc/shadow) by planting a link at a name the tool will read.
bool planted_by_another_user(const struct stat& directory, const struct stat& link) {
    const bool sticky_and_shared = (directory.st_mode & S_ISVTX) && (directory.st_mode & S_IWOTH);
    return sticky_and_shared && link.st_uid != ::geteuid() && link.st_uid != directory.st_uid;
}

bool same_link(const struct stat& a, const struct stat& b) {
    return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_uid == b.st_uid &&
           a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

// The link's text, read between two lstats of the same link: a link is never rewritten in
// place, so an unchanged inode, owner and ctime mean this text is the checked link's. false
// (errno EAGAIN) when it changed.
bool read_checked_link(int directory_fd, const char* name, const struct stat& checked,
                       std::string& target) {
    std::string buffer(PATH_MAX, '\0');
    const ssize_t length = ::readlinkat(directory_fd, name, buffer.data(), buffer.size());
    if (length < 0) return false;
    if (static_cast<std::size_t>(length) == buffer.size()) {
        errno = ENAMETOOLONG;
        return false;
    }
    struct stat again;
    if (::fstatat(directory_fd, name, &again, AT_SYMLINK_NOFOLLOW) != 0) return false;
    if (!same_link(checked, again)) {
        errno = EAGAIN;
        return false;
    }
    target.assign(buffer.data(), static_cast<std::size_t>(length));
    return true;
}

int open_checked(int at_fd, const std::string& path, int flags, int depth);

// Opens name in directory_fd without following a symlink there unless the rule allows it; a
// symlink allowed is followed by reading it and opening its text relative to the directory,
// so the file opened is the one the checked link named. A name swapped between the tries is
// tried again, a few times.
int open_in_directory(int directory_fd, const char* name, int flags, int depth) {
    for (int attempt = 0; attempt < 8; ++attempt) {
        const int fd = ::openat(directory_fd, name, flags | O_NOFOLLOW);
        if (fd >= 0 || errno != ELOOP) return fd;
        struct stat link, directory;
        if (::fstatat(directory_fd, name, &link, AT_SYMLINK_NOFOLLOW) != 0) return -1;
        if (!S_ISLNK(link.st_mode)) continue;  // replaced since the open: try again
        if (::fstat(directory_fd, &directory) != 0) return -1;
        if (planted_by_another_user(directory, link)) {
            refused_planted_symlink = true;
            errno = EACCES;
            return -1;
        }
        std::string target;
        if (!read_checked_link(directory_fd, name, link, target)) {
            if (errno == EAGAIN) continue;
            return -1;
        }
        if (depth + 1 >= max_symlinks) {
            errno = ELOOP;
            return -1;
        }
        return open_checked(directory_fd, target, flags, depth + 1);
    }
    errno = ELOOP;
    return -1;
}

// path, relative to at_fd, opened with the last component checked by open_in_directory; the
// directories leading to it are followed as open(2) follows them.
int open_checked(int at_fd, const std::string& path, int flags, int depth) {
    if (path.empty()) {
        errno = ENOENT;
        return -1;
    }
    std::string trimmed = path;
    while (trimmed.size() > 1 && trimmed.back() == '/') trimmed.pop_back();
    if (trimmed.size() < path.size()) flags |= O_DIRECTORY;  // "name/" names a directory only
    if (trimmed == "/") return ::openat(at_fd, "/", flags);
    // Most names are no symlink: one open settles them, without the directory's.
    if (trimmed.size() == path.size()) {
        const int fd = ::openat(at_fd, path.c_str(), flags | O_NOFOLLOW);
        if (fd >= 0 || errno != ELOOP) return fd;
    }
    // The directory is opened even for a bare name: AT_FDCWD cannot be asked for its owner.
    const auto slash = trimmed.rfind('/');
    const std::string parent = slash == std::string::npos ? "."
                               : slash == 0               ? "/"
                                                          : trimmed.substr(0, slash);
    const std::string name = slash == std::string::npos ? trimmed : trimmed.substr(slash + 1);
    const int directory_fd = ::openat(at_fd, parent.c_str(), O_DIRECTORY | O_PATH | O_CLOEXEC);
    if (directory_fd < 0) return -1;
    const int fd = open_in_directory(directory_fd, name.c_str(), flags, depth);
    const int error = errno;
    ::close(directory_fd);
    errno = error;
    return fd;
}

}  // namespace

int open_for_reading(const char* path, FileIdentity& identity) {
    refused_planted_symlink = false;
    const int fd = open_checked(AT_FDCWD, path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK, 0);
    if (fd < 0) return -1;
    struct stat st;
    bool failed = ::fstat(fd, &st) != 0;
    if (!failed) fill_identity(st, identity);
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
    posix_spawnattr_setflags(&attributes, POSIX_SPAWN_SETSIGMASK);

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
