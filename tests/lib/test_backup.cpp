// Keeping the previous version as NAME~ (or another suffix): published before the replace, so
// no backup failure can cost the old content.
#include <doctest/doctest.h>
#include <unistd.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

ReplaceOptions with_backup(const std::string& suffix) {
    ReplaceOptions options;
    options.backup_suffix = suffix;
    return options;
}

// The error write_atomic reports, or a default Error when it succeeded.
Error failure_of_write(const fs::path& target, const std::string& data,
                       const ReplaceOptions& options) {
    try {
        write_atomic(target.string(), data, options);
    } catch (const Error& e) {
        return e;
    }
    return Error({}, "", "");
}

// Opening fails at once, before a temp exists: nothing was written anywhere.
void check_refused_at_open(const fs::path& target, const ReplaceOptions& options, std::errc code,
                           const fs::path& backup) {
    const std::vector<std::string> before = list_dir(target.parent_path());
    try {
        AtomicFile file(target.string(), options);
        FAIL("the backup name was accepted when the file was opened");
    } catch (const Error& e) {
        CHECK(e.code() == code);
        CHECK(e.step() == "make backup");
        CHECK(e.path() == backup.string());
        CHECK_FALSE(is_replaced(e));
    }
    CHECK(list_dir(target.parent_path()) == before);
}

}  // namespace

TEST_CASE("the previous version is kept under the backup suffix, as the same inode") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    const FileSnapshot old = snapshot(dir / "f");
    write_atomic((dir / "f").string(), "v2", with_backup("~"));
    CHECK(read_file(dir / "f") == "v2");
    FileSnapshot backup = snapshot(dir / "f~");
    CHECK(backup.content == "v1");
    CHECK(backup.inode == old.inode);  // linked, not copied
    write_atomic((dir / "f").string(), "v3", with_backup("~"));
    CHECK(read_file(dir / "f~") == "v2");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "f~"});
}

TEST_CASE("a chosen suffix is used, and a missing target makes no backup") {
    ScratchDir dir;
    write_atomic((dir / "f").string(), "v1", with_backup(".bak"));
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    write_atomic((dir / "f").string(), "v2", with_backup(".bak"));
    CHECK(read_file(dir / "f.bak") == "v1");
}

TEST_CASE("the backup is in place before the target is replaced") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    AtomicFile file((dir / "f").string(), with_backup("~"));
    file.write("v2");
    {
        // The replace itself is the second rename: the first published the backup.
        ScopedFault fault(platform::Call::rename, EIO, 2);
        CHECK_THROWS_AS(file.commit(), Error);
    }
    CHECK(read_file(dir / "f") == "v1");
    CHECK(read_file(dir / "f~") == "v1");
    CHECK(snapshot(dir / "f~").inode == snapshot(dir / "f").inode);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "f~"});
}

TEST_CASE("a backup that cannot be published aborts the replace with the target unchanged") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    const FileSnapshot before = snapshot(dir / "f");
    Error e = [&] {
        ScopedFault fault(platform::Call::rename, EACCES, 1);  // the backup's rename
        return failure_of_write(dir / "f", "v2", with_backup("~"));
    }();
    CHECK(e.code() == std::errc::permission_denied);
    CHECK(e.step() == "make backup");
    CHECK(e.path() == (dir / "f~").string());
    CHECK_FALSE(is_replaced(e));
    CHECK(snapshot(dir / "f") == before);  // one link again: the temp link is gone
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a directory at the backup name is refused before anything is written") {
    ScratchDir dir;
    write_file(dir / "g", "important");
    fs::create_directory(dir / "g~");
    check_refused_at_open(dir / "g", with_backup("~"), std::errc::is_a_directory, dir / "g~");
    Error e = failure_of_write(dir / "g", "new", with_backup("~"));
    CHECK(e.code() == std::errc::is_a_directory);
    CHECK(read_file(dir / "g") == "important");
    CHECK(fs::is_directory(dir / "g~"));
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"g", "g~"});
}

TEST_CASE("a directory appearing at the backup name after the open still leaves the target") {
    ScratchDir dir;
    write_file(dir / "g", "important");
    AtomicFile file((dir / "g").string(), with_backup("~"));
    file.write("new");
    fs::create_directory(dir / "g~");
    CHECK_THROWS_WITH_AS(file.commit(), doctest::Contains("make backup"), Error);
    CHECK(read_file(dir / "g") == "important");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"g", "g~"});
}

