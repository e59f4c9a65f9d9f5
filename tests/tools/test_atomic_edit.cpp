// atomic-edit: direct calls of run_atomic_edit and black-box runs of the built binary.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/version.hpp"
#include "cli/atomic_edit.hpp"
#include "cli/system.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_atomic_edit;

namespace {

DirectRun edit(const std::vector<std::string>& args) {
    return capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_atomic_edit(args, out, err); });
}

void wait_for_file(const fs::path& path) {
    for (int i = 0; i < 2000 && !fs::exists(path); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    REQUIRE(fs::exists(path));
}

// The inode at path: a file rewritten by a rename gets a new one.
ino_t inode_of(const std::string& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_ino;
}

}  // namespace

TEST_CASE("COMMAND's output replaces FILE when it exits 0") {
    ScratchDir dir;
    write_file(dir / "f", "b\nc\na\n");
    auto run = edit({(dir / "f").string(), "--", "sort"});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "f") == "a\nb\nc\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a COMMAND without options needs no --") {
    ScratchDir dir;
    write_file(dir / "f", "2\n1\n");
    CHECK(edit({(dir / "f").string(), "sort"}).status == 0);
    CHECK(read_file(dir / "f") == "1\n2\n");
}

TEST_CASE("a failing COMMAND leaves FILE untouched and its status passes through") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    ::chmod((dir / "f").c_str(), 0640);
    auto run = edit({(dir / "f").string(), "--", "sh", "-c", "echo partial; exit 3"});
    CHECK(run.status == 3);
    CHECK(read_file(dir / "f") == "old\n");
    CHECK(file_mode(dir / "f") == 0640);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});

    auto killed = edit({(dir / "f").string(), "--", "sh", "-c", "echo x; kill -TERM $$"});
    CHECK(killed.status == 128 + SIGTERM);
    CHECK(read_file(dir / "f") == "old\n");
}

TEST_CASE("a COMMAND that cannot be run exits 127 with a message") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    auto run = edit({(dir / "f").string(), "--", "atomfile-no-such-command", "x"});
    CHECK(run.status == 127);
    CHECK(run.err ==
          "atomic-edit: atomfile-no-such-command: run command: No such file or directory\n");
    CHECK(read_file(dir / "f") == "old\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("{} in ARGs stands for FILE's path") {
    ScratchDir dir;
    write_file(dir / "f", "hello\n");
    auto run = edit({(dir / "f").string(), "--", "sh", "-c", "tr a-z A-Z < \"$1\"; echo \"$2\"",
                     "sh", "{}", "path={}"});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "f") == "HELLO\npath=" + (dir / "f").string() + "\n");
}

TEST_CASE("a missing FILE gives COMMAND empty input and is created") {
    ScratchDir dir;
    auto run = edit({(dir / "new").string(), "--", "sh", "-c", "wc -c; echo made"});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "new") == "0\nmade\n");
}

TEST_CASE("--keep-if-empty leaves FILE alone when COMMAND prints nothing") {
    ScratchDir dir;
    write_file(dir / "f", "keep me\n");
    CHECK(edit({"--keep-if-empty", (dir / "f").string(), "--", "true"}).status == 0);
    CHECK(read_file(dir / "f") == "keep me\n");
    CHECK(edit({"--keep-if-empty", "-a", (dir / "f").string(), "--", "true"}).status == 0);
    CHECK(read_file(dir / "f") == "keep me\n");
    CHECK(edit({(dir / "f").string(), "--", "true"}).status == 0);
    CHECK(read_file(dir / "f").empty());
}

