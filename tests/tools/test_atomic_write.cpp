// atomic-write: direct calls of run_atomic_write and black-box runs of the built binary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sys/xattr.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <csignal>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/replace.hpp"
#include "atomfile/version.hpp"
#include "cli/atomic_write.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_atomic_write;

namespace {

// The inode at path: a file rewritten by a rename gets a new one.
ino_t inode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

// Runs atomic-write in this process with input staged in an unlinked regular file.
DirectRun run_with_input(std::vector<std::string> args, const std::string& input) {
    char name[] = "/tmp/atomfile-aw-input-XXXXXX";
    int fd = ::mkstemp(name);
    ::unlink(name);
    REQUIRE(::write(fd, input.data(), input.size()) == static_cast<ssize_t>(input.size()));
    ::lseek(fd, 0, SEEK_SET);
    DirectRun run = capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_atomic_write(args, fd, out, err); });
    ::close(fd);
    return run;
}

// A running atomic-write whose standard input is a pipe the test writes into.
struct StreamingChild {
    pid_t pid = -1;
    int input = -1;  // write end of the pipe
};

StreamingChild start_streaming(const std::vector<std::string>& args) {
    ::signal(SIGPIPE, SIG_IGN);  // a child that dies early must fail the test, not kill it
    int fds[2];
    REQUIRE(::pipe2(fds, O_CLOEXEC) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::signal(SIGPIPE, SIG_DFL);
        ::dup2(fds[0], 0);
        int null = ::open("/dev/null", O_WRONLY);
        ::dup2(null, 2);
        std::vector<std::string> argv = {tool_path("atomic-write")};
        argv.insert(argv.end(), args.begin(), args.end());
        std::vector<char*> raw;
        for (auto& arg : argv) raw.push_back(arg.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
    }
    ::close(fds[0]);
    return {pid, fds[1]};
}

// Waits until the reader has taken everything written so far, so it is mid-stream.
void wait_until_drained(int pipe_write_end) {
    for (int i = 0; i < 2000; ++i) {
        int unread = 0;
        REQUIRE(::ioctl(pipe_write_end, FIONREAD, &unread) == 0);
        if (unread == 0) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    FAIL("the reader never drained the pipe");
}

void write_all(int fd, const std::string& data) {
    REQUIRE(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()));
}

}  // namespace

TEST_CASE("standard input replaces FILE and nothing else is left in its directory") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    auto run = run_with_input({(dir / "f").string()}, "new content\n");
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    CHECK(read_file(dir / "f") == "new content\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("input from a pipe streams into FILE") {
    ScratchDir dir;
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::string data(300000, 'x');
    std::thread writer([&] {
        write_all(fds[1], data);
        ::close(fds[1]);
    });
    std::ostringstream out, err;
    int status = run_atomic_write({(dir / "f").string()}, fds[0], out, err);
    writer.join();
    ::close(fds[0]);
    CHECK(status == 0);
    CHECK(read_file(dir / "f") == data);
}

TEST_CASE("an existing FILE keeps its mode; a new one gets 0666 & ~umask or --mode") {
    ScratchDir dir;
    write_file(dir / "kept", "a");
    ::chmod((dir / "kept").c_str(), 0640);
    CHECK(run_with_input({(dir / "kept").string()}, "b").status == 0);
    CHECK(file_mode(dir / "kept") == 0640);

    mode_t mask = ::umask(022);
    CHECK(run_with_input({(dir / "plain").string()}, "c").status == 0);
    CHECK(run_with_input({"--mode", "0604", (dir / "chosen").string()}, "d").status == 0);
    CHECK(run_with_input({"-m", "600", (dir / "short").string()}, "e").status == 0);
    ::umask(mask);
    CHECK(file_mode(dir / "plain") == 0644);
    CHECK(file_mode(dir / "chosen") == 0604);
    CHECK(file_mode(dir / "short") == 0600);
}

