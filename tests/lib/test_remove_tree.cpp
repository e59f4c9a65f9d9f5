#include <doctest/doctest.h>

#include <sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "detail/remove_tree.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

// Gives this test process a mount namespace of its own (once), so that the mounts a test makes
// are seen by no one else and vanish with the process, even if it crashes. False when not
// permitted (not root): the mount tests then skip.
bool private_mounts() {
    static const bool ready = ::unshare(CLONE_NEWNS) == 0 &&
                              ::mount("none", "/", nullptr, MS_REC | MS_PRIVATE, nullptr) == 0;
    return ready;
}

// A mount for the scope of a test, detached on the way out whatever happened.
class ScopedMount {
  public:
    // A bind mount of source on target, or (source empty) a small tmpfs on target.
    ScopedMount(const fs::path& source, const fs::path& target) : target_(target) {
        mounted_ = source.empty()
                       ? ::mount("tmpfs", target.c_str(), "tmpfs", 0, "size=1m") == 0
                       : ::mount(source.c_str(), target.c_str(), nullptr, MS_BIND, nullptr) == 0;
        REQUIRE(mounted_);
    }
    ~ScopedMount() {
        if (mounted_) ::umount2(target_.c_str(), MNT_DETACH);
    }
    ScopedMount(const ScopedMount&) = delete;
    ScopedMount& operator=(const ScopedMount&) = delete;

  private:
    fs::path target_;
    bool mounted_ = false;
};

// Runs remove_tree and returns the Error it throws (FAILs when it throws nothing).
Error removal_error(const fs::path& root) {
    try {
        detail::remove_tree(root.string(), false);
    } catch (const Error& e) {
        return e;
    }
    FAIL("removal succeeded");
    return Error(std::error_code(), "", "");
}

}  // namespace

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

TEST_CASE("a bind mount inside the tree is neither emptied nor unmounted, and reported (EBUSY)") {
    if (!private_mounts()) {
        MESSAGE("skipped: mounting needs root");
        return;
    }
    ScratchDir outside, dir;
    write_file(outside / "precious", "keep");
    fs::path root = dir / "root";
    fs::create_directories(root / "sub" / "mnt");
    write_file(root / "sub" / "file", "x");
    write_file(root / "top", "y");
    ScopedMount mount(outside.path(), root / "sub" / "mnt");
    Error e = removal_error(root);
    CHECK(e.code() == std::errc::device_or_resource_busy);
    CHECK(e.step() == "skip mount point (neither emptied nor unmounted)");
    CHECK(e.path() == (root / "sub" / "mnt").string());
    CHECK(read_file(outside / "precious") == "keep");
    CHECK(read_file(root / "sub" / "mnt" / "precious") == "keep");  // still mounted
    CHECK(list_dir(root) == std::vector<std::string>{"sub"});
    CHECK(list_dir(root / "sub") == std::vector<std::string>{"mnt"});
}

TEST_CASE("another file system mounted inside is left alone and the rest removed") {
    if (!private_mounts()) {
        MESSAGE("skipped: mounting needs root");
        return;
    }
    ScratchDir dir;
    fs::path root = dir / "root";
    fs::create_directories(root / "mnt");
    write_file(root / "file", "x");
    ScopedMount mount({}, root / "mnt");
    fs::create_directory(root / "mnt" / "inner");
    write_file(root / "mnt" / "inner" / "data", "on tmpfs");
    ::chmod((root / "mnt" / "inner").c_str(), 0500);
    Error e = removal_error(root);
    CHECK(e.code() == std::errc::device_or_resource_busy);
    CHECK(e.path() == (root / "mnt").string());
    CHECK(read_file(root / "mnt" / "inner" / "data") == "on tmpfs");
    CHECK(file_mode(root / "mnt" / "inner") == 0500);  // not even chmodded
    CHECK(list_dir(root) == std::vector<std::string>{"mnt"});
}

