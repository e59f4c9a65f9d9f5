// Keeping the previous version as NAME~ (or another suffix).
#include <doctest/doctest.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("the previous version is kept under the backup suffix, as the same inode") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    const FileSnapshot old = snapshot(dir / "f");
    ReplaceOptions options;
    options.backup_suffix = "~";
    write_atomic((dir / "f").string(), "v2", options);
    CHECK(read_file(dir / "f") == "v2");
    FileSnapshot backup = snapshot(dir / "f~");
    CHECK(backup.content == "v1");
    CHECK(backup.inode == old.inode);  // linked, not copied
    write_atomic((dir / "f").string(), "v3", options);
    CHECK(read_file(dir / "f~") == "v2");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "f~"});
}

TEST_CASE("a chosen suffix is used, and a missing target makes no backup") {
    ScratchDir dir;
    ReplaceOptions options;
    options.backup_suffix = ".bak";
    write_atomic((dir / "f").string(), "v1", options);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    write_atomic((dir / "f").string(), "v2", options);
    CHECK(read_file(dir / "f.bak") == "v1");
}

TEST_CASE("a failed replace leaves no backup link behind") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    ReplaceOptions options;
    options.backup_suffix = "~";
    {
        ScopedFault fault(platform::Call::rename, EIO, 1);  // the replace itself
        CHECK_THROWS_AS(write_atomic((dir / "f").string(), "v2", options), Error);
    }
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    CHECK(snapshot(dir / "f").links == 1);
}

TEST_CASE("a backup that cannot be put in place after the replace is reported as such") {
    ScratchDir dir;
    write_file(dir / "f", "v1");
    ReplaceOptions options;
    options.backup_suffix = "~";
    ScopedFault fault(platform::Call::rename, EACCES, 2);  // the backup's rename
    try {
        write_atomic((dir / "f").string(), "v2", options);
        FAIL("the missing backup was not reported");
    } catch (const Error& e) {
        CHECK(is_replaced(e));
        CHECK_FALSE(is_replaced_but_not_durable(e));
        CHECK(e.step() == "keep backup after replace");
    }
    CHECK(read_file(dir / "f") == "v2");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}
