#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "detail/remove_tree.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("a missing path is nothing to remove") {
    ScratchDir dir;
    CHECK_NOTHROW(detail::remove_tree((dir / "missing").string(), false));
    CHECK_NOTHROW(detail::remove_tree((dir / "missing" / "deeper").string(), false));
}

TEST_CASE("a tree of files, directories, symlinks and fifos is removed") {
    ScratchDir dir;
    fs::path root = dir / "root";
    fs::create_directories(root / "a" / "b" / "c");
    write_file(root / "a" / "b" / "c" / "file", "x");
    write_file(root / "top", "y");
    fs::create_symlink("top", root / "a" / "relative-link");
    fs::create_symlink(root / "a" / "b", root / "dir-link");
    REQUIRE(::mkfifo((root / "a" / "fifo").c_str(), 0600) == 0);
    detail::remove_tree(root.string(), false);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a symlink given as the tree is removed as a link, its target kept") {
    ScratchDir dir;
    fs::create_directory(dir / "target");
    write_file(dir / "target" / "file", "kept");
    fs::create_directory_symlink(dir / "target", dir / "link");
    detail::remove_tree((dir / "link").string(), false);
    CHECK_FALSE(fs::exists(fs::symlink_status(dir / "link")));
    CHECK(read_file(dir / "target" / "file") == "kept");
}

TEST_CASE("a plain file given as the tree is removed") {
    ScratchDir dir;
    write_file(dir / "file", "x");
    detail::remove_tree((dir / "file").string(), false);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a directory opened through its own descriptor regains owner access before listing") {
    ScratchDir dir;
    open_to_everyone(dir.path());
    int result = run_unprivileged([&] {
        fs::path root = dir / "locked";
        fs::create_directories(root / "inner");
        write_file(root / "inner" / "file", "x");
        ::chmod((root / "inner").c_str(), 0100);  // search only: cannot list or unlink
        ::chmod(root.c_str(), 0);
        try {
            detail::remove_tree(root.string(), false);
        } catch (const Error&) {
            return 1;
        }
        return fs::exists(fs::symlink_status(root)) ? 2 : 0;
    });
    CHECK(result == 0);
}

TEST_CASE("the first failure is thrown after the rest is removed, or ignored on request") {
    ScratchDir dir;
    for (bool ignore : {false, true}) {
        CAPTURE(ignore);
        fs::path root = dir / "root";
        fs::create_directories(root / "sub");
        write_file(root / "sub" / "file", "x");
        write_file(root / "other", "y");
        {
            ScopedFault fault(platform::Call::rmdir, EIO, 1);  // the first rmdir is "sub"
            if (ignore) {
                CHECK_NOTHROW(detail::remove_tree(root.string(), true));
            } else {
                try {
                    detail::remove_tree(root.string(), false);
                    FAIL("removal succeeded with a failing rmdir");
                } catch (const Error& e) {
                    CHECK(e.code() == std::errc::io_error);
                    CHECK(e.step() == "remove directory");
                    CHECK(e.path() == (root / "sub").string());
                }
            }
        }
        CHECK(list_dir(root) == std::vector<std::string>{"sub"});
        CHECK(list_dir(root / "sub").empty());
        detail::remove_tree(root.string(), false);
        CHECK_FALSE(fs::exists(root));
    }
}

TEST_CASE("an entry that keeps failing is given up with an error, not retried forever") {
    ScratchDir dir;
    fs::create_directories(dir / "root" / "sub");
    ScopedFault fault(platform::Call::rmdir, ENOTEMPTY, 0);
    try {
        detail::remove_tree((dir / "root").string(), false);
        FAIL("removal succeeded");
    } catch (const Error& e) {
        CHECK(e.step() == "remove entry that kept changing");
    }
    CHECK(fault.calls_seen() < 100);
}