TEST_CASE("an existing FILE keeps its extended attributes") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const char value[] = "kept";
    if (::setxattr((dir / "f").c_str(), "user.atomfile_test", value, 4, 0) != 0) {
        MESSAGE("skipped: this file system refuses user extended attributes");
        return;
    }
    CHECK(run_with_input({(dir / "f").string()}, "new").status == 0);
    char read_back[16] = {};
    CHECK(::getxattr((dir / "f").c_str(), "user.atomfile_test", read_back, sizeof read_back) == 4);
    CHECK(std::string(read_back) == "kept");
    CHECK(read_file(dir / "f") == "new");
}

TEST_CASE("--append writes the old content, then the input") {
    ScratchDir dir;
    write_file(dir / "log", "one\n");
    CHECK(run_with_input({"--append", (dir / "log").string()}, "two\n").status == 0);
    CHECK(run_with_input({"-a", (dir / "log").string()}, "three\n").status == 0);
    CHECK(read_file(dir / "log") == "one\ntwo\nthree\n");
    CHECK(run_with_input({"-a", (dir / "new").string()}, "only\n").status == 0);
    CHECK(read_file(dir / "new") == "only\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"log", "new"});
}

TEST_CASE("--keep-if-empty leaves FILE alone on empty input; without it FILE is emptied") {
    ScratchDir dir;
    write_file(dir / "f", "precious\n");
    CHECK(run_with_input({"--keep-if-empty", (dir / "f").string()}, "").status == 0);
    CHECK(read_file(dir / "f") == "precious\n");
    CHECK(run_with_input({"--keep-if-empty", (dir / "absent").string()}, "").status == 0);
    CHECK_FALSE(fs::exists(dir / "absent"));
    CHECK(run_with_input({"--keep-if-empty", (dir / "f").string()}, "x").status == 0);
    CHECK(read_file(dir / "f") == "x");
    CHECK(run_with_input({(dir / "f").string()}, "").status == 0);
    CHECK(read_file(dir / "f").empty());
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("--skip-unchanged leaves FILE's inode alone for equal input and exits 0") {
    ScratchDir dir;
    write_file(dir / "f", "same\n");
    fs::create_hard_link(dir / "f", dir / "link");
    const std::string path = (dir / "f").string();
    const ino_t inode = inode_of(path);
    auto run = run_with_input({"--skip-unchanged", "-b", path}, "same\n");
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    CHECK(inode_of(path) == inode);
    CHECK(fs::hard_link_count(dir / "f") == 2);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "link"});  // no backup, no temp
    CHECK(run_with_input({"--skip-unchanged", path}, "other\n").status == 0);
    CHECK(read_file(dir / "f") == "other\n");
    CHECK(inode_of(path) != inode);
}

TEST_CASE("--backup keeps the previous content as FILE~ or FILE+SUFFIX") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    CHECK(run_with_input({"-b", (dir / "f").string()}, "v2").status == 0);
    CHECK(read_file(dir / "f~") == "v1");
    CHECK(run_with_input({"--backup=.orig", (dir / "f").string()}, "v3").status == 0);
    CHECK(read_file(dir / "f.orig") == "v2");
    CHECK(read_file(dir / "f") == "v3");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "f.orig", "f~"});
}

TEST_CASE("a symlinked FILE stays a link by default; --no-follow replaces the link itself") {
    ScratchDir dir;
    write_file(dir / "real", "old");
    fs::create_symlink("real", dir / "link");
    CHECK(run_with_input({(dir / "link").string()}, "through").status == 0);
    CHECK(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "real") == "through");

    CHECK(run_with_input({"--no-follow", (dir / "link").string()}, "itself").status == 0);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "itself");
    CHECK(read_file(dir / "real") == "through");
}

