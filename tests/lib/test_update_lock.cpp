// The update lock: a separate, self-removing lock file in the target's directory, which another
// user can neither pre-empt nor hold on the owner's behalf.
#include <doctest/doctest.h>
#include <grp.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <functional>
#include <thread>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "replace/target_resolution.hpp"
#include "replace/temp_names.hpp"
#include "replace/update_lock.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace std::chrono_literals;

namespace {

// A child that takes the lock through safe_update and then waits (inside the transform) until
// the parent closes `release`, or forever. The parent gets control once the lock is held.
struct LockHolder {
    pid_t pid = -1;
    int release_fd = -1;

    explicit LockHolder(const std::string& path) {
        int held[2];
        int release[2];
        REQUIRE(::pipe(held) == 0);
        REQUIRE(::pipe(release) == 0);
        pid = ::fork();
        if (pid == 0) {
            ::close(held[0]);
            ::close(release[1]);
            safe_update(path, [&](const std::string&) {
                char byte = 'x';
                if (::write(held[1], &byte, 1) != 1) ::_exit(3);
                while (::read(release[0], &byte, 1) > 0) {
                }
                return std::string("from holder");
            });
            ::_exit(0);
        }
        ::close(held[1]);
        ::close(release[0]);
        release_fd = release[1];
        char byte;
        REQUIRE(::read(held[0], &byte, 1) == 1);
        ::close(held[0]);
    }
    int finish() {
        ::close(release_fd);
        int status = 0;
        ::waitpid(pid, &status, 0);
        return status;
    }
};

constexpr unsigned nobody = 65534;
constexpr unsigned stranger = 65533;  // a third user, neither the caller nor the file's owner

bool is_root() {
    return ::geteuid() == 0;
}

// A file at `path` owned by uid with the given mode, as another user would leave it.
void plant(const fs::path& path, unsigned uid, unsigned mode, const std::string& content = "") {
    write_file(path, content);
    REQUIRE(::chown(path.c_str(), uid, uid) == 0);
    REQUIRE(::chmod(path.c_str(), mode) == 0);
}

// A directory everyone may write, with or without the sticky bit (like /tmp or not).
void open_to_all(const fs::path& dir, bool sticky) {
    REQUIRE(::chmod(dir.c_str(), sticky ? 01777 : 0777) == 0);
}

// A process holding flock(LOCK_EX) on a file until finish(): a planter keeping its lock.
struct FlockHolder {
    pid_t pid = -1;
    int release_fd = -1;

    explicit FlockHolder(const fs::path& path) {
        int held[2];
        int release[2];
        REQUIRE(::pipe(held) == 0);
        REQUIRE(::pipe(release) == 0);
        pid = ::fork();
        if (pid == 0) {
            ::close(held[0]);
            ::close(release[1]);
            int fd = ::open(path.c_str(), O_RDWR | O_NONBLOCK);
            if (fd < 0 || ::flock(fd, LOCK_EX) != 0) ::_exit(3);
            char byte = 'x';
            if (::write(held[1], &byte, 1) != 1) ::_exit(3);
            while (::read(release[0], &byte, 1) > 0) {
            }
            ::_exit(0);
        }
        ::close(held[1]);
        ::close(release[0]);
        release_fd = release[1];
        char byte;
        REQUIRE(::read(held[0], &byte, 1) == 1);
        ::close(held[0]);
    }
    ~FlockHolder() {
        ::close(release_fd);
        ::waitpid(pid, nullptr, 0);
    }
};

// What a child process reported: its exit code and the message of the Error it caught.
struct ChildResult {
    int code = -1;
    std::string message;
    std::chrono::milliseconds took{0};
};

// Runs body in a child process, as uid (and gid) when uid >= 0. The child exits with the errno
// of the Error body throws (0 when none) and sends that Error's message back.
ChildResult in_child(const std::function<void()>& body, long uid = -1) {
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        if (uid >= 0 && (::setgroups(0, nullptr) != 0 || ::setgid(uid) != 0 || ::setuid(uid) != 0))
            ::_exit(200);
        int code = 0;
        std::string message;
        try {
            body();
        } catch (const Error& e) {
            code = e.errno_code().value();
            message = e.what();
        }
        if (::write(pipe_fds[1], message.data(), message.size()) < 0) code = 201;
        ::_exit(code);
    }
    ::close(pipe_fds[1]);
    ChildResult result;
    char buffer[4096];
    ssize_t got;
    while ((got = ::read(pipe_fds[0], buffer, sizeof buffer)) > 0)
        result.message.append(buffer, static_cast<std::size_t>(got));
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.took = std::chrono::duration_cast<std::chrono::milliseconds>(
        std::chrono::steady_clock::now() - start);
    result.code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return result;
}

