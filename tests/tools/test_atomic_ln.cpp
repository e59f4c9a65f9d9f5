// atomic-ln: direct calls of run_atomic_ln.
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "cli/atomic_ln.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_atomic_ln;

namespace {

DirectRun atomic_ln(const std::vector<std::string>& args) {
    return capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_atomic_ln(args, out, err); });
}

}  // namespace

TEST_CASE("atomic-ln makes LINK, then switches it, leaving nothing else") {
    ScratchDir scratch;
    const std::string link = (scratch / "current").string();
    CHECK(atomic_ln({"releases/41", link}).status == 0);
    CHECK(fs::read_symlink(link) == "releases/41");
    auto run = atomic_ln({"releases/42", link});
    CHECK(run.status == 0);
    CHECK(run.err == "");
    CHECK(fs::read_symlink(link) == "releases/42");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current"});
}

TEST_CASE("a directory or file at LINK is refused with status 1, unless --replace-other") {
    ScratchDir scratch;
    fs::create_directories(scratch / "dir");
    write_file(scratch / "dir" / "kept", "x");
    write_file(scratch / "file", "data");
    auto run = atomic_ln({"elsewhere", (scratch / "dir").string()});
    CHECK(run.status == 1);
    CHECK(run.err.find("--replace-other") != std::string::npos);
    CHECK(atomic_ln({"elsewhere", (scratch / "file").string()}).status == 1);
    CHECK(read_file(scratch / "dir" / "kept") == "x");
    CHECK(read_file(scratch / "file") == "data");
    CHECK(atomic_ln({"--replace-other", "elsewhere", (scratch / "dir").string()}).status == 0);
    CHECK(atomic_ln({"--replace-other", "elsewhere", (scratch / "file").string()}).status == 0);
    CHECK(fs::read_symlink(scratch / "dir") == "elsewhere");
    CHECK(fs::read_symlink(scratch / "file") == "elsewhere");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"dir", "file"});
}

TEST_CASE("bad usage is status 2") {
    for (std::vector<std::string> args : std::vector<std::vector<std::string>>{
             {}, {"target"}, {"a", "b", "c"}, {"--durability=x", "a", "b"}, {"", "b"}}) {
        auto run = atomic_ln(args);
        CHECK(run.status == 2);
        CHECK(run.err.rfind("atomic-ln: ", 0) == 0);
    }
    auto help = atomic_ln({"--help"});
    CHECK(help.status == 0);
    CHECK(help.out.rfind("Usage: atomic-ln [OPTIONS] TARGET LINK", 0) == 0);
}
