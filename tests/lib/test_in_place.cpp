// The in-place fallback: a file that cannot be renamed over is overwritten in place, and a crash
// is undone from the undo record.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <string>
#include <vector>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

const ReplaceOptions fallback = ReplaceOptions().with_in_place_fallback(true);

std::uint64_t inode_of(const fs::path& path) {
    struct stat status {};
    REQUIRE(::stat(path.c_str(), &status) == 0);
    return status.st_ino;
}

}  // namespace

TEST_CASE("a rename refused with EBUSY overwrites the file in place, keeping its inode") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old content, longer than the new");
    const std::uint64_t inode = inode_of(dir / "app.conf");
    {
        ScopedFault busy(platform::Call::rename, EBUSY);
        CHECK(write_atomic((dir / "app.conf").string(), "new", fallback));
        CHECK(busy.fired());
    }
    CHECK(read_file(dir / "app.conf") == "new");
    CHECK(inode_of(dir / "app.conf") == inode);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"app.conf"});  // no record, no temp
}

TEST_CASE("without the fallback a rename refused with EBUSY fails and the file keeps its content") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old");
    ScopedFault busy(platform::Call::rename, EBUSY);
    try {
        write_atomic((dir / "app.conf").string(), "new");
        FAIL("write_atomic did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
        CHECK(e.errno_code() == std::errc::device_or_resource_busy);
    }
    CHECK(read_file(dir / "app.conf") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"app.conf"});
}

TEST_CASE("the fallback reports the refusal and the record's path before it overwrites") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old");
    std::string refused_step;
    std::string record;
    std::string content_when_told;
    auto options = ReplaceOptions(fallback).with_on_in_place_fallback(
        [&](const Error& refused, const std::string& undo_record) {
            refused_step = refused.step();
            record = undo_record;
            content_when_told = read_file(dir / "app.conf");
        });
    ScopedFault busy(platform::Call::rename, EBUSY);
    write_atomic((dir / "app.conf").string(), "new", options);
    CHECK(refused_step == "rename temp over target");
    CHECK(content_when_told == "old");
    CHECK(record.rfind((dir / ".atomfile-undo-").string(), 0) == 0);
    CHECK(record.find(std::to_string(inode_of(dir / "app.conf"))) != std::string::npos);
}

TEST_CASE("the fallback does not overwrite a file that has other hard links") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old");
    REQUIRE(::link((dir / "app.conf").c_str(), (dir / "other").c_str()) == 0);
    ScopedFault busy(platform::Call::rename, EBUSY);
    try {
        write_atomic((dir / "app.conf").string(), "new", fallback);
        FAIL("write_atomic did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::hard_links);
    }
    CHECK(read_file(dir / "app.conf") == "old");
    CHECK(read_file(dir / "other") == "old");
}

TEST_CASE("with a backup suffix the fallback does not trigger: the rename's error stands") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old");
    ReplaceOptions options = fallback;
    options.backup_suffix = "~";
    ScopedFault busy(platform::Call::rename, EBUSY, 2);  // the first rename publishes the backup
    try {
        write_atomic((dir / "app.conf").string(), "new", options);
        FAIL("write_atomic did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
    }
    CHECK(read_file(dir / "app.conf") == "old");
}

TEST_CASE("a failed overwrite keeps the record, and recovery puts the whole old content back") {
    ScratchDir dir;
    write_file(dir / "app.conf", "the old content, longer than the new one");
    {
        // The new bytes are written, but the file is not cut to their length: a mix.
        ScopedFault faults({{platform::Call::rename, EBUSY}, {platform::Call::truncate, EIO}});
        try {
            write_atomic((dir / "app.conf").string(), "NEW", fallback);
            FAIL("write_atomic did not fail");
        } catch (const Error& e) {
            CHECK(e.step_id() == Step::overwrite_in_place);
            CHECK(e.path() == (dir / "app.conf").string());
        }
    }
    CHECK(read_file(dir / "app.conf") == "NEW old content, longer than the new one");
    CHECK(list_dir(dir.path()).size() == 2);  // the file and its record
    CHECK(recover_in_place((dir / "app.conf").string()));
    CHECK(read_file(dir / "app.conf") == "the old content, longer than the new one");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"app.conf"});
    CHECK_FALSE(recover_in_place((dir / "app.conf").string()));
}