TEST_CASE("a suffix holding a slash is refused, whether or not the target exists") {
    ScratchDir dir;
    check_refused_at_open(dir / "new", with_backup("/x"), std::errc::invalid_argument,
                          dir / "new/x");
    write_file(dir / "g", "important");
    check_refused_at_open(dir / "g", with_backup("/x"), std::errc::invalid_argument, dir / "g/x");
    CHECK(read_file(dir / "g") == "important");
}

TEST_CASE("a suffix that makes the backup name longer than 255 bytes is refused") {
    ScratchDir dir;
    const std::string name(253, 'n');
    write_file(dir / name, "important");
    check_refused_at_open(dir / name, with_backup(".orig"), std::errc::filename_too_long,
                          dir / (name + ".orig"));
    Error e = failure_of_write(dir / name, "new", with_backup(".orig"));
    CHECK(e.code() == std::errc::filename_too_long);
    CHECK(read_file(dir / name) == "important");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{name});
    write_atomic((dir / name).string(), "new", with_backup("~~"));  // 255 bytes: fine
    CHECK(read_file(dir / (name + "~~")) == "important");
}

TEST_CASE("a backup name atomfile would take for its own temp or lock file is refused") {
    ScratchDir dir;
    write_file(dir / ".g", "important");
    check_refused_at_open(dir / ".g", with_backup(".atomfile-lock"), std::errc::invalid_argument,
                          dir / ".g.atomfile-lock");
    check_refused_at_open(dir / ".g", with_backup(".atomfile-abcdefghij"),
                          std::errc::invalid_argument, dir / ".g.atomfile-abcdefghij");
    CHECK(read_file(dir / ".g") == "important");
}

TEST_CASE("a backup name that is the symlink the target was reached through is refused") {
    ScratchDir dir;
    write_file(dir / "g", "important");
    fs::create_symlink("g", dir / "g~");
    // g~ -> g: replacing "g~" replaces g, whose backup "g~" would replace the link itself.
    check_refused_at_open(dir / "g~", with_backup("~"), std::errc::invalid_argument, dir / "g~");
    CHECK(fs::is_symlink(dir / "g~"));
    CHECK(read_file(dir / "g") == "important");
}

TEST_CASE("a backup name that is already a hard link of the target leaves no extra name") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    fs::create_hard_link(dir / "f", dir / "f~");
    write_atomic((dir / "f").string(), "v2", with_backup("~"));
    CHECK(read_file(dir / "f") == "v2");
    CHECK(read_file(dir / "f~") == "v1");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "f~"});
}

TEST_CASE(
    "another user's backup name in a sticky directory is refused before anything is written") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root to own a file another user cannot replace");
        return;
    }
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    const fs::path shared = dir / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms(01777));
    write_file(shared / "g~", "root's file");
    write_file(shared / "g", "important");
    REQUIRE(::chown((shared / "g").c_str(), 65534, 65534) == 0);
    int result = run_unprivileged([&] {
        try {
            AtomicFile file((shared / "g").string(), with_backup("~"));
            return 1;  // accepted at open
        } catch (const Error& e) {
            if (e.code() != std::errc::operation_not_permitted) return 2;
            if (e.step() != "make backup" || e.path() != (shared / "g~").string()) return 3;
        }
        std::error_code ec;
        write_atomic((shared / "g").string(), "new", with_backup("~"), ec);
        return ec == std::errc::operation_not_permitted ? 0 : 4;
    });
    CHECK(result == 0);
    CHECK(read_file(shared / "g") == "important");
    CHECK(read_file(shared / "g~") == "root's file");
    CHECK(list_dir(shared) == std::vector<std::string>{"g", "g~"});
    // Root may replace the backup name (CAP_FOWNER), and does once it opts out of
    // protected_regular, which refuses to write root's content into nobody's g.
    std::error_code ec;
    write_atomic((shared / "g").string(), "new", with_backup("~"), ec);
    CHECK(ec == std::errc::permission_denied);
    CHECK(read_file(shared / "g") == "important");
    ReplaceOptions unprotected = with_backup("~");
    unprotected.protected_regular = false;
    write_atomic((shared / "g").string(), "new", unprotected);
    CHECK(read_file(shared / "g~") == "important");
}