ReplaceOptions locked(std::chrono::milliseconds timeout) {
    ReplaceOptions options;
    options.lock = true;
    options.lock_timeout = timeout;
    options.durability = Durability::none;
    return options;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

}  // namespace

TEST_CASE("the lock is a separate file in the target's directory, removed on release") {
    ScratchDir dir;
    write_file(dir / "f", "x");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    {
        replace::UpdateLock lock(target, 1000ms);
        CHECK(lock.held());
        CHECK(list_dir(dir.path()) == std::vector<std::string>{".f.atomfile-lock", "f"});
        int fd = ::open((dir / ".f.atomfile-lock").c_str(), O_RDONLY);
        CHECK(::flock(fd, LOCK_EX | LOCK_NB) == -1);  // really held
        ::close(fd);
    }
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a writer that cannot get the lock in time gets a timeout naming the holder") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    LockHolder holder((dir / "f").string());
    ReplaceOptions options;
    options.lock_timeout = 200ms;
    auto start = std::chrono::steady_clock::now();
    try {
        safe_update((dir / "f").string(), [](const std::string& s) { return s; }, options);
        FAIL("the lock was not exclusive");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::timed_out);
        CHECK(e.path() == (dir / "f").string());
        CHECK(e.second_path() == (dir / ".f.atomfile-lock").string());
        const std::string expected = "timed out after 0.2 s waiting for the update lock on " +
                                     (dir / ".f.atomfile-lock").string() + " held by pid " +
                                     std::to_string(holder.pid) + " (lock file owned by ";
        CHECK(e.step().rfind(expected, 0) == 0);
        CHECK(contains(e.step(), "(uid " + std::to_string(::geteuid()) + "))"));
    }
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    int status = holder.finish();
    CHECK(WIFEXITED(status));
    CHECK(read_file(dir / "f") == "from holder");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a wait that its caller cancels ends with operation_canceled, nothing created") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    LockHolder holder((dir / "f").string());
    int asked = 0;
    ReplaceOptions options;
    options.lock = true;
    options.lock_timeout = -1ms;  // forever: only the cancel can end it
    options.cancel_lock_wait = [&asked] { return ++asked == 3; };
    std::error_code ec;
    AtomicFile file((dir / "f").string(), options, ec);
    CHECK(ec == std::errc::operation_canceled);
    CHECK(step_of(ec) == Step::lock);
    CHECK(asked == 3);
    CHECK(read_file(dir / "f") == "0");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{".f.atomfile-lock", "f"});  // holder's
    holder.finish();
    CHECK(read_file(dir / "f") == "from holder");
}

TEST_CASE("a cancel check that never asks to stop changes nothing once the lock is free") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    ReplaceOptions options;
    options.lock = true;
    options.cancel_lock_wait = [] { return false; };
    safe_update((dir / "f").string(), [](const std::string& s) { return s + "1"; }, options);
    CHECK(read_file(dir / "f") == "01");
}

