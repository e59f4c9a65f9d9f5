// The transaction root: its lock file cannot be planted, paths below it are walked without
// following links.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include <optional>

#include "atomfile/error.hpp"
#include "support/test_support.hpp"
#include "transaction/root.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace atomfile::transaction;

TEST_CASE("a FIFO or symlink planted at the lock name is replaced by a real lock file") {
    ScratchDir dir;
    ScratchDir elsewhere;
    ::mkfifo((dir / ".atomfile-transaction.lock").c_str(), 0666);
    Root root = open_root(dir.path().string());
    CHECK(lock_root(root, true, std::chrono::milliseconds(100)));
    CHECK(fs::is_regular_file(fs::symlink_status(dir / ".atomfile-transaction.lock")));
    fs::remove(dir / ".atomfile-transaction.lock");
    fs::create_symlink(elsewhere / "target", dir / ".atomfile-transaction.lock");
    CHECK(lock_root(root, true, std::chrono::milliseconds(100)));
    CHECK_FALSE(fs::exists(elsewhere / "target"));
    CHECK(fs::is_regular_file(fs::symlink_status(dir / ".atomfile-transaction.lock")));
}

TEST_CASE("another user's lock file in a sticky root is refused, not used") {
    if (!running_as_root()) return;
    ScratchDir dir;
    ::chmod(dir.path().c_str(), 01777);
    write_file(dir / ".atomfile-transaction.lock", "");
    REQUIRE(::chown((dir / ".atomfile-transaction.lock").c_str(), 65534, 65534) == 0);
    Root root = open_root(dir.path().string());
    try {
        lock_root(root, true, std::chrono::milliseconds(100));
        FAIL("used");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::lock_root);
        CHECK(e.code() == std::errc::operation_not_permitted);
    }
}

TEST_CASE("a reader finding no lock file holds nothing and creates nothing") {
    ScratchDir dir;
    Root root = open_root(dir.path().string());
    CHECK_FALSE(lock_root(root, false, std::chrono::milliseconds(100)));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("walking below the root refuses a symlinked directory and creates missing ones") {
    ScratchDir dir;
    fs::create_directory_symlink("/", dir / "up");
    Root root = open_root(dir.path().string());
    try {
        open_parent(root, {"up", "etc", "passwd"}, true, Step::publish);
        FAIL("followed");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::too_many_symbolic_link_levels);
    }
    CHECK_FALSE(open_parent(root, {"x", "y", "f"}, false, Step::publish));
    std::vector<FileDescriptor> created;
    CHECK(open_parent(root, {"x", "y", "f"}, true, Step::publish, &created));
    CHECK(fs::is_directory(dir / "x/y"));
    CHECK(created.size() == 2);
}

TEST_CASE("another user's symlink as the root in a sticky directory is not followed") {
    if (!running_as_root()) return;
    ScratchDir shared;
    ScratchDir target;
    ::chmod(shared.path().c_str(), 01777);
    fs::create_directory_symlink(target.path(), shared / "root");
    REQUIRE(::lchown((shared / "root").c_str(), 65534, 65534) == 0);
    try {
        open_root((shared / "root").string());
        FAIL("followed");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::permission_denied);
    }
}

TEST_CASE("a root swapped for another user's symlink after it was looked at is not followed") {
    if (!running_as_root()) return;
    ScratchDir shared;
    ScratchDir target;
    ::chmod(shared.path().c_str(), 01777);
    fs::create_directory(shared / "root");
    REQUIRE(::chown((shared / "root").c_str(), 65534, 65534) == 0);
    bool looked = false, swapped = false;
    // Between the look at the root's name and its open, its owner replaces it with a link.
    platform::FaultScope race([&](platform::Call call) {
        if (call == platform::Call::fstatat) looked = true;
        if (call == platform::Call::open && looked && !swapped) {
            swapped = true;
            fs::rename(shared / "root", shared / "was-root");
            fs::create_directory_symlink(target.path(), shared / "root");
            ::lchown((shared / "root").c_str(), 65534, 65534);
        }
        return 0;
    });
    std::optional<Root> root;
    try {
        root = open_root((shared / "root").string());
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::open_root);
    }
    CHECK(swapped);
    if (root) {
        struct stat opened {
        }, planted{};
        REQUIRE(::fstat(root->fd.get(), &opened) == 0);
        REQUIRE(::stat(target.path().c_str(), &planted) == 0);
        CHECK(opened.st_ino != planted.st_ino);
    }
}
