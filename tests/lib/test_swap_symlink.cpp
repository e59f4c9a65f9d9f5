#include <doctest/doctest.h>

#include <sys/wait.h>

#include <algorithm>
#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/swap.hpp"
#include "lib/swap_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;

namespace {

Error link_error(const fs::path& link, const std::string& target,
                 const SymlinkOptions& options = {}) {
    try {
        replace_symlink(link, target, options);
    } catch (const Error& e) {
        return e;
    }
    FAIL("the switch succeeded");
    return Error(std::error_code(), "", "");
}

// A deploy layout: releases/41 and releases/42, current -> releases/41.
void make_releases(const ScratchDir& scratch) {
    write_generation(scratch / "releases" / "41", "41");
    write_generation(scratch / "releases" / "42", "42");
    fs::create_directory_symlink("releases/41", scratch / "current");
}

}  // namespace

TEST_CASE("replace_symlink creates a link, then switches it, leaving nothing else behind") {
    ScratchDir scratch;
    make_releases(scratch);
    fs::remove(scratch / "current");
    replace_symlink(scratch / "current", "releases/41");
    CHECK(fs::read_symlink(scratch / "current") == "releases/41");
    replace_symlink((scratch / "current").string() + "/", "releases/42");
    CHECK(fs::read_symlink(scratch / "current") == "releases/42");
    CHECK(tree_generation(scratch / "current") == "42");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current", "releases"});
}

TEST_CASE("the link's directory is synced after the rename, and not with Durability::none") {
    ScratchDir scratch;
    make_releases(scratch);
    {
        CallRecorder recorder;
        replace_symlink(scratch / "current", "releases/42");
        const auto& calls = recorder.calls();
        const auto rename = std::find(calls.begin(), calls.end(), Call::rename);
        REQUIRE(rename != calls.end());
        CHECK(std::count(rename, calls.end(), Call::fsync) == 1);
    }
    CallRecorder recorder;
    SymlinkOptions options;
    options.durability = Durability::none;
    replace_symlink(scratch / "current", "releases/41", options);
    CHECK(recorder.count(Call::fsync) == 0);
    CHECK(fs::read_symlink(scratch / "current") == "releases/41");
}

TEST_CASE("a directory or a file at LINK is refused and left untouched") {
    ScratchDir scratch;
    write_generation(scratch / "dir", "old");
    write_file(scratch / "file", "data");
    Error e = link_error(scratch / "dir", "elsewhere");
    CHECK(e.code() == std::errc::is_a_directory);
    CHECK(e.step_id() == Step::rename_link);
    e = link_error(scratch / "file", "elsewhere");
    CHECK(e.code() == std::errc::file_exists);
    CHECK(tree_generation(scratch / "dir") == "old");
    CHECK(read_file(scratch / "file") == "data");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"dir", "file"});
}

TEST_CASE("replace_other replaces a file, and a directory without following its symlinks") {
    ScratchDir scratch;
    write_generation(scratch / "outside", "precious");
    write_generation(scratch / "dir", "old");
    fs::create_directory_symlink(scratch / "outside", scratch / "dir" / "escape");
    write_file(scratch / "file", "data");
    SymlinkOptions options;
    options.replace_other = true;
    replace_symlink(scratch / "dir", "outside", options);
    replace_symlink(scratch / "file", "outside", options);
    CHECK(fs::read_symlink(scratch / "dir") == "outside");
    CHECK(fs::read_symlink(scratch / "file") == "outside");
    CHECK(tree_generation(scratch / "outside") == "precious");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"dir", "file", "outside"});
}

TEST_CASE("a failed temp link or rename changes nothing and leaves no temp link") {
    for (Call call : {Call::symlink, Call::rename}) {
        CAPTURE(platform::call_name(call));
        ScratchDir scratch;
        make_releases(scratch);
        Error e = [&] {
            ScopedFault fault(call, EACCES);
            return link_error(scratch / "current", "releases/42");
        }();
        CHECK(e.step_id() == (call == Call::symlink ? Step::create_temp_link : Step::rename_link));
        CHECK(e.code() == std::errc::permission_denied);
        CHECK_FALSE(is_swapped(e.code()));
        CHECK(fs::read_symlink(scratch / "current") == "releases/41");
        CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current", "releases"});
    }
}