TEST_CASE("--skip-unchanged leaves FILE's inode alone when COMMAND's output equals it") {
    ScratchDir dir;
    write_file(dir / "f", "same\n");
    const std::string path = (dir / "f").string();
    const ino_t inode = inode_of(path);
    CHECK(edit({"--skip-unchanged", path, "--", "cat"}).status == 0);
    CHECK(inode_of(path) == inode);
    CHECK(read_file(dir / "f") == "same\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    CHECK(edit({"--skip-unchanged", path, "--", "tr", "a-z", "A-Z"}).status == 0);
    CHECK(read_file(dir / "f") == "SAME\n");
    CHECK(inode_of(path) != inode);
}

TEST_CASE("--append, --backup, --mode, --parents and --no-follow apply to the edit") {
    ScratchDir dir;
    write_file(dir / "f", "one\n");
    CHECK(edit({"-a", "-b", (dir / "f").string(), "--", "echo", "two"}).status == 0);
    CHECK(read_file(dir / "f") == "one\ntwo\n");
    CHECK(read_file(dir / "f~") == "one\n");

    CHECK(edit({"-p", "-m", "0600", (dir / "x" / "g").string(), "--", "echo", "g"}).status == 0);
    CHECK(read_file(dir / "x" / "g") == "g\n");
    CHECK(file_mode(dir / "x" / "g") == 0600);

    fs::create_symlink("f", dir / "link");
    CHECK(edit({"--no-follow", (dir / "link").string(), "--", "tr", "a-z", "A-Z"}).status == 0);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "ONE\nTWO\n");
    CHECK(read_file(dir / "f") == "one\ntwo\n");
}

TEST_CASE("bad usage exits 125 with a message") {
    ScratchDir dir;
    auto no_command = edit({(dir / "f").string(), "--"});
    CHECK(no_command.status == 125);
    CHECK(no_command.err ==
          "atomic-edit: missing COMMAND\n"
          "Try 'atomic-edit --help' for more information.\n");
    auto no_file = edit({});
    CHECK(no_file.status == 125);
    CHECK(no_file.err.find("missing FILE operand") != std::string::npos);
    auto extra = edit({(dir / "f").string(), "extra", "--", "cat"});
    CHECK(extra.status == 125);
    CHECK(extra.err.find("unexpected operand 'extra' before --") != std::string::npos);
    auto option = edit({(dir / "f").string(), "sed", "-n", "p"});
    CHECK(option.status == 125);
    CHECK(option.err.find("(put -- before COMMAND)") != std::string::npos);
    auto durability = edit({"-d", "weak", (dir / "f").string(), "--", "cat"});
    CHECK(durability.status == 125);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("--help and --version print to standard output and exit 0") {
    auto help = edit({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.rfind("Usage: atomic-edit [OPTIONS] FILE [--] COMMAND [ARG...]\n"
                         "  or:  atomic-edit [OPTIONS] -- FILE -- COMMAND [ARG...]\n",
                         0) == 0);
    CHECK(help.out.find("\nExit status:\n") != std::string::npos);
    auto version = edit({"--version"});
    CHECK(version.out == std::string("atomic-edit (atomfile) ") + atomfile::version + "\n");
}

TEST_CASE("-- FILE -- COMMAND names a FILE that starts with a dash; the second -- is required") {
    ScratchDir dir;
    const auto cwd = fs::current_path();
    fs::current_path(dir.path());
    write_file(dir / "-f", "hi\n");
    auto dashed = edit({"--", "-f", "--", "tr", "a-z", "A-Z"});
    auto missing = edit({"--", "-f", "tr", "a-z", "A-Z"});
    auto empty = edit({"--", "", "--", "cat"});
    auto bad_value = edit({"-dash.txt", "--", "cat"});
    fs::current_path(cwd);
    CHECK(dashed.status == 0);
    CHECK(read_file(dir / "-f") == "HI\n");
    CHECK(missing.status == 125);
    CHECK(missing.err.find("a second -- must follow FILE '-f'") != std::string::npos);
    CHECK(empty.status == 125);
    CHECK(empty.err.rfind("atomic-edit: '': empty file name\n", 0) == 0);
    CHECK(bad_value.status == 125);
    CHECK(bad_value.err.rfind("atomic-edit: invalid durability 'ash.txt'", 0) == 0);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"-f"});
}

TEST_CASE("8 concurrent atomic-edit processes incrementing one counter lose no update") {
    ScratchDir dir;
    const auto counter = (dir / "counter").string();
    write_file(counter, "0\n");
    constexpr int processes = 8, increments = 25;
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = ::fork();
        if (pid == 0) {
            for (int i = 0; i < increments; ++i) {
                auto run = run_command({tool_path("atomic-edit"), "-d", "none", counter, "--", "sh",
                                        "-c", "read n; echo $((n + 1))"});
                if (run.exit_status != 0) ::_exit(1);
            }
            ::_exit(0);
        }
        children.push_back(pid);
    }
    for (pid_t pid : children) {
        int status = wait_with_deadline(pid);
        CHECK(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 0);
    }
    CHECK(read_file(counter) == std::to_string(processes * increments) + "\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"counter"});
}