TEST_CASE("a killed lock holder does not block the next writer") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    LockHolder holder((dir / "f").string());
    ::kill(holder.pid, SIGKILL);
    int status = holder.finish();
    CHECK(WIFSIGNALED(status));
    CHECK(fs::exists(dir / ".f.atomfile-lock"));  // left by the dead holder, not held
    ReplaceOptions options;
    options.lock_timeout = 2000ms;
    safe_update((dir / "f").string(), [](const std::string& s) { return s + " updated"; }, options);
    CHECK(read_file(dir / "f") == "old updated");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});  // and the next one removes it
}

TEST_CASE("a waiter whose lock file was released and removed starts again on a fresh one") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    LockHolder holder((dir / "f").string());
    pid_t waiter = ::fork();
    if (waiter == 0) {
        ::close(holder.release_fd);  // only the parent may release the holder
        std::error_code ec;
        safe_update((dir / "f").string(), [](const std::string& s) { return s + "+waiter"; }, {},
                    ec);
        ::_exit(ec ? 1 : 0);
    }
    ::usleep(100000);  // let the waiter block on the holder's lock file
    holder.finish();
    int status = 0;
    ::waitpid(waiter, &status, 0);
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read_file(dir / "f") == "from holder+waiter");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("write_atomic takes the lock only when asked") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    LockHolder holder((dir / "f").string());
    write_atomic((dir / "f").string(), "unlocked write");  // does not wait
    CHECK(read_file(dir / "f") == "unlocked write");
    ReplaceOptions options;
    options.lock = true;
    options.lock_timeout = 100ms;
    std::error_code ec;
    write_atomic((dir / "f").string(), "locked write", options, ec);
    CHECK(ec == std::errc::timed_out);
    holder.finish();
}

TEST_CASE("a lock held by an ancestor fails at once as a deadlock, naming the holder") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    replace::UpdateLock lock(target, 1000ms);
    ChildResult child =
        in_child([&] { write_atomic((dir / "f").string(), "child", locked(5000ms)); });
    CHECK(child.code == EDEADLK);
    CHECK(child.took < 2000ms);
    CHECK(contains(child.message, "held by pid " + std::to_string(::getpid())));
    CHECK(contains(child.message, (dir / ".f.atomfile-lock").string()));
    CHECK(read_file(dir / "f") == "0");
}

TEST_CASE("a lock held by another thread of the same process is waited for, not a deadlock") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    replace::UpdateLock lock(target, 1000ms);
    std::error_code ec;
    std::thread other([&] { write_atomic((dir / "f").string(), "other", locked(100ms), ec); });
    other.join();
    CHECK(ec == std::errc::timed_out);
}

TEST_CASE("an error_code caller sees a lock wait that ran out as errc::lock_timeout") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    replace::UpdateLock lock(target, 1000ms);
    std::error_code ec;
    std::thread other([&] { write_atomic((dir / "f").string(), "other", locked(100ms), ec); });
    other.join();
    CHECK(ec == atomfile::errc::lock_timeout);
    CHECK(ec != atomfile::errc::lock_deadlock);
    CHECK(errno_of(ec) == std::error_code(ETIMEDOUT, std::generic_category()));
    CHECK(step_of(ec) == Step::lock);
    CHECK(read_file(dir / "f") == "0");
}

TEST_CASE("an error_code caller sees a lock held by an ancestor as errc::lock_deadlock") {
    ScratchDir dir;
    write_file(dir / "f", "0");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    replace::UpdateLock lock(target, 1000ms);
    ChildResult child = in_child([&] {
        std::error_code ec;
        write_atomic((dir / "f").string(), "child", locked(5000ms), ec);
        bool seen =
            ec == atomfile::errc::lock_deadlock && ec == std::errc::resource_deadlock_would_occur;
        ::_exit(seen ? 0 : 3);
    });
    CHECK(child.code == 0);
    CHECK(read_file(dir / "f") == "0");
}