TEST_CASE("a mount on the tree itself, or over a file inside it, is left alone") {
    if (!private_mounts()) {
        MESSAGE("skipped: mounting needs root");
        return;
    }
    ScratchDir outside, dir;
    write_file(outside / "precious", "keep");
    fs::create_directory(dir / "root");
    {
        ScopedMount mount(outside.path(), dir / "root");
        CHECK(removal_error(dir / "root").path() == (dir / "root").string());
        CHECK(list_dir(outside.path()) == std::vector<std::string>{"precious"});
    }
    write_file(dir / "root" / "over", "mount point");
    write_file(dir / "root" / "other", "x");
    ScopedMount mount(outside / "precious", dir / "root" / "over");
    Error e = removal_error(dir / "root");
    CHECK(e.code() == std::errc::device_or_resource_busy);
    CHECK(e.path() == (dir / "root" / "over").string());
    CHECK(read_file(outside / "precious") == "keep");
    CHECK(list_dir(dir / "root") == std::vector<std::string>{"over"});
}

TEST_CASE("a skipped mount is reported before an earlier failure, and silently when ignoring") {
    if (!private_mounts()) {
        MESSAGE("skipped: mounting needs root");
        return;
    }
    ScratchDir outside, dir;
    write_file(outside / "precious", "keep");
    fs::path root = dir / "root";
    fs::create_directories(root / "d1");
    fs::create_directories(root / "d2");
    std::vector<std::string> walk_order;
    {
        FileDescriptor root_fd(platform::open_directory(platform::current_directory, root.c_str()));
        REQUIRE(platform::list_directory(root_fd.get(), walk_order) == 0);
    }
    REQUIRE(walk_order.size() == 2);
    const fs::path failing = root / walk_order[0], mounted = root / walk_order[1];
    ScopedMount mount(outside.path(), mounted);
    {
        ScopedFault fault(platform::Call::rmdir, EIO, 1);  // the first directory, met first
        Error e = removal_error(root);
        CHECK(e.code() == std::errc::device_or_resource_busy);
        CHECK(e.path() == mounted.string());
    }
    CHECK(fs::exists(failing));
    CHECK_NOTHROW(detail::remove_tree(root.string(), true));
    CHECK(list_dir(root) == std::vector<std::string>{walk_order[1]});
    CHECK(read_file(outside / "precious") == "keep");
}

TEST_CASE("a directory whose mount cannot be checked is not entered") {
    ScratchDir dir;
    fs::path root = dir / "root";
    fs::create_directories(root / "sub");
    write_file(root / "sub" / "file", "x");
    {
        ScopedFault fault(platform::Call::fstat, EIO, 0);
        Error e = removal_error(root);
        CHECK(e.code() == std::errc::io_error);
        CHECK(e.step() == "inspect directory to remove it");
        CHECK(e.path() == root.string());
    }
    CHECK(read_file(root / "sub" / "file") == "x");
}

TEST_CASE("an empty directory is removed when no descriptor is left to open it (EMFILE)") {
    ScratchDir dir;
    fs::create_directories(dir / "staging");
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, dir.path().c_str()));
    REQUIRE(parent);
    {
        ScopedFault fault(platform::Call::open, EMFILE, 0);  // every open, as at ulimit -n
        CHECK_NOTHROW(
            detail::remove_tree_at(parent.get(), "staging", (dir / "staging").string(), false));
        CHECK(fault.fired());
    }
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a directory removed in the end is no failure, though its listing was refused") {
    ScratchDir dir;
    fs::create_directories(dir / "empty");
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, dir.path().c_str()));
    REQUIRE(parent);
    {
        // The second open is the listing's own descriptor: refused as at the descriptor limit.
        ScopedFault fault(platform::Call::open, EMFILE, 2);
        CHECK_NOTHROW(
            detail::remove_tree_at(parent.get(), "empty", (dir / "empty").string(), false));
        CHECK(fault.fired());
    }
    CHECK(list_dir(dir.path()).empty());
    // A listing refused in a directory that is not empty is still reported, and it is kept.
    fs::create_directories(dir / "full");
    write_file(dir / "full" / "file", "x");
    {
        ScopedFault fault(platform::Call::open, EMFILE, 2);
        try {
            detail::remove_tree_at(parent.get(), "full", (dir / "full").string(), false);
            FAIL("removal succeeded with the listing refused");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::too_many_files_open);
            CHECK(e.step() == "list directory to remove it");
        }
    }
    CHECK(read_file(dir / "full" / "file") == "x");
}