TEST_CASE("a failed directory sync reports the link switched but not durable") {
    ScratchDir scratch;
    make_releases(scratch);
    Error e = [&] {
        ScopedFault fault(Call::fsync, EIO);
        return link_error(scratch / "current", "releases/42");
    }();
    CHECK(e.step_id() == Step::directory_sync);
    CHECK(e.code() == errc::replaced_not_durable);
    CHECK(is_swapped(e.code()));
    CHECK(fs::read_symlink(scratch / "current") == "releases/42");
}

TEST_CASE("a LINK that cannot be inspected fails at resolve target, with no temp link made") {
    ScratchDir scratch;
    make_releases(scratch);
    const fs::path link = scratch / "current";
    Error e = [&] {
        ScopedFault fault(Call::fstatat, EACCES, 0);  // as in a parent we may not search
        return link_error(link, "releases/42");
    }();
    CHECK(e.step_id() == Step::resolve);
    CHECK(e.code() == std::errc::permission_denied);
    CHECK(fs::read_symlink(link) == "releases/41");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current", "releases"});
}

TEST_CASE("a planted temp name is skipped, never replaced") {
    ScratchDir scratch;
    make_releases(scratch);
    // A file: not a leftover of ours (those are symlinks and directories), so it stays there.
    const std::string planted = ".current.atomfile-link-planted000";
    write_file(scratch / planted, "planted");
    {
        ScriptedNames names({"planted000"});
        replace_symlink(scratch / "current", "releases/42");
        CHECK(names.drawn() == 2);
    }
    CHECK(fs::read_symlink(scratch / "current") == "releases/42");
    CHECK(read_file(scratch / planted) == "planted");
}

TEST_CASE("leftover temp links of ours are removed by the next switch") {
    ScratchDir scratch;
    make_releases(scratch);
    fs::create_symlink("releases/42", scratch / ".current.atomfile-link-abcdefghij");
    replace_symlink(scratch / "current", "releases/42");
    CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current", "releases"});
}

TEST_CASE("a switch killed at any system call leaves LINK old or new, and the next one cleans up") {
    for (int k = 1;; ++k) {
        ScratchDir scratch;
        make_releases(scratch);
        const int status =
            run_killed_at_call(k, [&] { replace_symlink(scratch / "current", "releases/42"); });
        const std::string seen = fs::read_symlink(scratch / "current").string();
        CAPTURE(k);
        REQUIRE((seen == "releases/41" || seen == "releases/42"));
        replace_symlink(scratch / "current", seen);
        CHECK(list_dir(scratch.path()) == std::vector<std::string>{"current", "releases"});
        if (WIFEXITED(status)) {
            CHECK(seen == "releases/42");
            break;
        }
        REQUIRE(k < 100);
    }
}

TEST_CASE("EIO at any system call of a switch: LINK as its error says, no temp link left") {
    for (bool replace_directory_at_link : {false, true}) {
        for (int k = 1;; ++k) {
            CAPTURE(replace_directory_at_link);
            CAPTURE(k);
            ScratchDir scratch;
            const fs::path link = scratch / "current";
            if (replace_directory_at_link)
                fs::create_directories(link / "sub");
            else
                fs::create_directory_symlink("releases/41", link);
            SymlinkOptions options;
            options.replace_other = true;
            std::error_code ec;
            bool fired = false;
            {
                int seen = 0;
                platform::FaultScope plan([&](platform::Call) {
                    if (++seen != k) return 0;
                    fired = true;
                    return EIO;
                });
                replace_symlink(link, "releases/42", options, ec);
            }
            CAPTURE(ec.message());
            if (!ec || is_swapped(ec)) {
                CHECK(fs::read_symlink(link) == "releases/42");
            } else if (replace_directory_at_link) {
                CHECK(fs::is_directory(fs::symlink_status(link)));
            } else {
                CHECK(fs::read_symlink(link) == "releases/41");
            }
            std::size_t extra = list_dir(scratch.path()).size() - 1;
            // Only a replaced directory whose removal failed may stay, at a temp link's name.
            CHECK(extra <= (step_of(ec) == Step::remove_old_tree ? 1u : 0u));
            if (!fired) break;
        }
    }
}