TEST_CASE("--parents creates missing directories; without it a missing directory is an error") {
    ScratchDir dir;
    auto target = dir / "a" / "b" / "f";
    auto run = run_with_input({target.string()}, "x");
    CHECK(run.status == 1);
    CHECK(run.err.rfind("atomic-write: ", 0) == 0);
    CHECK(run.err.find("No such file or directory") != std::string::npos);
    CHECK(list_dir(dir.path()).empty());

    mode_t mask = ::umask(022);
    run = run_with_input({"-p", target.string()}, "x");
    ::umask(mask);
    CHECK(run.status == 0);
    CHECK(read_file(target) == "x");
    CHECK(file_mode(dir / "a") == 0755);
    CHECK(run_with_input({"--parents", target.string()}, "y").status == 0);
    CHECK(read_file(target) == "y");
}

TEST_CASE("--parents refuses to go through a regular file") {
    ScratchDir dir;
    write_file(dir / "plain", "");
    auto run = run_with_input({"-p", (dir / "plain" / "sub" / "f").string()}, "x");
    CHECK(run.status == 1);
    CHECK(run.err.find("create parent directory: Not a directory") != std::string::npos);
}

TEST_CASE("--durability accepts full, data and none and rejects anything else") {
    ScratchDir dir;
    for (const char* level : {"full", "data", "none"}) {
        CHECK(run_with_input({"-d", level, (dir / "f").string()}, level).status == 0);
        CHECK(read_file(dir / "f") == level);
    }
    auto run = run_with_input({"--durability=fast", (dir / "f").string()}, "x");
    CHECK(run.status == 2);
    CHECK(run.err.find("atomic-write: invalid durability 'fast'") == 0);
    CHECK(read_file(dir / "f") == "none");
}

