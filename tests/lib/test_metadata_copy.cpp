// What the new file inherits from the old one: mode, owner, xattrs; and the hard-link policy.
#include <doctest/doctest.h>
#include <grp.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <optional>

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

namespace {

// A root-owned target in a directory anyone may write, as another user finds it in a shared,
// non-sticky directory.
void make_foreign_target(const ScratchDir& dir) {
    REQUIRE(::chmod(dir.path().c_str(), 0777) == 0);
    write_file(dir / "f", "old");
    REQUIRE(::chown((dir / "f").c_str(), 1234, 5678) == 0);
}

// Runs body as uid/gid 65534 in a child and returns its exit status (body's return value).
template <typename Body>
int as_nobody(Body body) {
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgroups(0, nullptr) != 0 || ::setresgid(65534, 65534, 65534) != 0 ||
            ::setresuid(65534, 65534, 65534) != 0)
            ::_exit(99);
        ::_exit(body());
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 100;
}

// Replaces "new" over the target of make_foreign_target, fchown failing with error (EPERM: not
// permitted; EINVAL: an owner the user namespace does not map): what was reported.
std::optional<OwnerNotKept> replace_with_owner_refused(const ScratchDir& dir, int error) {
    make_foreign_target(dir);
    std::optional<OwnerNotKept> report;
    ReplaceOptions options;
    options.on_owner_not_kept = [&](const OwnerNotKept& r) { report = r; };
    ScopedFault refused(platform::Call::fchown, error);
    write_atomic((dir / "f").string(), "new", options);
    return report;
}

}  // namespace

TEST_CASE("an owner the process may not give is reported, and the replace goes on") {
    if (!running_as_root()) {
        MESSAGE("skipped: making a file owned by someone else needs root");
        return;
    }
    ScratchDir dir;
    std::optional<OwnerNotKept> report = replace_with_owner_refused(dir, EPERM);
    CHECK(read_file(dir / "f") == "new");
    REQUIRE(report.has_value());
    CHECK(report->path == (dir / "f").string());
    CHECK(report->old_uid == 1234);
    CHECK(report->old_gid == 5678);
    CHECK(report->new_uid == ::geteuid());
    CHECK_FALSE(report->owner_kept);
    CHECK(report->group_kept);  // the group alone could still be given
    CHECK(report->new_gid == 5678);
    CHECK(snapshot(dir / "f").uid == ::geteuid());
}

