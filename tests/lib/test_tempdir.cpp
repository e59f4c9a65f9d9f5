#include <doctest/doctest.h>

#include <cerrno>
#include <thread>

#include "atomfile/error.hpp"
#include "atomfile/tempdir.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

// Leaves only TMPDIR (if given) as an environment candidate.
void only_tmpdir(ScopedEnvironment& env, const std::string& tmpdir) {
    env.set("TMPDIR", tmpdir);
    env.unset("TEMP");
    env.unset("TMP");
}

}  // namespace

TEST_CASE("TMPDIR is the answer when it is usable") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, dir.path().string());
    CHECK(gettempdir() == dir.path().string());
}

TEST_CASE("a missing TMPDIR falls through to TEMP, then a file TEMP falls through to TMP") {
    ScratchDir dir;
    fs::create_directory(dir / "tmp");
    write_file(dir / "a-file", "not a directory");
    ScopedEnvironment env;
    env.set("TMPDIR", (dir / "missing").string());
    env.set("TEMP", (dir / "a-file").string());
    env.set("TMP", (dir / "tmp").string());
    CHECK(gettempdir() == (dir / "tmp").string());
}

TEST_CASE("an unwritable TMPDIR falls through to the next candidate") {
    ScratchDir dir;
    open_to_everyone(dir.path());
    fs::create_directory(dir / "read-only");
    fs::permissions(dir / "read-only", fs::perms::owner_read | fs::perms::owner_exec |
                                           fs::perms::group_read | fs::perms::group_exec |
                                           fs::perms::others_read | fs::perms::others_exec);
    fs::create_directory(dir / "writable");
    open_to_everyone(dir / "writable");
    ScopedEnvironment env;
    env.set("TMPDIR", (dir / "read-only").string());
    env.set("TEMP", (dir / "writable").string());
    env.unset("TMP");
    int result = run_unprivileged([&] {
        detail::reset_tempdir_cache();
        return gettempdir() == (dir / "writable").string() ? 0 : 1;
    });
    CHECK(result == 0);
    CHECK(list_dir(dir / "writable").empty());
}

TEST_CASE("empty environment variables are skipped and relative ones made absolute") {
    ScratchDir dir;
    fs::create_directory(dir / "rel");
    ScopedEnvironment env;
    env.set("TMPDIR", "");
    env.set("TEMP", "rel");
    env.unset("TMP");
    fs::path old_cwd = fs::current_path();
    fs::current_path(dir.path());
    std::string answer = gettempdir();
    fs::current_path(old_cwd);
    CHECK(answer == (dir / "rel").string());
}

TEST_CASE("with no variable set the search reaches /tmp") {
    ScopedEnvironment env;
    env.unset("TMPDIR");
    env.unset("TEMP");
    env.unset("TMP");
    CHECK(gettempdir() == "/tmp");
}

TEST_CASE("a candidate is proven by creating and removing one file in it") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, dir.path().string());
    CallRecorder calls;
    CHECK(gettempdir() == dir.path().string());
    CHECK(calls.count(platform::Call::create) == 1);
    CHECK(calls.count(platform::Call::unlink) == 1);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a candidate where the probe cannot be created is rejected") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, dir.path().string());
    ScopedFault fault(platform::Call::create, EACCES, 1);
    CHECK(gettempdir() != dir.path().string());
}

TEST_CASE("the answer is cached until set_tempdir forgets it") {
    ScratchDir first, second;
    ScopedEnvironment env;
    only_tmpdir(env, first.path().string());
    CHECK(gettempdir() == first.path().string());
    env.set("TMPDIR", second.path().string());
    CHECK(gettempdir() == first.path().string());
    set_tempdir("");
    CHECK(gettempdir() == second.path().string());
}

TEST_CASE("set_tempdir overrides the search like assigning tempfile.tempdir") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, "/tmp");
    set_tempdir(dir.path());  // a std::filesystem::path, passed without conversion
    CHECK(gettempdir() == dir.path().string());
    std::error_code ec;
    set_tempdir(std::string(), ec);
    CHECK_FALSE(ec);
    CHECK(gettempdir() == "/tmp");
}

TEST_CASE("concurrent first calls search once and agree") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, dir.path().string());
    CallRecorder calls;
    std::vector<std::string> answers(8);
    std::vector<std::thread> threads;
    for (auto& answer : answers) threads.emplace_back([&answer] { answer = gettempdir(); });
    for (auto& thread : threads) thread.join();
    for (const auto& answer : answers) CHECK(answer == dir.path().string());
    CHECK(calls.count(platform::Call::create) == 1);
}

TEST_CASE("when no candidate works the error lists every directory tried") {
    ScopedEnvironment env;
    env.set("TMPDIR", "/nonexistent/first");
    env.set("TEMP", "/nonexistent/second");
    env.set("TMP", "/nonexistent/third");
    ScopedFault fault(platform::Call::create, EACCES, 0);
    std::string cwd = fs::current_path().string();
    try {
        gettempdir();
        FAIL("gettempdir succeeded with every creation failing");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        std::string what = e.what();
        for (const std::string& tried :
             {std::string("/nonexistent/first"), std::string("/nonexistent/second"),
              std::string("/nonexistent/third"), std::string("/tmp"), std::string("/var/tmp"),
              std::string("/usr/tmp"), cwd})
            CHECK_MESSAGE(what.find("'" + tried + "'") != std::string::npos, what);
    }
    std::error_code ec;
    CHECK(gettempdir(ec).empty());
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("the default prefix is tmp") {
    CHECK(gettempprefix() == "tmp");
}

TEST_CASE("out of descriptors, the search ends with EMFILE naming the candidate, caching nothing") {
    ScratchDir dir;
    ScopedEnvironment env;
    only_tmpdir(env, dir.path().string());
    {
        ScopedFault fault(platform::Call::open, EMFILE, 0);
        try {
            gettempdir();
            FAIL("gettempdir succeeded with no descriptor to be had");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::too_many_files_open);
            CHECK(e.path() == dir.path().string());
        }
    }
    CHECK(gettempdir() == dir.path().string());
}