TEST_CASE("a signal to atomic-edit reaches COMMAND and leaves FILE untouched") {
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        CAPTURE(signal_number);
        ScratchDir dir;
        write_file(dir / "f", "old\n");
        const auto marker = dir / "started";
        pid_t pid = start_program({tool_path("atomic-edit"), (dir / "f").string(), "--", "sh", "-c",
                                   "echo new; touch \"$0\"; exec sleep 60", marker.string()});
        wait_for_file(marker);
        ::kill(pid, signal_number);
        int status = wait_with_deadline(pid);  // sleep 60 ends only through the forwarded signal
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + signal_number);
        CHECK(read_file(dir / "f") == "old\n");
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "started"});
    }
}

pid_t start_edit(std::vector<std::string> argv) {
    argv.insert(argv.begin(), tool_path("atomic-edit"));
    return start_program(argv);
}

TEST_CASE("a signal ends the wait for the lock at once, leaving FILE untouched") {
    ScratchDir dir;
    const auto file = (dir / "f").string();
    write_file(file, "old\n");
    const auto marker = dir / "holding";
    pid_t holder =
        start_edit({file, "--", "sh", "-c", "touch \"$0\"; exec sleep 60", marker.string()});
    wait_for_file(marker);
    pid_t waiter = start_edit({file, "--", "echo", "second"});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    int early = 0;
    CHECK(::waitpid(waiter, &early, WNOHANG) == 0);  // still waiting for the lock
    ::kill(waiter, SIGINT);
    // The lock wait would last 30 s; the deadline is 20 s.
    int status = wait_with_deadline(waiter);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGINT);
    ::kill(holder, SIGTERM);
    int holder_status = wait_with_deadline(holder);
    CHECK(WIFEXITED(holder_status));
    CHECK(read_file(file) == "old\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "holding"});
}

TEST_CASE("the binary edits FILE and passes COMMAND's status through") {
    ScratchDir dir;
    write_file(dir / "f", "keep\ndrop\n");
    auto run = run_command({tool_path("atomic-edit"), (dir / "f").string(), "--", "grep", "keep"});
    CHECK(run.exit_status == 0);
    CHECK(read_file(dir / "f") == "keep\n");
    auto none = run_command({tool_path("atomic-edit"), (dir / "f").string(), "--", "grep", "zzz"});
    CHECK(none.exit_status == 1);
    CHECK(read_file(dir / "f") == "keep\n");
    auto missing =
        run_command({tool_path("atomic-edit"), (dir / "no" / "f").string(), "--", "cat"});
    CHECK(missing.exit_status == 125);
    CHECK(missing.err.rfind("atomic-edit: " + (dir / "no").string(), 0) == 0);
}

TEST_CASE("COMMAND reopening /dev/stdout writes after its earlier output, as into a pipe") {
    ScratchDir dir;
    write_file(dir / "log", "keep1\nkeep2\n");
    auto append = edit({"-a", (dir / "log").string(), "--", "sh", "-c", "echo new >/dev/stdout"});
    CHECK(append.status == 0);
    CHECK(read_file(dir / "log") == "keep1\nkeep2\nnew\n");

    write_file(dir / "f", "one\ntwo\n");
    CHECK(edit({(dir / "f").string(), "--", "tee", "/dev/stdout"}).status == 0);
    CHECK(read_file(dir / "f") == "one\ntwo\none\ntwo\n");

    write_file(dir / "g", "orig\n");
    auto reopen = edit({(dir / "g").string(), "--", "sh", "-c", "cat >/dev/stdout; echo"});
    CHECK(reopen.status == 0);
    CHECK(read_file(dir / "g") == "orig\n\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "g", "log"});
}

TEST_CASE("COMMAND may reopen /dev/stdin: it reads FILE from the start each time") {
    ScratchDir dir;
    write_file(dir / "f", "orig\n");
    auto run = edit({(dir / "f").string(), "--", "sh", "-c", "cat /dev/stdin; cat /dev/stdin"});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "f") == "orig\norig\n");
    auto missing = edit({(dir / "new").string(), "--", "sh", "-c", "wc -c </dev/stdin"});
    CHECK(missing.status == 0);
    CHECK(read_file(dir / "new") == "0\n");
}

