#include <doctest/doctest.h>

#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <stdexcept>

#include "atomfile/error.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/swap.hpp"
#include "lib/swap_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;

namespace {

struct PopulateRefused : std::runtime_error {
    using std::runtime_error::runtime_error;
};

// The error a swap throws (FAILs when it throws nothing).
Error swap_error(const fs::path& dir, const PopulateDirectory& populate,
                 const DirectorySwapOptions& options = {}) {
    try {
        replace_directory(dir, populate, options);
    } catch (const Error& e) {
        return e;
    }
    FAIL("the swap succeeded");
    return Error(std::error_code(), "", "");
}

// DIR holds the old generation and nothing else is beside it.
void check_untouched(const ScratchDir& scratch, const fs::path& dir) {
    CHECK(tree_generation(dir) == "old");
    CHECK(list_dir(dir) == std::vector<std::string>{"f0", "f1", "f2", "sub"});
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

}  // namespace

TEST_CASE("replace_directory puts the populated tree in DIR's place and removes the old tree") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old", 5);
    std::string staged;
    replace_directory(dir, [&](const std::string& staging) {
        staged = staging;
        CHECK(fs::path(staging).parent_path() == scratch.path());
        CHECK(fs::path(staging).is_absolute());
        write_generation(staging, "new", 2);
    });
    CHECK(tree_generation(dir) == "new");
    CHECK(list_dir(dir) == std::vector<std::string>{"f0", "f1", "sub"});
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
    CHECK_FALSE(fs::exists(staged));
}

TEST_CASE("the new tree keeps the old directory's permission bits; a new DIR gets 0755 & ~umask") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    ScopedUmask mask(027);
    replace_directory(dir, populate_with("one"));
    CHECK(tree_generation(dir) == "one");
    CHECK(file_mode(dir) == 0750);
    fs::permissions(dir, fs::perms(0711));
    replace_directory(dir, populate_with("two"));
    CHECK(file_mode(dir) == 0711);
    CHECK(tree_generation(dir) == "two");
}

TEST_CASE("a populate that throws leaves DIR untouched, removes the staging tree, and propagates") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    auto refuse = [](const std::string& staging) {
        write_generation(staging, "partial");
        throw PopulateRefused("no");
    };
    CHECK_THROWS_AS(replace_directory(dir, refuse), PopulateRefused);
    check_untouched(scratch, dir);

    std::error_code ec;
    replace_directory(dir, refuse, ec);
    CHECK(ec == std::errc::operation_canceled);
    CHECK(step_of(ec) == Step::populate_staging);
    check_untouched(scratch, dir);
}

TEST_CASE("a populate that replaces the staging directory itself is refused, DIR untouched") {
    ScratchDir scratch;
    ScratchDir elsewhere;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    write_generation(elsewhere / "tree", "elsewhere");
    // rm -rf {} && cp -r build {}: a directory nothing synced; or a link to anywhere.
    auto remake = [](const std::string& staging) {
        fs::remove_all(staging);
        write_generation(staging, "new");
    };
    auto relink = [&](const std::string& staging) {
        fs::remove_all(staging);
        fs::create_directory_symlink(elsewhere / "tree", staging);
    };
    for (const PopulateDirectory& populate :
         {PopulateDirectory(remake), PopulateDirectory(relink)}) {
        std::error_code ec;
        replace_directory(dir, populate, ec);
        CHECK(ec == std::errc::invalid_argument);
        CHECK(step_of(ec) == Step::populate_staging);
        check_untouched(scratch, dir);
        CHECK(tree_generation(elsewhere / "tree") == "elsewhere");
    }
}

TEST_CASE("a fault at any step before the exchange leaves DIR untouched and no staging") {
    struct Case {
        Call call;
        int nth;
        Step step;
    };
    // mkdir: the staging directory; fsync 2: a staged file; rename: the exchange.
    const Case cases[] = {{Call::mkdir, 1, Step::create_staging},
                          {Call::fsync, 2, Step::sync_temp},
                          {Call::fchmod, 1, Step::create_staging},
                          {Call::rename, 1, Step::exchange}};
    for (const Case& c : cases) {
        CAPTURE(platform::call_name(c.call));
        ScratchDir scratch;
        const fs::path dir = scratch / "site";
        write_generation(dir, "old");
        ScopedUmask mask(022);
        fs::permissions(dir, fs::perms(0750));  // so that finish_mode must chmod
        Error e = [&] {
            ScopedFault fault(c.call, EIO, c.nth);
            return swap_error(dir, populate_with("new"));
        }();
        CHECK(e.step_id() == c.step);
        CHECK(e.code() == std::errc::io_error);
        CHECK_FALSE(is_swapped(e.code()));
        check_untouched(scratch, dir);
    }
}