TEST_CASE("bad usage exits 2 with a message and touches nothing") {
    ScratchDir dir;
    auto none = run_with_input({}, "x");
    CHECK(none.status == 2);
    CHECK(none.err ==
          "atomic-write: missing FILE operand\n"
          "Try 'atomic-write --help' for more information.\n");
    auto two = run_with_input({(dir / "a").string(), (dir / "b").string()}, "x");
    CHECK(two.status == 2);
    CHECK(two.err.find("expected exactly one FILE") != std::string::npos);
    auto unknown = run_with_input({"--frobnicate", (dir / "a").string()}, "x");
    CHECK(unknown.status == 2);
    CHECK(unknown.err.find("frobnicate") != std::string::npos);
    auto mode = run_with_input({"-m", "rw-r--r--", (dir / "a").string()}, "x");
    CHECK(mode.status == 2);
    CHECK(mode.err.find("invalid mode 'rw-r--r--'") != std::string::npos);
    auto big = run_with_input({"-m", "17777", (dir / "a").string()}, "x");
    CHECK(big.status == 2);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("--help and --version print to standard output and exit 0") {
    auto help = run_with_input({"--help"}, "");
    CHECK(help.status == 0);
    CHECK(help.out.rfind("Usage: atomic-write [OPTIONS] FILE", 0) == 0);
    for (const char* option : {"--append", "--keep-if-empty", "--skip-unchanged", "--parents",
                               "--mode", "--backup", "--no-follow", "--durability", "--lock"})
        CHECK(help.out.find(option) != std::string::npos);
    auto version = run_with_input({"--version"}, "");
    CHECK(version.status == 0);
    CHECK(version.out == std::string("atomic-write (atomfile) ") + atomfile::version + "\n");
}

TEST_CASE("--help is GNU style, one line per option, and lists the exit statuses") {
    auto help = run_with_input({"--help"}, "");
    CHECK(help.out.find("\n  -a, --append ") != std::string::npos);
    CHECK(help.out.find("\n  -d, --durability=LEVEL ") != std::string::npos);
    CHECK(help.out.find("\n      --lock-timeout=SECONDS ") != std::string::npos);
    CHECK(help.out.find("\n      --refuse-hard-links ") != std::string::npos);
    CHECK(help.out.find("\n      --keep-owner=WHEN ") != std::string::npos);
    CHECK(help.out.find("[ --") == std::string::npos);
    const auto statuses = help.out.find("\nExit status:\n");
    REQUIRE(statuses != std::string::npos);
    for (const char* status : {"\n  0 ", "\n  1 ", "\n  2 ", "\n  3 ", "\n  128+N "})
        CHECK(help.out.find(status, statuses) != std::string::npos);
}

TEST_CASE("a bad option value is named even when it swallowed FILE") {
    ScratchDir dir;
    auto run = capture_run([&](std::ostream& out, std::ostream& err) {
        return run_atomic_write({"-dash.txt"}, -1, out, err);
    });
    CHECK(run.status == 2);
    CHECK(run.err.rfind("atomic-write: invalid durability 'ash.txt' (full, data or none)\n", 0) ==
          0);
    auto timeout = run_with_input({"--lock-timeout", "-2", (dir / "f").string()}, "x");
    CHECK(timeout.status == 2);
    CHECK(timeout.err.rfind("atomic-write: invalid lock timeout '-2'", 0) == 0);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("an empty FILE is a usage error that says the name is empty") {
    auto run = run_with_input({""}, "x");
    CHECK(run.status == 2);
    CHECK(run.err ==
          "atomic-write: '': empty file name\n"
          "Try 'atomic-write --help' for more information.\n");
}

TEST_CASE("a FILE starting with - is named after --") {
    ScratchDir dir;
    const auto cwd = fs::current_path();
    fs::current_path(dir.path());
    auto run = run_with_input({"--", "-f"}, "dash\n");
    fs::current_path(cwd);
    CHECK(run.status == 0);
    CHECK(read_file(dir / "-f") == "dash\n");
}

TEST_CASE("a closed standard input is reported as closed and FILE is left untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    int err_pipe[2];
    REQUIRE(::pipe(err_pipe) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(err_pipe[1], 2);
        ::close(err_pipe[0]);
        ::close(err_pipe[1]);
        ::close(0);
        std::string tool = tool_path("atomic-write"), file = (dir / "f").string();
        char* argv[] = {tool.data(), file.data(), nullptr};
        ::execv(argv[0], argv);
        ::_exit(127);
    }
    ::close(err_pipe[1]);
    std::string err;
    char buffer[512];
    for (ssize_t got; (got = ::read(err_pipe[0], buffer, sizeof buffer)) > 0;)
        err.append(buffer, static_cast<std::size_t>(got));
    ::close(err_pipe[0]);
    int status = wait_with_deadline(pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 1);
    CHECK(err == "atomic-write: standard input is closed\n");
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a FILE that is not a regular file is refused with why and the plain redirection") {
    ScratchDir dir;
    auto null = run_with_input({"/dev/null"}, "x");
    CHECK(null.status == 1);
    CHECK(null.err ==
          "atomic-write: /dev/null: not a regular file (a character device): only regular files "
          "can be replaced atomically; to write to it, use '> /dev/null'\n");
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0644) == 0);
    auto fifo = run_with_input({(dir / "fifo").string()}, "x");
    CHECK(fifo.status == 1);
    CHECK(fifo.err.find(": not a regular file (a FIFO): ") != std::string::npos);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"fifo"});
}

TEST_CASE("--refuse-hard-links refuses a linked FILE; by default the other name keeps the old") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    fs::create_hard_link(dir / "f", dir / "other");
    auto refused = run_with_input({"--refuse-hard-links", (dir / "f").string()}, "new");
    CHECK(refused.status == 1);
    CHECK(refused.err.find("refused by --refuse-hard-links") != std::string::npos);
    CHECK(read_file(dir / "f") == "old");
    CHECK(fs::hard_link_count(dir / "f") == 2);
    CHECK(run_with_input({(dir / "f").string()}, "new").status == 0);
    CHECK(read_file(dir / "f") == "new");
    CHECK(read_file(dir / "other") == "old");
}

