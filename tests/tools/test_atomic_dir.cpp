// atomic-dir: direct calls of run_atomic_dir and black-box runs of the built binary.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>

#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "cli/atomic_dir.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_atomic_dir;

namespace {

DirectRun atomic_dir(const std::vector<std::string>& args) {
    return capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_atomic_dir(args, out, err); });
}

// site/ holding a.txt = "old" and nothing else beside it.
fs::path make_site(const ScratchDir& scratch) {
    fs::create_directories(scratch / "site");
    write_file(scratch / "site" / "a.txt", "old");
    return scratch / "site";
}

}  // namespace

TEST_CASE("COMMAND fills the new directory through {} and $ATOMIC_DIR, then it replaces DIR") {
    ScratchDir scratch;
    const fs::path site = make_site(scratch);
    auto run = atomic_dir({site.string(), "--", "sh", "-c",
                           "echo new > {}/b.txt && echo \"$ATOMIC_DIR\" > \"$ATOMIC_DIR/where\""});
    CHECK(run.status == 0);
    CHECK(run.err == "");
    CHECK(list_dir(site) == std::vector<std::string>{"b.txt", "where"});
    CHECK(read_file(site / "b.txt") == "new\n");
    const std::string staging = read_file(site / "where");
    CHECK(fs::path(staging.substr(0, staging.size() - 1)).parent_path() == scratch.path());
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE("a failing COMMAND passes its status through and leaves DIR untouched") {
    ScratchDir scratch;
    const fs::path site = make_site(scratch);
    auto run = atomic_dir({site.string(), "--", "sh", "-c", "echo partial > {}/a.txt; exit 7"});
    CHECK(run.status == 7);
    CHECK(atomic_dir({site.string(), "false"}).status == 1);  // no "--" needed without dashes
    CHECK(read_file(site / "a.txt") == "old");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
    CHECK(atomic_dir({site.string(), "--", "no-such-command-atomfile"}).status == 127);
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE("--copy seeds the new directory with DIR's content, and --cd runs COMMAND inside it") {
    ScratchDir scratch;
    const fs::path site = make_site(scratch);
    fs::create_symlink("a.txt", site / "alias");
    auto run = atomic_dir({"--copy", "-C", site.string(), "--", "sh", "-c",
                           "test \"$(cat a.txt)\" = old && echo more > b.txt"});
    CHECK(run.status == 0);
    CHECK(read_file(site / "a.txt") == "old");
    CHECK(read_file(site / "b.txt") == "more\n");
    CHECK(fs::read_symlink(site / "alias") == "a.txt");
}

TEST_CASE("--symlink-form keeps DIR a symlink to the newest version") {
    ScratchDir scratch;
    const fs::path site = scratch / "site";
    for (const char* text : {"one", "two"}) {
        auto run = atomic_dir({"--symlink-form", site.string(), "--", "sh", "-c",
                               std::string("echo ") + text + " > {}/v"});
        CHECK(run.status == 0);
    }
    CHECK(fs::is_symlink(site));
    CHECK(read_file(site / "v") == "two\n");
    CHECK(list_dir(scratch.path()).size() == 2);
}

TEST_CASE("bad usage is status 125 with a message, and DIR is untouched") {
    ScratchDir scratch;
    const fs::path site = make_site(scratch);
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {}, {site.string()}, {"--durability=sometimes", site.string(), "true"}}) {
        auto run = atomic_dir(args);
        CHECK(run.status == 125);
        CHECK(run.err.rfind("atomic-dir: ", 0) == 0);
    }
    auto help = atomic_dir({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.rfind("Usage: atomic-dir [OPTIONS] DIR [--] COMMAND [ARG...]", 0) == 0);
    CHECK(read_file(site / "a.txt") == "old");
}

TEST_CASE("a DIR that is a file is refused with status 125 and a message naming it") {
    ScratchDir scratch;
    write_file(scratch / "file", "data");
    auto run = atomic_dir({(scratch / "file").string(), "true"});
    CHECK(run.status == 125);
    CHECK(run.err.find("exchange directories") != std::string::npos);
    CHECK(read_file(scratch / "file") == "data");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"file"});
}

TEST_CASE("a signal is forwarded to COMMAND and means no swap") {
    ScratchDir scratch;
    const fs::path site = make_site(scratch);
    pid_t pid = start_program({tool_path("atomic-dir"), site.string(), "--", "sh", "-c",
                               "echo new > {}/a.txt; touch {}/started; exec sleep 60"});
    for (int i = 0; i < 2000; ++i) {
        bool started = false;
        for (const std::string& name : list_dir(scratch.path()))
            started = started || fs::exists(scratch / name / "started");
        if (started) break;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ::kill(pid, SIGTERM);
    int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(read_file(site / "a.txt") == "old");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}