TEST_CASE("an owner the user namespace does not map is reported as not kept, like EPERM") {
    if (!running_as_root()) {
        MESSAGE("skipped: making a file owned by someone else needs root");
        return;
    }
    // fchown's EINVAL: root of a rootless container facing a file of a user outside it.
    ScratchDir dir;
    std::optional<OwnerNotKept> report = replace_with_owner_refused(dir, EINVAL);
    CHECK(read_file(dir / "f") == "new");
    REQUIRE(report.has_value());
    CHECK_FALSE(report->owner_kept);
    CHECK(report->old_uid == 1234);
    CHECK(snapshot(dir / "f").uid == ::geteuid());
    ReplaceOptions options;
    options.owner_policy = OwnerPolicy::strict;
    write_file(dir / "f", "old");
    ::chown((dir / "f").c_str(), 1234, 5678);
    ScopedFault unmapped(platform::Call::fchown, EINVAL);
    std::error_code ec;
    write_atomic((dir / "f").string(), "newer", options, ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("another user replacing a root-owned file is told owner and group were not kept") {
    if (!running_as_root()) {
        MESSAGE("skipped: switching to another user needs root");
        return;
    }
    ScratchDir dir;
    make_foreign_target(dir);
    int status = as_nobody([&] {
        std::optional<OwnerNotKept> report;
        ReplaceOptions options;
        options.on_owner_not_kept = [&](const OwnerNotKept& r) { report = r; };
        std::error_code ec;
        write_atomic((dir / "f").string(), "new", options, ec);
        if (ec) return 1;
        if (!report || report->owner_kept || report->group_kept) return 2;
        return report->new_uid == 65534 && report->new_gid == 65534 ? 0 : 3;
    });
    CHECK(status == 0);
    CHECK(read_file(dir / "f") == "new");
    CHECK(snapshot(dir / "f").uid == 65534);
}

TEST_CASE("OwnerPolicy::strict refuses before the rename: content and owner stay") {
    if (!running_as_root()) {
        MESSAGE("skipped: switching to another user needs root");
        return;
    }
    ScratchDir dir;
    make_foreign_target(dir);
    int status = as_nobody([&] {
        ReplaceOptions options;
        options.owner_policy = OwnerPolicy::strict;
        bool told = false;
        options.on_owner_not_kept = [&](const OwnerNotKept&) { told = true; };
        try {
            write_atomic((dir / "f").string(), "new", options);
        } catch (const Error& e) {
            bool expected = e.code() == std::errc::operation_not_permitted &&
                            e.step() == "copy owner to temp file" &&
                            e.path() == (dir / "f").string();
            return expected && !told ? 0 : 2;
        }
        return 1;
    });
    CHECK(status == 0);
    FileSnapshot after = snapshot(dir / "f");
    CHECK(after.content == "old");
    CHECK(after.uid == 1234);
    CHECK(after.gid == 5678);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("OwnerPolicy::ignore and keep_owner = false give the caller's owner and report nothing") {
    if (!running_as_root()) {
        MESSAGE("skipped: changing a file's owner needs root");
        return;
    }
    ScratchDir dir;
    make_foreign_target(dir);
    int reports = 0;
    ReplaceOptions options;
    options.on_owner_not_kept = [&](const OwnerNotKept&) { ++reports; };
    options.owner_policy = OwnerPolicy::ignore;
    write_atomic((dir / "f").string(), "new", options);
    CHECK(snapshot(dir / "f").uid == ::geteuid());
    REQUIRE(::chown((dir / "f").c_str(), 1234, 5678) == 0);
    options.owner_policy = OwnerPolicy::strict;  // keep_owner = false wins over the policy
    options.keep_owner = false;
    write_atomic((dir / "f").string(), "newer", options);
    CHECK(read_file(dir / "f") == "newer");
    CHECK(snapshot(dir / "f").uid == ::geteuid());
    options.keep_owner = true;
    options.owner_policy = OwnerPolicy::keep_if_permitted;
    REQUIRE(::chown((dir / "f").c_str(), 1234, 5678) == 0);
    write_atomic((dir / "f").string(), "kept", options);  // root may keep it: nothing to report
    CHECK(snapshot(dir / "f").uid == 1234);
    CHECK(reports == 0);
}

TEST_CASE("an exception from on_owner_not_kept fails the replace and leaves the target") {
    if (!running_as_root()) {
        MESSAGE("skipped: making a file owned by someone else needs root");
        return;
    }
    ScratchDir dir;
    make_foreign_target(dir);
    ReplaceOptions options;
    options.on_owner_not_kept = [](const OwnerNotKept&) {
        throw std::runtime_error("owner would change");
    };
    ScopedFault refused(platform::Call::fchown, EPERM);
    CHECK_THROWS_WITH(write_atomic((dir / "f").string(), "new", options), "owner would change");
    CHECK(read_file(dir / "f") == "old");
    CHECK(snapshot(dir / "f").uid == 1234);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
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

TEST_CASE("a symlink to a FIFO replaced itself is never opened in a way that waits for a writer") {
    ScratchDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    fs::create_symlink("fifo", dir / "link");
    pid_t pid = ::fork();
    if (pid == 0) {
        ReplaceOptions options;
        options.follow_symlinks = false;
        std::error_code ec;
        AtomicFile file((dir / "link").string(), options, ec);
        if (ec || !file.read_original().empty()) ::_exit(1);
        file.write("new");
        file.commit(ec);
        ::_exit(ec ? 2 : 0);
    }
    int status = -1;
    for (int i = 0; i < 500 && ::waitpid(pid, &status, WNOHANG) == 0; ++i) ::usleep(10000);
    if (::waitpid(pid, &status, WNOHANG) == 0) {
        ::kill(pid, SIGKILL);
        ::waitpid(pid, &status, 0);
        FAIL("opening the link's content waited for a writer of the FIFO");
    }
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(fs::is_regular_file(fs::symlink_status(dir / "link")));
    CHECK(read_file(dir / "link") == "new");
}
