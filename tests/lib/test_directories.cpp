// create_parent_directories: mkdir -p of a file's parent, each new directory synced into its
// parent.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cerrno>

#include "atomfile/directories.hpp"
#include "atomfile/error.hpp"
#include "support/test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("parent directories are created like mkdir -p, with 0777 & ~umask") {
    ScratchDir dir;
    mode_t mask = ::umask(027);
    const bool created = create_parent_directories((dir / "a" / "b" / "c" / "file").string());
    ::umask(mask);
    CHECK(created);
    CHECK(fs::is_directory(dir / "a" / "b" / "c"));
    CHECK(file_mode(dir / "a") == 0750);
    CHECK(file_mode(dir / "a" / "b" / "c") == 0750);
    CHECK_FALSE(fs::exists(dir / "a" / "b" / "c" / "file"));
    CHECK_FALSE(create_parent_directories((dir / "a" / "b" / "c" / "file").string()));
    CHECK_FALSE(create_parent_directories("relative-file-in-cwd"));  // nothing to do
}

TEST_CASE("every directory created is synced into its parent, and existing ones are not") {
    ScratchDir dir;
    fs::create_directory(dir / "there");
    CallRecorder recorder;
    create_parent_directories((dir / "there" / "x" / "y" / "file").string());
    CHECK(recorder.count(platform::Call::fsync) == 2);
    CHECK(fs::is_directory(dir / "there" / "x" / "y"));
}

TEST_CASE("a parent that is a file or cannot be made is an error naming it") {
    ScratchDir dir;
    write_file(dir / "plain", "");
    try {
        create_parent_directories((dir / "plain" / "sub" / "f").string());
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::not_a_directory);
        CHECK(e.path() == (dir / "plain").string());
        CHECK(e.step_id() == Step::create_directory);
        CHECK(e.step() == "create parent directory");
    }
    ScopedFault fault(platform::Call::mkdir, EACCES, 0);
    std::error_code ec;
    CHECK_FALSE(create_parent_directories((dir / "new" / "f").string(), ec));
    CHECK(ec == std::errc::permission_denied);
    CHECK(step_of(ec) == Step::create_directory);
    CHECK_FALSE(fs::exists(dir / "new"));
}

TEST_CASE("a failed sync of a new directory's parent is reported, not swallowed") {
    ScratchDir dir;
    ScopedFault fault(platform::Call::fsync, EIO, 1);
    try {
        create_parent_directories((dir / "new" / "f").string());
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::io_error);
        CHECK(e.path() == (dir / "new").string());
    }
    CHECK(fault.fired());
}