TEST_CASE("--lock-timeout gives up after the time asked, leaving FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    atomfile::ReplaceOptions locked;
    locked.lock = true;
    atomfile::AtomicFile holder((dir / "f").string(), locked);
    const auto start = std::chrono::steady_clock::now();
    auto run = run_with_input({"--lock-timeout=0.3", (dir / "f").string()}, "new");
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(run.status == 1);
    CHECK(waited >= std::chrono::milliseconds(300));
    CHECK(waited < std::chrono::seconds(10));
    CHECK(read_file(dir / "f") == "old");
}

TEST_CASE("an owner that cannot be kept is warned about; --keep-owner=strict refuses instead") {
    if (!running_as_root()) {
        MESSAGE("skipped: making a file owned by someone else needs root");
        return;
    }
    ScratchDir dir;
    write_file(dir / "f", "old");
    REQUIRE(::chown((dir / "f").c_str(), 1234, 5678) == 0);
    {
        ScopedFault not_permitted(atomfile::platform::Call::fchown, EPERM);
        auto strict = run_with_input({"--keep-owner=strict", (dir / "f").string()}, "new");
        CHECK(strict.status == 1);
        CHECK(strict.err.find("--keep-owner=strict refuses to change it") != std::string::npos);
    }
    struct stat st {};
    REQUIRE(::stat((dir / "f").c_str(), &st) == 0);
    CHECK(st.st_uid == 1234);
    CHECK(read_file(dir / "f") == "old");
    {
        ScopedFault not_permitted(atomfile::platform::Call::fchown, EPERM);
        auto warned = run_with_input({(dir / "f").string()}, "new");
        CHECK(warned.status == 0);
        CHECK(warned.err == "atomic-write: " + (dir / "f").string() +
                                ": warning: owner 1234 not kept: the new file belongs to 0 "
                                "(--keep-owner=strict refuses instead)\n");
    }
    CHECK(read_file(dir / "f") == "new");
}

TEST_CASE("unreadable input fails with a message naming FILE and leaves FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    int directory = ::open(dir.path().c_str(), O_RDONLY | O_DIRECTORY);
    std::ostringstream out, err;
    int status = run_atomic_write({(dir / "f").string()}, directory, out, err);
    ::close(directory);
    CHECK(status == 1);
    CHECK(err.str().find("atomic-write: ") == 0);
    CHECK(err.str().find("copy standard input into temp file: Is a directory") !=
          std::string::npos);
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a failing write leaves FILE untouched and no temp behind") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    ScopedFault fault(atomfile::platform::Call::copy, ENOSPC);
    auto run = run_with_input({(dir / "f").string()}, "new");
    CHECK(fault.fired());
    CHECK(run.status == 1);
    CHECK(run.err.find("No space left on device") != std::string::npos);
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a failed sync before the rename exits 1; after the rename it exits 3") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    int syncs = 0;
    {
        CallRecorder recorder;
        REQUIRE(run_with_input({(dir / "f").string()}, "counted").status == 0);
        syncs = recorder.count(atomfile::platform::Call::fsync);
    }
    REQUIRE(syncs >= 2);  // the temp, then the directory
    write_file(dir / "f", "old");
    {
        ScopedFault first(atomfile::platform::Call::fsync, EIO, 1);
        auto run = run_with_input({(dir / "f").string()}, "new");
        CHECK(run.status == 1);
        CHECK(run.err.find("Input/output error") != std::string::npos);
    }
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    {
        ScopedFault last(atomfile::platform::Call::fsync, EIO, syncs);
        auto run = run_with_input({(dir / "f").string()}, "new");
        CHECK(run.status == 3);
        CHECK(run.err.find("sync directory after replace: Input/output error") !=
              std::string::npos);
    }
    CHECK(read_file(dir / "f") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("an interrupt mid-stream with a named temp leaves FILE untouched and no temp") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    // Refusing O_TMPFILE forces the named temp, the one a signal could otherwise strand.
    ScopedFault no_anonymous(atomfile::platform::Call::create_anonymous, EOPNOTSUPP, 0);
    int fds[2];
    REQUIRE(::pipe(fds) == 0);
    std::vector<std::string> listing_mid_stream;
    const pid_t self = ::getpid();
    std::thread interrupter([&] {
        sigset_t all;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, nullptr);  // the signal must reach the tool's thread
        write_all(fds[1], "partial input");
        wait_until_drained(fds[1]);
        listing_mid_stream = list_dir(dir.path());
        ::kill(self, SIGINT);
    });
    std::ostringstream out, err;
    int status = run_atomic_write({(dir / "f").string()}, fds[0], out, err);
    interrupter.join();
    ::close(fds[0]);
    ::close(fds[1]);
    CHECK(status == 128 + SIGINT);
    CHECK(listing_mid_stream.size() == 2);
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("SIGINT, SIGTERM, SIGHUP or SIGPIPE mid-stream: exit 128+signal, FILE untouched") {
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP, SIGPIPE}) {
        CAPTURE(signal_number);
        ScratchDir dir;
        write_file(dir / "f", "old");
        StreamingChild child = start_streaming({(dir / "f").string()});
        write_all(child.input, std::string(100000, 'n'));
        wait_until_drained(child.input);
        ::kill(child.pid, signal_number);
        int status = 0;
        REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
        ::close(child.input);
        // Exited by itself (having cleaned up), not killed by the signal's default action.
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + signal_number);
        CHECK(read_file(dir / "f") == "old");
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    }
}