TEST_CASE("the next replace with the fallback undoes an interrupted overwrite before reading") {
    ScratchDir dir;
    write_file(dir / "count", "41 and some old text");
    {
        ScopedFault faults({{platform::Call::rename, EBUSY}, {platform::Call::truncate, EIO}});
        CHECK_THROWS_AS(write_atomic((dir / "count").string(), "1", fallback), Error);
    }
    std::string seen;
    ScopedFault busy(platform::Call::rename, EBUSY);
    safe_update((dir / "count").string(),
                [&](const std::string& old) {
                    seen = old;
                    return std::string("42");
                },
                fallback);
    CHECK(seen == "41 and some old text");
    CHECK(read_file(dir / "count") == "42");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"count"});
}

TEST_CASE(
    "a crash at any system call of an in-place overwrite leaves, after recovery, old or new") {
    const std::string old_content(3000, 'o');
    const std::string new_content(1000, 'n');
    int restored = 0;
    int finished_at = 0;
    for (int k = 1; k < 200 && finished_at == 0; ++k) {
        ScratchDir dir;
        write_file(dir / "f", old_content);
        int status = run_killed_at_call(k, [&] {
            ScopedFault busy(platform::Call::rename, EBUSY, 0);
            write_atomic((dir / "f").string(), new_content, fallback);
        });
        if (WIFEXITED(status)) {
            REQUIRE(WEXITSTATUS(status) == 0);
            finished_at = k;
        }
        if (recover_in_place((dir / "f").string())) ++restored;
        remove_orphaned_temps(dir.path().string(), std::chrono::seconds(0));
        const std::string now = read_file(dir / "f");
        CAPTURE(k);
        const std::vector<std::string> left = list_dir(dir.path());
        CAPTURE(left.front());
        CHECK((now == old_content || now == new_content));
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    }
    CHECK(finished_at > 0);
    CHECK(restored > 0);  // some kill points fell inside the overwrite
}

TEST_CASE(
    "a temp refused by the directory is staged in the undo directory, then written in place") {
    ScratchDir dir;
    ScratchDir undo;
    write_file(dir / "app.conf", "old");
    const std::uint64_t inode = inode_of(dir / "app.conf");
    ReplaceOptions options = fallback;
    options.undo_directory = undo.path().string();
    {
        ScopedFault refused(platform::Call::create_anonymous, EACCES);
        write_atomic((dir / "app.conf").string(), "new", options);
        CHECK(refused.fired());
    }
    CHECK(read_file(dir / "app.conf") == "new");
    CHECK(inode_of(dir / "app.conf") == inode);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"app.conf"});
    CHECK(list_dir(undo.path()).empty());
}

TEST_CASE("a temp refused by the directory without an undo directory fails as before") {
    ScratchDir dir;
    write_file(dir / "app.conf", "old");
    ScopedFault refused(platform::Call::create_anonymous, EACCES);
    try {
        write_atomic((dir / "app.conf").string(), "new", fallback);
        FAIL("write_atomic did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::create_temp);
    }
    CHECK(read_file(dir / "app.conf") == "old");
}

TEST_CASE(
    "ENOSPC or EIO at any call of a fallback, then recovery: what the error said, nothing left") {
    const std::string old_text(300000, 'o'), new_text(200000, 'n');
    for (int error : {ENOSPC, EIO}) {
        for (int k = 1;; ++k) {
            CAPTURE(error);
            CAPTURE(k);
            ScratchDir dir;
            const fs::path file = dir / "app.conf";
            write_file(file, old_text);
            int seen = 0, renames = 0;
            bool fired = false;
            std::error_code failed;
            {
                // The target's rename is refused as a bind mount refuses it; the k-th call fails.
                platform::FaultScope plan([&](platform::Call call) {
                    if (call == platform::Call::rename && ++renames == 1) return EBUSY;
                    if (++seen != k) return 0;
                    fired = true;
                    return error;
                });
                write_atomic(file.string(), new_text, fallback, failed);
            }
            std::error_code ec;
            recover_in_place(file.string(), fallback, ec);
            CHECK_FALSE(ec);
            // Success, or "replaced, durability unknown": new; any other error: old.
            const bool replaced = !failed || step_of(failed) == Step::directory_sync;
            CAPTURE(failed.message());
            CHECK(read_file(file) == (replaced ? new_text : old_text));
            // A temp whose unlink failed is left for remove_orphaned_temps; never a record.
            for (const std::string& name : list_dir(dir.path()))
                CHECK((name == "app.conf" || name.rfind(".app.conf.atomfile-", 0) == 0));
            if (!fired) break;
        }
    }
}
