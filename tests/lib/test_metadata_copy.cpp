// What the new file inherits from the old one: mode, owner, xattrs; and the hard-link policy.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("the replaced file keeps the old mode, setuid and sticky bits included") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    REQUIRE(::chmod((dir / "f").c_str(), 04751) == 0);
    write_atomic((dir / "f").string(), "new");
    CHECK(file_mode(dir / "f") == 04751);
}

TEST_CASE("keep_mode false gives a replaced file the new-file mode") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    fs::permissions(dir / "f", fs::perms(0600));
    ReplaceOptions options;
    options.keep_mode = false;
    options.mode = 0644;
    write_atomic((dir / "f").string(), "new", options);
    CHECK(file_mode(dir / "f") == 0644);
}

TEST_CASE("the replaced file keeps its owner and group") {
    if (!running_as_root()) {
        MESSAGE("skipped: changing a file's owner needs root");
        return;
    }
    ScratchDir dir;
    write_file(dir / "f", "old");
    REQUIRE(::chown((dir / "f").c_str(), 1234, 5678) == 0);
    write_atomic((dir / "f").string(), "new");
    FileSnapshot after = snapshot(dir / "f");
    CHECK(after.uid == 1234);
    CHECK(after.gid == 5678);
    ReplaceOptions options;
    options.keep_owner = false;
    write_atomic((dir / "f").string(), "newer", options);
    CHECK(snapshot(dir / "f").uid == ::geteuid());
}

TEST_CASE("the replaced file keeps its extended attributes unless told not to") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    if (!set_user_xattr(dir / "f", "user.origin", "kept value")) {
        MESSAGE("skipped: the scratch file system has no user xattrs");
        return;
    }
    set_user_xattr(dir / "f", "user.empty", "");
    write_atomic((dir / "f").string(), "new");
    auto xattrs = read_xattrs(dir / "f");
    CHECK(xattrs["user.origin"] == "kept value");
    CHECK(xattrs.count("user.empty") == 1);
    ReplaceOptions options;
    options.keep_xattrs = false;
    write_atomic((dir / "f").string(), "newer", options);
    CHECK(read_xattrs(dir / "f").count("user.origin") == 0);
}

namespace {

// A POSIX access ACL in the kernel's xattr encoding (version 2, then {tag, perm, id} entries
// sorted by tag): owner rw, user 1234 r, group r, mask r, other r.
std::string access_acl() {
    struct Entry {
        std::uint16_t tag, perm;
        std::uint32_t id;
    };
    const std::uint32_t none = 0xffffffff;
    const Entry entries[] = {
        {0x01, 6, none}, {0x02, 4, 1234}, {0x04, 4, none}, {0x10, 4, none}, {0x20, 4, none}};
    const std::uint32_t version = 2;
    std::string acl(reinterpret_cast<const char*>(&version), sizeof version);
    for (const Entry& e : entries) {
        acl.append(reinterpret_cast<const char*>(&e.tag), 2);
        acl.append(reinterpret_cast<const char*>(&e.perm), 2);
        acl.append(reinterpret_cast<const char*>(&e.id), 4);
    }
    return acl;
}

}  // namespace

TEST_CASE("a POSIX ACL survives the replace") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const std::string acl = access_acl();
    if (::setxattr((dir / "f").c_str(), "system.posix_acl_access", acl.data(), acl.size(), 0) !=
        0) {
        MESSAGE("skipped: the scratch file system does not take POSIX ACLs");
        return;
    }
    write_atomic((dir / "f").string(), "new");
    CHECK(read_xattrs(dir / "f")["system.posix_acl_access"] == acl);
    CHECK(file_mode(dir / "f") == 0644);  // group bits show the ACL mask
}

TEST_CASE(
    "by default a hard-linked target's name gets the new inode, the other name keeps the old") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    fs::create_hard_link(dir / "f", dir / "other");
    write_atomic((dir / "f").string(), "new");
    CHECK(read_file(dir / "f") == "new");
    CHECK(read_file(dir / "other") == "old");
}

TEST_CASE("HardLinkPolicy::refuse fails before anything is written") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    fs::create_hard_link(dir / "f", dir / "other");
    ReplaceOptions options;
    options.hard_links = HardLinkPolicy::refuse;
    try {
        write_atomic((dir / "f").string(), "new", options);
        FAIL("a hard-linked target was replaced");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::too_many_links);
        CHECK(e.step() == "replace a target that has other hard links");
    }
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "other"});
    fs::remove(dir / "other");
    write_atomic((dir / "f").string(), "new", options);  // a single link is fine
    CHECK(read_file(dir / "f") == "new");
}

TEST_CASE("create_only refuses an existing target and creates a missing one") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    ReplaceOptions options;
    options.create_only = true;
    std::error_code ec;
    write_atomic((dir / "f").string(), "new", options, ec);
    CHECK(ec == std::errc::file_exists);
    CHECK(read_file(dir / "f") == "old");
    write_atomic((dir / "g").string(), "new", options);
    CHECK(read_file(dir / "g") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "g"});
}