TEST_CASE("a signal ignored at start (nohup) stays ignored and the write completes") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    ::signal(SIGHUP, SIG_IGN);  // inherited by the child, as nohup does
    StreamingChild child = start_streaming({(dir / "f").string()});
    ::signal(SIGHUP, SIG_DFL);
    write_all(child.input, "first ");
    wait_until_drained(child.input);
    ::kill(child.pid, SIGHUP);
    write_all(child.input, "second");
    ::close(child.input);
    int status = 0;
    REQUIRE(::waitpid(child.pid, &status, 0) == child.pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(read_file(dir / "f") == "first second");
}

TEST_CASE("the binary replaces FILE from standard input and reports errors as TOOL: PATH") {
    ScratchDir dir;
    write_file(dir / "f", "a\nx\nb\n");
    auto run = run_command({tool_path("atomic-write"), (dir / "f").string()}, "a\nb\n");
    CHECK(run.exit_status == 0);
    CHECK(read_file(dir / "f") == "a\nb\n");
    auto missing = run_command({tool_path("atomic-write"), (dir / "no" / "f").string()}, "x");
    CHECK(missing.exit_status == 1);
    CHECK(missing.err.rfind("atomic-write: " + (dir / "no").string(), 0) == 0);
    auto usage = run_command({tool_path("atomic-write")}, "x");
    CHECK(usage.exit_status == 2);
}

TEST_CASE("concurrent --append --lock writers lose no line") {
    ScratchDir dir;
    const auto file = (dir / "log").string();
    std::vector<pid_t> children;
    for (int writer = 0; writer < 8; ++writer) {
        pid_t pid = ::fork();
        if (pid == 0) {
            for (int i = 0; i < 15; ++i) {
                auto run = run_command({tool_path("atomic-write"), "-a", "-l", "-d", "none", file},
                                       "line\n");
                if (run.exit_status != 0) ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }
    CHECK(count_failed_children(children) == 0);
    std::string content = read_file(file);
    CHECK(std::count(content.begin(), content.end(), '\n') == 8 * 15);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"log"});
}

TEST_CASE("a large input streams in constant memory") {
    ScratchDir dir;
    StreamingChild child = start_streaming({"-d", "none", (dir / "big").string()});
    const std::string block(1 << 20, 'z');
    for (int i = 0; i < 128; ++i) write_all(child.input, block);
    ::close(child.input);
    int status = 0;
    struct rusage usage {};
    REQUIRE(::wait4(child.pid, &status, 0, &usage) == child.pid);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(fs::file_size(dir / "big") == 128u << 20);
    // 128 MiB went through; a tool that buffered it would hold at least that much.
    CHECK(usage.ru_maxrss < 48 * 1024);  // KiB
}