TEST_CASE("a DIR that cannot be inspected fails at resolve target, with nothing staged") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    Error e = [&] {
        // As in a parent without search permission: every stat refused.
        ScopedFault fault(Call::fstatat, EACCES, 0);
        return swap_error(dir, populate_with("new"));
    }();
    CHECK(e.step_id() == Step::resolve);
    CHECK(e.code() == std::errc::permission_denied);
    check_untouched(scratch, dir);
}

TEST_CASE("EIO or ENOSPC at any system call of a swap: the outcome its error states") {
    for (bool symlink_form : {false, true}) {
        for (int error : {EIO, ENOSPC}) {
            for (int k = 1;; ++k) {
                CAPTURE(symlink_form);
                CAPTURE(error);
                CAPTURE(k);
                ScratchDir scratch;
                const fs::path dir = scratch / "site";
                DirectorySwapOptions options;
                options.symlink_form = symlink_form;
                replace_directory(dir, populate_with("old"), options);
                std::error_code ec;
                bool fired = false;
                {
                    int seen = 0;
                    platform::FaultScope plan([&](Call) {
                        if (++seen != k) return 0;
                        fired = true;
                        return error;
                    });

                    replace_directory(dir, populate_with("new"), options, ec);
                }
                CAPTURE(ec.message());
                const bool swapped = !ec || is_swapped(ec);
                CHECK(tree_generation(dir) == (swapped ? "new" : "old"));
                // What is left beside DIR (besides the symlink form's current version): at
                // most the old tree a failed removal names.
                const std::size_t left =
                    swap_leftovers(scratch.path()).size() - (symlink_form ? 1 : 0);
                CHECK(left <= (step_of(ec) == Step::remove_old_tree ? 1u : 0u));
                CHECK(remove_swap_leftovers(dir) == int(left));
                CHECK(tree_generation(dir) == (swapped ? "new" : "old"));
                if (!fired) break;
            }
        }
    }
}

TEST_CASE("where RENAME_EXCHANGE is refused the swap fails with EINVAL and says so") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    Error e = [&] {
        ScopedFault fault(Call::rename, EINVAL);
        return swap_error(dir, populate_with("new"));
    }();
    CHECK(e.step_id() == Step::exchange);
    CHECK(e.code() == std::errc::invalid_argument);
    CHECK(e.step().find("RENAME_EXCHANGE") != std::string::npos);
    check_untouched(scratch, dir);
}

TEST_CASE("every staged file and directory is synced before the exchange, the parent after it") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    CallRecorder recorder;
    replace_directory(dir, populate_with("new", 4));  // 5 files, 2 directories
    const auto& calls = recorder.calls();
    const auto rename = std::find(calls.begin(), calls.end(), Call::rename);
    REQUIRE(rename != calls.end());
    CHECK(std::count(calls.begin(), rename, Call::fsync) == 7);
    CHECK(std::count(rename, calls.end(), Call::fsync) == 1);
}

TEST_CASE("Durability::none makes no sync and Durability::data fdatasyncs the files") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    {
        CallRecorder recorder;
        DirectorySwapOptions options;
        options.durability = Durability::none;
        replace_directory(dir, populate_with("new"), options);
        CHECK(recorder.count(Call::fsync) == 0);
        CHECK(recorder.count(Call::fdatasync) == 0);
    }
    CallRecorder recorder;
    DirectorySwapOptions options;
    options.durability = Durability::data;
    replace_directory(dir, populate_with("newer"), options);
    CHECK(recorder.count(Call::fdatasync) == 4);
    CHECK(recorder.count(Call::fsync) == 3);  // two directories and the parent
    CHECK(tree_generation(dir) == "newer");
}

TEST_CASE("a failed parent sync after the exchange reports the swap done but not durable") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    Error e = [&] {
        ScopedFault fault(Call::fsync, EIO, 7);  // 4 files and 2 directories, then the parent
        return swap_error(dir, populate_with("new"));
    }();
    CHECK(e.step_id() == Step::directory_sync);
    CHECK(e.code() == errc::replaced_not_durable);
    CHECK(is_swapped(e.code()));
    CHECK(tree_generation(dir) == "new");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE(
    "an old tree that cannot be removed is reported as swapped and removed by the next swap") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    Error e = [&] {
        ScopedFault fault(Call::unlink, EIO, 1);
        return swap_error(dir, populate_with("new"));
    }();
    CHECK(e.step_id() == Step::remove_old_tree);
    CHECK(is_swapped(e.code()));
    CHECK(tree_generation(dir) == "new");
    REQUIRE(swap_leftovers(scratch.path()).size() == 1);
    CHECK(tree_generation(scratch / swap_leftovers(scratch.path()).front()) == "old");
    replace_directory(dir, populate_with("newer"));
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE("a symlink or a file at DIR is refused, untouched") {
    ScratchDir scratch;
    write_generation(scratch / "real", "old");
    fs::create_directory_symlink("real", scratch / "link");
    write_file(scratch / "file", "data");
    Error e = swap_error(scratch / "link", populate_with("new"));
    CHECK(e.code() == std::errc::too_many_symbolic_link_levels);
    CHECK(e.step_id() == Step::exchange);
    e = swap_error(scratch / "file", populate_with("new"));
    CHECK(e.code() == std::errc::not_a_directory);
    CHECK(fs::read_symlink(scratch / "link") == "real");
    CHECK(read_file(scratch / "file") == "data");
    CHECK(tree_generation(scratch / "real") == "old");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"file", "link", "real"});
}

