// with-tempdir: direct calls of run_with_tempdir and black-box runs of the built binary.
#include <doctest/doctest.h>
#include <sched.h>
#include <signal.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/version.hpp"
#include "cli/with_tempdir.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_with_tempdir;

namespace {

DirectRun with_tempdir(const std::vector<std::string>& args) {
    return capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_with_tempdir(args, out, err); });
}

std::string first_line(const std::string& text) {
    return text.substr(0, text.find('\n'));
}

// Waits until COMMAND has created `name` inside the single temp directory under parent.
void wait_for_started(const fs::path& parent, const std::string& name) {
    for (int i = 0; i < 2000; ++i) {
        auto entries = list_dir(parent);
        if (entries.size() == 1 && fs::exists(parent / entries[0] / name)) return;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    FAIL("COMMAND never started");
}

// Gives this test process a mount namespace of its own (once), so that what a test mounts is
// seen by no one else and vanishes with the process, even if it crashes. False when not
// permitted (not root): the mount tests then skip.
bool private_mounts() {
    static const bool ready = ::unshare(CLONE_NEWNS) == 0 &&
                              ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    return ready;
}

// Detaches whatever is mounted on `target` when the scope ends.
class UnmountAtEnd {
  public:
    explicit UnmountAtEnd(fs::path target) : target_(std::move(target)) {}
    ~UnmountAtEnd() { ::umount2(target_.c_str(), MNT_DETACH); }
    UnmountAtEnd(const UnmountAtEnd&) = delete;
    UnmountAtEnd& operator=(const UnmountAtEnd&) = delete;

  private:
    fs::path target_;
};

}  // namespace