TEST_CASE("an output far larger than a pipe's buffer arrives whole") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    auto run = edit({(dir / "f").string(), "--", "head", "-c", "20000000", "/dev/zero"});
    CHECK(run.status == 0);
    CHECK(fs::file_size(dir / "f") == 20000000u);
}

TEST_CASE("COMMAND closing its output early is still awaited, and its status decides") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    const std::string early = "echo early; exec >&-; sleep 0.3; exit ";
    auto failed = edit({(dir / "f").string(), "--", "sh", "-c", early + "3"});
    CHECK(failed.status == 3);
    CHECK(read_file(dir / "f") == "old\n");
    auto succeeded = edit({(dir / "f").string(), "--", "sh", "-c", early + "0"});
    CHECK(succeeded.status == 0);
    CHECK(read_file(dir / "f") == "early\n");
}

TEST_CASE("output from a process COMMAND left running is awaited, as sponge does") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    auto run =
        edit({(dir / "f").string(), "--", "sh", "-c", "echo fg; (sleep 0.3; echo bg) & exit 0"});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "f") == "fg\nbg\n");  // complete when atomic-edit returns
}

TEST_CASE("a signal while a left-behind process holds the output ends the wait, FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    const auto marker = dir / "pid";
    pid_t pid = start_edit({(dir / "f").string(), "--", "sh", "-c",
                            "echo new; sleep 60 & echo $! >\"$0.tmp\"; mv \"$0.tmp\" \"$0\"",
                            marker.string()});
    wait_for_file(marker);
    std::this_thread::sleep_for(std::chrono::milliseconds(100));  // COMMAND has exited by now
    ::kill(pid, SIGTERM);
    int status = wait_with_deadline(pid);
    ::kill(std::stoi(read_file(marker)), SIGKILL);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(read_file(dir / "f") == "old\n");
}

TEST_CASE("a signal while COMMAND floods its output, ignoring the signal, ends the run at once") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    const auto marker = dir / "started";
    // head inherits the ignored SIGINT; it ends early only by SIGPIPE once atomic-edit stops
    // reading (bounded, so that a broken build fills no disk).
    pid_t pid = start_edit({(dir / "f").string(), "--", "sh", "-c",
                            "trap '' INT; touch \"$0\"; exec head -c 4000000000 /dev/zero",
                            marker.string()});
    wait_for_file(marker);
    ::kill(pid, SIGINT);
    int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGINT);
    CHECK(read_file(dir / "f") == "old\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "started"});
}

TEST_CASE("a COMMAND found but not executable exits 126, FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    write_file(dir / "script", "#!/bin/sh\necho new\n");
    ::chmod((dir / "script").c_str(), 0644);
    auto run = edit({(dir / "f").string(), "--", (dir / "script").string()});
    CHECK(run.status == 126);
    CHECK(run.err ==
          "atomic-edit: " + (dir / "script").string() + ": run command: Permission denied\n");
    CHECK(read_file(dir / "f") == "old\n");
}

TEST_CASE("a pipe for COMMAND's output that cannot be made fails naming COMMAND, FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    using atomfile::cli::system::Call;
    atomfile::cli::system::set_fault_plan(
        [](Call call) { return call == Call::pipe ? EMFILE : 0; });
    auto run = edit({(dir / "f").string(), "--", "echo", "new"});
    atomfile::cli::system::set_fault_plan(nullptr);
    CHECK(run.status == 125);
    CHECK(run.err == "atomic-edit: echo: create pipe for command output: Too many open files\n");
    CHECK(read_file(dir / "f") == "old\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE(
    "a temp that cannot be written stops a writing COMMAND, which is reaped; FILE untouched") {
    ScratchDir dir;
    write_file(dir / "f", "old\n");
    ScopedFault fault(atomfile::platform::Call::write, ENOSPC, 0);
    // 50 MB, far more than the pipe holds: the writer ends early only through the closed pipe
    // (SIGPIPE); were the pipe kept open unread, it would block and the run never return.
    auto run = edit({(dir / "f").string(), "--", "head", "-c", "50000000", "/dev/zero"});
    CHECK(run.status == 125);
    CHECK(run.err == "atomic-edit: " + (dir / "f").string() +
                         ": copy command output into temp file: No space left on device\n");
    CHECK(read_file(dir / "f") == "old\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}