TEST_CASE("a symlink in the old tree is never followed when the old tree is removed") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    write_generation(scratch / "outside", "precious");
    fs::create_directory_symlink(scratch / "outside", dir / "escape");
    fs::create_symlink(scratch / "outside" / "f0", dir / "file-link");
    replace_directory(dir, populate_with("new"));
    CHECK(tree_generation(scratch / "outside") == "precious");
    CHECK(list_dir(scratch / "outside") == std::vector<std::string>{"f0", "f1", "f2", "sub"});
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"outside", "site"});
}

TEST_CASE("copy_current seeds the staging directory with DIR's content, symlinks as symlinks") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    fs::create_symlink("f0", dir / "alias");
    fs::permissions(dir / "f1", fs::perms(0600));
    DirectorySwapOptions options;
    options.copy_current = true;
    replace_directory(
        dir,
        [](const std::string& staging) {
            CHECK(read_file(fs::path(staging) / "sub" / "inner") == "old");
            write_file(fs::path(staging) / "f2", "edited");
        },
        options);
    CHECK(read_file(dir / "f0") == "old");
    CHECK(read_file(dir / "f2") == "edited");
    CHECK(fs::read_symlink(dir / "alias") == "f0");
    CHECK(file_mode(dir / "f1") == 0600);
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE("the symlink form switches DIR to a new version and removes only a version of ours") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    DirectorySwapOptions options;
    options.symlink_form = true;
    replace_directory(dir, populate_with("one"), options);  // missing DIR: becomes a link
    REQUIRE(fs::is_symlink(dir));
    const fs::path first = fs::read_symlink(dir);
    CHECK(first.string().rfind(".site.atomfile-swap-", 0) == 0);
    CHECK(tree_generation(dir) == "one");
    replace_directory(dir, populate_with("two"), options);
    CHECK(tree_generation(dir) == "two");
    CHECK(fs::read_symlink(dir) != first);
    CHECK(list_dir(scratch.path()).size() == 2);  // the link and its version

    write_generation(scratch / "releases" / "41", "mine");
    fs::remove(dir);
    fs::create_directory_symlink("releases/41", dir);
    replace_directory(dir, populate_with("three"), options);
    CHECK(tree_generation(dir) == "three");
    CHECK(tree_generation(scratch / "releases" / "41") == "mine");
}

TEST_CASE("the next swap leaves a running swap's staging directory alone") {
    ScratchDir scratch;
    const fs::path dir = scratch / "site";
    write_generation(dir, "old");
    replace_directory(dir, [&](const std::string& staging) {
        replace_directory(dir, populate_with("inner"));
        CHECK(fs::exists(staging));
        write_generation(staging, "outer");
    });
    CHECK(tree_generation(dir) == "outer");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
}

TEST_CASE("a swap killed at any system call leaves DIR whole, and the next swap cleans up") {
    int outcomes[2] = {0, 0};  // old, new
    for (int k = 1;; ++k) {
        ScratchDir scratch;
        const fs::path dir = scratch / "site";
        write_generation(dir, "old");
        const int status =
            run_killed_at_call(k, [&] { replace_directory(dir, populate_with("new")); });
        const std::string seen = tree_generation(dir);
        CAPTURE(k);
        REQUIRE((seen == "old" || seen == "new"));
        ++outcomes[seen == "new"];
        remove_swap_leftovers(dir);
        CHECK(list_dir(scratch.path()) == std::vector<std::string>{"site"});
        CHECK(tree_generation(dir) == seen);
        if (WIFEXITED(status)) {
            CHECK(WEXITSTATUS(status) == 0);
            CHECK(seen == "new");
            break;
        }
        REQUIRE(k < 500);
    }
    CHECK(outcomes[0] > 0);
    CHECK(outcomes[1] > 0);
}

TEST_CASE("a symlink-form swap killed at any system call leaves DIR one whole version") {
    for (int k = 1;; ++k) {
        ScratchDir scratch;
        const fs::path dir = scratch / "site";
        DirectorySwapOptions options;
        options.symlink_form = true;
        replace_directory(dir, populate_with("old"), options);
        const int status =
            run_killed_at_call(k, [&] { replace_directory(dir, populate_with("new"), options); });
        const std::string seen = tree_generation(dir);
        CAPTURE(k);
        REQUIRE((seen == "old" || seen == "new"));
        remove_swap_leftovers(dir);
        CHECK(list_dir(scratch.path()).size() == 2);
        CHECK(tree_generation(dir) == seen);
        if (WIFEXITED(status)) break;
        REQUIRE(k < 500);
    }
}
