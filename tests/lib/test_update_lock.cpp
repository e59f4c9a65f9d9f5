// The update lock: a separate, self-removing lock file in the target's directory.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "replace/target_resolution.hpp"
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
        std::string what = e.what();
        CHECK(what.find("held by process " + std::to_string(holder.pid)) != std::string::npos);
        CHECK(what.find((dir / "f").string()) != std::string::npos);
        CHECK(what.find(".f.atomfile-lock") != std::string::npos);
    }
    CHECK(std::chrono::steady_clock::now() - start >= 200ms);
    int status = holder.finish();
    CHECK(WIFEXITED(status));
    CHECK(read_file(dir / "f") == "from holder");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
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