TEST_CASE("COMMAND gets a fresh 0700 directory as TMPDIR, removed afterwards") {
    ScratchDir dir;
    auto run = run_command({tool_path("with-tempdir"), "--dir", dir.path().string(), "--", "sh",
                            "-c", "echo \"$TMPDIR\"; stat -c %a \"$TMPDIR\"; ls -A \"$TMPDIR\""});
    CHECK(run.exit_status == 0);
    CHECK(run.err.empty());
    std::istringstream lines(run.out);
    std::string path, mode, rest;
    std::getline(lines, path);
    std::getline(lines, mode);
    std::getline(lines, rest);
    CHECK(fs::path(path).parent_path() == dir.path());
    CHECK(mode == "700");
    CHECK(rest.empty());
    CHECK_FALSE(fs::exists(path));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("{} in ARGs is replaced by the directory's path, also inside a word") {
    ScratchDir dir;
    auto run =
        run_command({tool_path("with-tempdir"), "--dir", dir.path().string(), "--", "sh", "-c",
                     "echo \"$1\"; echo \"$2\"; echo \"$TMPDIR\"", "sh", "{}", "--out={}/x"});
    CHECK(run.exit_status == 0);
    std::istringstream lines(run.out);
    std::string braces, inside, tmpdir;
    std::getline(lines, braces);
    std::getline(lines, inside);
    std::getline(lines, tmpdir);
    CHECK(braces == tmpdir);
    CHECK(inside == "--out=" + tmpdir + "/x");
}

TEST_CASE("COMMAND's exit status passes through and the directory is removed either way") {
    ScratchDir dir;
    for (int code : {0, 1, 7, 200}) {
        CAPTURE(code);
        auto run = with_tempdir({"--dir", dir.path().string(), "--", "sh", "-c",
                                 "touch \"$TMPDIR/f\"; exit " + std::to_string(code)});
        CHECK(run.status == code);
        CHECK(list_dir(dir.path()).empty());
    }
    auto killed = with_tempdir({"--dir", dir.path().string(), "--", "sh", "-c", "kill -9 $$"});
    CHECK(killed.status == 128 + SIGKILL);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("TMP and TEMP name the directory too") {
    ScratchDir dir;
    auto run = run_command({tool_path("with-tempdir"), "--dir", dir.path().string(), "--", "sh",
                            "-c", "echo \"$TMPDIR\"; echo \"$TMP\"; echo \"$TEMP\""},
                           {}, {"TMP=/elsewhere", "TEMP=/elsewhere"});
    CHECK(run.exit_status == 0);
    std::istringstream lines(run.out);
    std::string tmpdir, tmp, temp;
    std::getline(lines, tmpdir);
    std::getline(lines, tmp);
    std::getline(lines, temp);
    CHECK(fs::path(tmpdir).parent_path() == dir.path());
    CHECK(tmp == tmpdir);
    CHECK(temp == tmpdir);
}

TEST_CASE("a COMMAND found but not executable exits 126, as env does") {
    ScratchDir dir;
    fs::create_directory(dir / "parent");
    write_file(dir / "script", "#!/bin/sh\necho ran\n");
    ::chmod((dir / "script").c_str(), 0644);
    auto run = with_tempdir({"--dir", (dir / "parent").string(), "--", (dir / "script").string()});
    CHECK(run.status == 126);
    CHECK(run.err ==
          "with-tempdir: " + (dir / "script").string() + ": run command: Permission denied\n");
    CHECK(list_dir(dir / "parent").empty());
}

TEST_CASE("a bind mount left inside is neither emptied nor unmounted; it is named, status 125") {
    if (!private_mounts()) {
        MESSAGE("skipped: mounting needs root");
        return;
    }
    ScratchDir outside, dir;
    write_file(outside / "precious", "keep");
    for (int code : {0, 3}) {
        CAPTURE(code);
        const std::string script =
            "mkdir \"$TMPDIR/m\" && touch \"$TMPDIR/scratch\" && "
            "mount --bind \"$0\" \"$TMPDIR/m\" && exit " +
            std::to_string(code);
        const fs::path parent = dir / std::to_string(code);
        fs::create_directory(parent);
        auto run = with_tempdir(
            {"--dir", parent.string(), "--", "sh", "-c", script, outside.path().string()});
        auto entries = list_dir(parent);
        REQUIRE(entries.size() == 1);
        const fs::path kept = parent / entries[0];
        UnmountAtEnd unmount(kept / "m");
        CHECK(run.status == (code == 0 ? 125 : code));
        CHECK(run.err == "with-tempdir: " + (kept / "m").string() +
                             ": skip mount point (neither emptied nor unmounted): Device or "
                             "resource busy\n" +
                             "with-tempdir: kept " + kept.string() + ": unmount " +
                             (kept / "m").string() + ", then remove it\n");
        CHECK(read_file(kept / "m" / "precious") == "keep");  // still mounted, still whole
        CHECK(list_dir(kept) == std::vector<std::string>{"m"});
    }
    CHECK(read_file(outside / "precious") == "keep");
}

TEST_CASE("a COMMAND that cannot be run exits 127 with a message and leaves nothing") {
    ScratchDir dir;
    auto run = with_tempdir({"--dir", dir.path().string(), "--", "atomfile-no-such-command"});
    CHECK(run.status == 127);
    CHECK(run.err ==
          "with-tempdir: atomfile-no-such-command: run command: No such file or directory\n");
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("cleanup never follows symlinks and removes read-only subdirectories") {
    ScratchDir dir;
    fs::create_directory(dir / "parent");
    fs::create_directory(dir / "outside_dir");
    write_file(dir / "outside_dir" / "precious", "keep");
    write_file(dir / "outside_file", "keep too");
    ::chmod((dir / "outside_dir").c_str(), 0755);
    ::chmod((dir / "outside_file").c_str(), 0444);
    const std::string script =
        "ln -s \"$1\" \"$TMPDIR/to_dir\" && ln -s \"$2\" \"$TMPDIR/to_file\" && "
        "mkdir -p \"$TMPDIR/ro/deeper\" && touch \"$TMPDIR/ro/deeper/f\" \"$TMPDIR/ro/g\" && "
        "ln -s \"$1\" \"$TMPDIR/ro/deeper/link\" && "
        "chmod 500 \"$TMPDIR/ro/deeper\" \"$TMPDIR/ro\" && chmod 0 \"$TMPDIR/ro/g\"";
    auto run = with_tempdir({"--dir", (dir / "parent").string(), "--", "sh", "-c", script, "sh",
                             (dir / "outside_dir").string(), (dir / "outside_file").string()});
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    CHECK(list_dir(dir / "parent").empty());
    CHECK(read_file(dir / "outside_dir" / "precious") == "keep");
    CHECK(read_file(dir / "outside_file") == "keep too");
    CHECK(file_mode(dir / "outside_dir") == 0755);
    CHECK(file_mode(dir / "outside_file") == 0444);
}

TEST_CASE("--keep leaves the directory and names it on standard error") {
    ScratchDir dir;
    auto run = with_tempdir(
        {"-k", "--dir", dir.path().string(), "--", "sh", "-c", "echo data > \"$TMPDIR/result\""});
    CHECK(run.status == 0);
    auto entries = list_dir(dir.path());
    REQUIRE(entries.size() == 1);
    CHECK(run.err == "with-tempdir: kept " + (dir / entries[0]).string() + "\n");
    CHECK(read_file(dir / entries[0] / "result") == "data\n");
}

TEST_CASE("--prefix, --suffix and --dir choose the name and the place") {
    ScratchDir dir;
    auto run = with_tempdir({"--prefix", "build-", "--suffix", ".work", "--dir",
                             dir.path().string(), "-k", "--", "true"});
    CHECK(run.status == 0);
    auto entries = list_dir(dir.path());
    REQUIRE(entries.size() == 1);
    const std::string& name = entries[0];
    CHECK(name.rfind("build-", 0) == 0);
    CHECK(name.size() > std::string("build-.work").size());
    CHECK(name.compare(name.size() - 5, 5, ".work") == 0);
}

TEST_CASE("--cd runs COMMAND inside the directory") {
    ScratchDir dir;
    auto run = run_command({tool_path("with-tempdir"), "-C", "--dir", dir.path().string(), "--",
                            "sh", "-c", "pwd -P; cd \"$TMPDIR\" && pwd -P"});
    CHECK(run.exit_status == 0);
    std::istringstream lines(run.out);
    std::string inside, tmpdir;
    std::getline(lines, inside);
    std::getline(lines, tmpdir);
    CHECK(inside == tmpdir);
    CHECK(fs::path(inside).parent_path() == fs::canonical(dir.path()));
}

TEST_CASE("a missing --dir fails with 125 and a message naming it") {
    ScratchDir dir;
    auto run = with_tempdir({"--dir", (dir / "absent").string(), "--", "true"});
    CHECK(run.status == 125);
    CHECK(run.err.rfind("with-tempdir: " + (dir / "absent").string(), 0) == 0);
    CHECK(run.err.find("No such file or directory") != std::string::npos);
}

TEST_CASE("bad usage exits 125 with a message") {
    auto none = with_tempdir({});
    CHECK(none.status == 125);
    CHECK(none.err ==
          "with-tempdir: missing COMMAND\n"
          "Try 'with-tempdir --help' for more information.\n");
    auto before = with_tempdir({"stray", "--", "true"});
    CHECK(before.status == 125);
    CHECK(before.err.find("unexpected operand 'stray' before --") != std::string::npos);
    auto unknown = with_tempdir({"--frobnicate", "--", "true"});
    CHECK(unknown.status == 125);
    CHECK(first_line(unknown.err).find("frobnicate") != std::string::npos);
}

TEST_CASE("--help and --version print to standard output and exit 0") {
    auto help = with_tempdir({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.rfind("Usage: with-tempdir [OPTIONS] -- COMMAND [ARG...]", 0) == 0);
    for (const char* option : {"--prefix", "--suffix", "--dir", "--keep", "--cd"})
        CHECK(help.out.find(option) != std::string::npos);
    auto version = with_tempdir({"--version"});
    CHECK(version.out == std::string("with-tempdir (atomfile) ") + atomfile::version + "\n");
}

TEST_CASE("SIGINT, SIGTERM and SIGHUP are forwarded to COMMAND and the directory removed") {
    for (int signal_number : {SIGINT, SIGTERM, SIGHUP}) {
        CAPTURE(signal_number);
        ScratchDir dir;
        // COMMAND turns the signal into a status of its own: proof that it received it.
        const std::string script =
            "trap 'exit 42' INT TERM HUP; touch \"$TMPDIR/started\"; "
            "while :; do sleep 0.05; done";
        pid_t pid = start_program(
            {tool_path("with-tempdir"), "--dir", dir.path().string(), "--", "sh", "-c", script});
        wait_for_started(dir.path(), "started");
        ::kill(pid, signal_number);
        int status = wait_with_deadline(pid);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 42);
        CHECK(list_dir(dir.path()).empty());
    }
}

TEST_CASE("a COMMAND ended by the forwarded signal gives 128+signal") {
    ScratchDir dir;
    pid_t pid = start_program({tool_path("with-tempdir"), "--dir", dir.path().string(), "--", "sh",
                               "-c", "touch \"$TMPDIR/started\"; exec sleep 60"});
    wait_for_started(dir.path(), "started");
    ::kill(pid, SIGTERM);
    int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(list_dir(dir.path()).empty());
}