TEST_CASE("a target whose name is too long for a plain lock name can still be locked") {
    ScratchDir dir;
    const std::string name(250, 'n');
    write_file(dir / name, "old");
    replace::Target target = replace::resolve_target((dir / name).string(), true);
    {
        replace::UpdateLock lock(target, 1000ms);
        CHECK(lock.holds_lock_file());
        CHECK(list_dir(dir.path()) == std::vector<std::string>{replace::lock_name(name), name});
    }
    safe_update((dir / name).string(), [](const std::string& s) { return s + "+new"; });
    CHECK(read_file(dir / name) == "old+new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{name});
}

TEST_CASE("a symlink at the lock name is removed, never followed") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    write_file(dir / "victim", "victim's content");
    fs::create_symlink("victim", dir / ".f.atomfile-lock");
    write_atomic((dir / "f").string(), "new", locked(1000ms));
    CHECK(read_file(dir / "f") == "new");
    CHECK(read_file(dir / "victim") == "victim's content");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "victim"});
}

TEST_CASE("a hard link at the lock name is never written to") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    write_file(dir / "victim", "victim's content");
    fs::create_hard_link(dir / "victim", dir / ".f.atomfile-lock");
    write_atomic((dir / "f").string(), "new", locked(1000ms));
    CHECK(read_file(dir / "f") == "new");
    CHECK(read_file(dir / "victim") == "victim's content");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "victim"});
}

TEST_CASE(
    "a lock file another user planted is removed, never written to, where the directory "
    "is not sticky") {
    if (!is_root()) return;
    ScratchDir dir;
    write_file(dir / "f", "old");
    const std::string planted = "the planter's own data, not a pid";
    plant(dir / ".f.atomfile-lock", nobody, 0666, planted);
    int planter = ::open((dir / ".f.atomfile-lock").c_str(), O_RDONLY);  // still sees the inode
    REQUIRE(planter >= 0);
    write_atomic((dir / "f").string(), "new", locked(1000ms));
    CHECK(read_file(dir / "f") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    char buffer[64] = {};
    CHECK(::pread(planter, buffer, sizeof buffer - 1, 0) == static_cast<ssize_t>(planted.size()));
    CHECK(std::string(buffer) == planted);
    ::close(planter);
}

TEST_CASE("in a sticky directory a planted lock file held by its planter does not make root wait") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), true);
    write_file(dir / "f", "old");
    plant(dir / ".f.atomfile-lock", nobody, 0666);
    FlockHolder planter(dir / ".f.atomfile-lock");
    auto start = std::chrono::steady_clock::now();
    safe_update((dir / "f").string(), [](const std::string& s) { return s + "+new"; },
                locked(3000ms));
    CHECK(std::chrono::steady_clock::now() - start < 1000ms);
    CHECK(read_file(dir / "f") == "old+new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{".f.atomfile-lock", "f"});
}

TEST_CASE("a planted FIFO at the lock name, held by its planter, neither hangs nor blocks") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), true);
    write_file(dir / "f", "old");
    REQUIRE(::mkfifo((dir / ".f.atomfile-lock").c_str(), 0666) == 0);
    REQUIRE(::chown((dir / ".f.atomfile-lock").c_str(), nobody, nobody) == 0);
    FlockHolder planter(dir / ".f.atomfile-lock");
    write_atomic((dir / "f").string(), "new", locked(3000ms));
    CHECK(read_file(dir / "f") == "new");
}

TEST_CASE(
    "in a sticky directory writers that find a planted lock file and writers that do not "
    "exclude each other") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), true);
    write_file(dir / "f", "0");
    plant(dir / ".f.atomfile-lock", nobody, 0600);
    LockHolder holder((dir / "f").string());  // can only lock the target itself
    fs::remove(dir / ".f.atomfile-lock");     // the planter takes its file away again
    std::error_code ec;
    safe_update((dir / "f").string(), [](const std::string& s) { return s + "+late"; },
                locked(300ms), ec);
    CHECK(ec == std::errc::timed_out);
    CHECK(holder.finish() == 0);
    CHECK(read_file(dir / "f") == "from holder");
}

