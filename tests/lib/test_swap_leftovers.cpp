#include <doctest/doctest.h>

#include <unistd.h>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/swap.hpp"
#include "lib/swap_support.hpp"
#include "swap/swap_staging.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("leftovers of ours are removed; a running swap's, the current version and others stay") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "live");
    write_generation(scratch / ".site.atomfile-swap-crashed000", "stale");
    fs::create_symlink("x", scratch / ".site.atomfile-link-crashed000");
    write_file(scratch / ".site.atomfile-swap-notadir000", "a file");  // not a shape of ours
    write_generation(scratch / ".site.atomfile-swap-toolong0000", "not ours: name too long");
    write_generation(scratch / ".other.atomfile-swap-crashed000", "another target's");
    write_generation(scratch / ".site.atomfile-swap-running000", "running");
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, scratch.path().c_str()));
    FileDescriptor running = swap::lock_directory(parent.get(), ".site.atomfile-swap-running000");
    REQUIRE(running);
    CHECK(remove_swap_leftovers(dir) == 2);
    CHECK(list_dir(scratch.path()) ==
          std::vector<std::string>{
              ".other.atomfile-swap-crashed000", ".site.atomfile-swap-notadir000",
              ".site.atomfile-swap-running000", ".site.atomfile-swap-toolong0000", "site"});
    CHECK(tree_generation(dir) == "live");
}

TEST_CASE("another user's entry at a leftover's name is left alone") {
    if (!running_as_root()) return;  // only root can make another user's entry here
    ScratchDir scratch;
    const fs::path planted = scratch / ".site.atomfile-swap-planted000";
    write_generation(planted, "theirs");
    REQUIRE(::lchown(planted.c_str(), 65534, 65534) == 0);
    fs::create_symlink("/etc", scratch / ".site.atomfile-link-planted000");
    REQUIRE(::lchown((scratch / ".site.atomfile-link-planted000").c_str(), 65534, 65534) == 0);
    CHECK(remove_swap_leftovers(scratch / "site") == 0);
    CHECK(tree_generation(planted) == "theirs");
    CHECK(fs::is_symlink(scratch / ".site.atomfile-link-planted000"));
}

TEST_CASE("the version a symlink-form DIR points to is never a leftover") {
    ScratchDir scratch;
    write_generation(scratch / ".site.atomfile-swap-version001", "current");
    write_generation(scratch / ".site.atomfile-swap-version002", "stale");
    fs::create_directory_symlink("./.site.atomfile-swap-version001", scratch / "site");
    std::error_code ec;
    CHECK(remove_swap_leftovers(scratch / "site", ec) == 1);
    CHECK_FALSE(ec);
    CHECK(tree_generation(scratch / "site") == "current");
    CHECK(list_dir(scratch.path()).size() == 2);
}

TEST_CASE("a missing directory has no leftovers") {
    ScratchDir scratch;
    CHECK(remove_swap_leftovers(scratch / "absent" / "site") == 0);
}

TEST_CASE("a version that became current while leftovers were looked for is not removed") {
    ScratchDir scratch;
    write_generation(scratch / ".site.atomfile-swap-version001", "old");
    write_generation(scratch / ".site.atomfile-swap-version002", "new");
    fs::create_directory_symlink(".site.atomfile-swap-version001", scratch / "site");
    bool switched = false;
    // Another process's symlink-form swap finishes (version002 unlocked and current) after the
    // directory was listed, before the first leftover is locked to be removed.
    platform::FaultScope race([&](platform::Call call) {
        if (call == platform::Call::lock && !switched) {
            switched = true;
            fs::create_directory_symlink(".site.atomfile-swap-version002", scratch / "next");
            fs::rename(scratch / "next", scratch / "site");
        }
        return 0;
    });
    std::error_code ec;
    remove_swap_leftovers(scratch / "site", ec);
    CHECK_FALSE(ec);
    REQUIRE(switched);
    CHECK(tree_generation(scratch / "site") == "new");
}

TEST_CASE("the current version is kept whatever form its symlink takes") {
    ScratchDir scratch;
    write_generation(scratch / ".site.atomfile-swap-version001", "current");
    fs::create_directory_symlink((scratch / ".site.atomfile-swap-version001").string(),
                                 scratch / "site");  // absolute, as ln -s $PWD/... makes it
    CHECK(remove_swap_leftovers(scratch / "site") == 0);
    CHECK(tree_generation(scratch / "site") == "current");
}