TEST_CASE(
    "with a planted lock file and no target in a sticky directory, the update is refused "
    "naming the lock file and its owner") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), true);
    plant(dir / ".f.atomfile-lock", nobody, 0600);
    try {
        write_atomic((dir / "f").string(), "new", locked(1000ms));
        FAIL("a planted lock file was used");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::operation_not_permitted);
        CHECK(contains(e.step(), (dir / ".f.atomfile-lock").string()));
        CHECK(contains(e.step(), "(uid 65534)"));
    }
    CHECK_FALSE(fs::exists(dir / "f"));
}

TEST_CASE("an error_code caller sees a planted, unremovable lock file as errc::lock_untrusted") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), true);
    plant(dir / ".f.atomfile-lock", nobody, 0600);
    std::error_code ec;
    write_atomic((dir / "f").string(), "new", locked(1000ms), ec);
    CHECK(ec == atomfile::errc::lock_untrusted);
    CHECK(ec == std::errc::operation_not_permitted);
    CHECK(ec != atomfile::errc::lock_timeout);
    CHECK_FALSE(fs::exists(dir / "f"));
}

TEST_CASE("root's lock file for another user's file belongs to that user") {
    if (!is_root()) return;
    ScratchDir dir;
    plant(dir / "f", nobody, 0644, "old");
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    replace::UpdateLock lock(target, 1000ms);
    struct stat st {};
    REQUIRE(::stat((dir / ".f.atomfile-lock").c_str(), &st) == 0);
    CHECK(st.st_uid == nobody);
    CHECK((st.st_mode & 07777) == 0600);
}

TEST_CASE(
    "as another user in a sticky directory, a lock file planted by a third user does not "
    "block") {
    if (!is_root()) return;
    ScratchDir dir;
    REQUIRE(::chmod(dir.path().c_str(), 01777) == 0);
    plant(dir / "f", nobody, 0644, "old");
    plant(dir / ".f.atomfile-lock", stranger, 0600);
    ChildResult child = in_child(
        [&] {
            safe_update((dir / "f").string(), [](const std::string& s) { return s + "+new"; },
                        locked(1000ms));
        },
        nobody);
    CHECK(child.message == "");
    CHECK(child.code == 0);
    CHECK(read_file(dir / "f") == "old+new");
}

TEST_CASE("as another user in a plain directory, a third user's unheld lock file is removed") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), false);
    plant(dir / "f", nobody, 0644, "old");
    plant(dir / ".f.atomfile-lock", stranger, 0600);
    ChildResult child =
        in_child([&] { write_atomic((dir / "f").string(), "new", locked(1000ms)); }, nobody);
    CHECK(child.message == "");
    CHECK(child.code == 0);
    CHECK(read_file(dir / "f") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE(
    "a lock file the caller cannot open is waited for while held, and the timeout names "
    "its owner and holder") {
    if (!is_root()) return;
    ScratchDir dir;
    open_to_all(dir.path(), false);
    plant(dir / "f", nobody, 0644, "old");
    plant(dir / ".f.atomfile-lock", stranger, 0600);
    FlockHolder other(dir / ".f.atomfile-lock");
    ChildResult child =
        in_child([&] { write_atomic((dir / "f").string(), "new", locked(300ms)); }, nobody);
    CHECK(child.code == ETIMEDOUT);
    CHECK(contains(child.message, "timed out after 0.3 s waiting for the update lock on " +
                                      (dir / ".f.atomfile-lock").string() + " held by pid " +
                                      std::to_string(other.pid)));
    CHECK(contains(child.message, "uid 65533"));
    CHECK(read_file(dir / "f") == "old");
}
