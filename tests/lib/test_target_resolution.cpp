// Which file a replace acts on: symlinks followed (or not) and whose links may steer us, and the
// temp's directory.
#include <doctest/doctest.h>
#include <unistd.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "lib/temp_test_support.hpp"
#include "replace/target_resolution.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("a symlinked target has the file it points to replaced, and the link stays a link") {
    ScratchDir dir;
    fs::create_directory(dir / "real");
    fs::create_directory(dir / "links");
    write_file(dir / "real" / "config", "old");
    fs::create_symlink("../real/config", dir / "links" / "config");
    AtomicFile file((dir / "links" / "config").string());
    CHECK(file.target_path() == (dir / "links" / ".." / "real" / "config").string());
    file.write("new");
    file.commit();
    CHECK(fs::is_symlink(dir / "links" / "config"));
    CHECK(read_file(dir / "real" / "config") == "new");
    CHECK(list_dir(dir / "links") == std::vector<std::string>{"config"});
    CHECK(list_dir(dir / "real") == std::vector<std::string>{"config"});
}

TEST_CASE("a chain of links is followed to the end, absolute and relative alike") {
    ScratchDir dir;
    write_file(dir / "file", "old");
    fs::create_symlink(dir / "file", dir / "abs");
    fs::create_symlink("abs", dir / "rel");
    write_atomic((dir / "rel").string(), "new");
    CHECK(read_file(dir / "file") == "new");
    CHECK(fs::is_symlink(dir / "rel"));
    CHECK(fs::is_symlink(dir / "abs"));
}

TEST_CASE("a dangling link, followed, creates the file at its destination") {
    ScratchDir dir;
    fs::create_symlink("made", dir / "link");
    write_atomic((dir / "link").string(), "content");
    CHECK(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "made") == "content");
}

TEST_CASE("with follow_symlinks false the link itself is replaced by a regular file") {
    ScratchDir dir;
    write_file(dir / "file", "untouched");
    fs::create_symlink("file", dir / "link");
    ReplaceOptions options;
    options.follow_symlinks = false;
    write_atomic((dir / "link").string(), "replaced the link", options);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "replaced the link");
    CHECK(read_file(dir / "file") == "untouched");
}

TEST_CASE("safe_update without following reads through the link and replaces the link") {
    ScratchDir dir;
    write_file(dir / "file", "base");
    fs::create_symlink("file", dir / "link");
    ReplaceOptions options;
    options.follow_symlinks = false;
    safe_update((dir / "link").string(), [](const std::string& s) { return s + "+edit"; }, options);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "base+edit");
    CHECK(read_file(dir / "file") == "base");
}

TEST_CASE("a symlink loop fails with ELOOP and writes nothing") {
    ScratchDir dir;
    fs::create_symlink("b", dir / "a");
    fs::create_symlink("a", dir / "b");
    std::error_code ec;
    write_atomic((dir / "a").string(), "x", {}, ec);
    CHECK(ec == std::errc::too_many_symbolic_link_levels);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a bare name resolves in the working directory and a trailing slash is refused") {
    replace::Target bare = replace::resolve_target("some-file", true);
    CHECK(bare.directory == ".");
    CHECK(bare.name == "some-file");
    CHECK_THROWS_AS(replace::resolve_target("dir/", true), Error);
}

// ---- protected symlinks: the kernel's fs.protected_symlinks rule, applied by the library ------

namespace {

// A sticky, world-writable directory like /tmp (owned by root) beside a private directory
// holding root's file; the scratch directory is opened so that nobody can reach them.
struct SharedTmp {
    ScratchDir dir;
    fs::path shared = dir / "shared";
    fs::path secret = dir / "secret";
    SharedTmp() {
        fs::permissions(dir.path(), fs::perms(0755));
        fs::create_directory(shared);
        fs::permissions(shared, fs::perms(01777));
        fs::create_directory(secret);
        fs::permissions(secret, fs::perms(0755));
        write_file(secret / "victim", "root only\n");
        fs::permissions(secret / "victim", fs::perms(0600));
    }
};

// Plants a symlink as uid 65534, as the attacker would.
void plant_as_nobody(const fs::path& destination, const fs::path& link) {
    int result = run_unprivileged([&] { return ::symlink(destination.c_str(), link.c_str()); });
    REQUIRE(result == 0);
    REQUIRE(fs::is_symlink(link));
}

// The error write_atomic gives, after checking it is a refused protected symlink.
void check_refused(const fs::path& path, const fs::path& link, const ReplaceOptions& options = {}) {
    try {
        write_atomic(path.string(), "pwned\n", options);
        FAIL("a symlink planted by another user was followed");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::permission_denied);
        CHECK(e.step() == "resolve target");
        CHECK(e.path() == link.string());
        CHECK(std::string(e.what()).find("owned by uid 65534") != std::string::npos);
        CHECK_FALSE(is_replaced(e));
    }
}

}  // namespace

TEST_CASE("root does not follow another user's symlink in a sticky world-writable directory") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret / "victim", tmp.shared / "evil");
    check_refused(tmp.shared / "evil", tmp.shared / "evil");
    CHECK(read_file(tmp.secret / "victim") == "root only\n");
    CHECK(list_dir(tmp.secret) == std::vector<std::string>{"victim"});
    CHECK(list_dir(tmp.shared) == std::vector<std::string>{"evil"});
    // Opening for an edit is refused the same way, before anything is read or created.
    CHECK_THROWS_AS(AtomicFile((tmp.shared / "evil").string()), Error);
}

TEST_CASE("a dangling symlink planted by another user does not make root create its target") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret / "made-by-root", tmp.shared / "dangling");
    check_refused(tmp.shared / "dangling", tmp.shared / "dangling");
    CHECK_FALSE(fs::exists(tmp.secret / "made-by-root"));
    CHECK(list_dir(tmp.secret) == std::vector<std::string>{"victim"});
}

TEST_CASE("the rule holds at every hop of a chain of links") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret / "victim", tmp.shared / "evil");
    fs::create_symlink(tmp.shared / "evil", tmp.dir / "mine");  // root's own link, outside
    check_refused(tmp.dir / "mine", tmp.shared / "evil");
    CHECK(read_file(tmp.secret / "victim") == "root only\n");
}

TEST_CASE("a symlink owned by the follower or by the directory's owner is followed") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    fs::create_symlink(tmp.secret / "victim", tmp.shared / "roots");  // owned by the follower
    write_atomic((tmp.shared / "roots").string(), "by root\n");
    CHECK(read_file(tmp.secret / "victim") == "by root\n");
    CHECK(fs::is_symlink(tmp.shared / "roots"));

    // A sticky directory that belongs to uid 65534, with that user's link in it.
    const fs::path theirs = tmp.dir / "theirs";
    fs::create_directory(theirs);
    fs::permissions(theirs, fs::perms(01777));
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    plant_as_nobody(tmp.secret / "victim", theirs / "link");
    write_atomic((theirs / "link").string(), "through the owner's link\n");
    CHECK(read_file(tmp.secret / "victim") == "through the owner's link\n");

    // uid 65534 follows its own link in root's sticky directory.
    int result = run_unprivileged([&] {
        if (::symlink("data", (tmp.shared / "mine").c_str()) != 0) return 1;
        std::error_code ec;
        write_atomic((tmp.shared / "mine").string(), "mine\n", {}, ec);
        return ec ? 2 : 0;
    });
    CHECK(result == 0);
    CHECK(read_file(tmp.shared / "data") == "mine\n");
}

TEST_CASE("a link outside a sticky world-writable directory is followed whoever owns it") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    const fs::path open = tmp.dir / "open";  // world-writable but not sticky
    fs::create_directory(open);
    fs::permissions(open, fs::perms(0777));
    plant_as_nobody(tmp.secret / "victim", open / "link");
    write_atomic((open / "link").string(), "followed\n");
    CHECK(read_file(tmp.secret / "victim") == "followed\n");
}

TEST_CASE(
    "protected_symlinks false follows another user's link, and unfollowed links are replaced") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret / "victim", tmp.shared / "evil");
    ReplaceOptions no_follow;
    no_follow.follow_symlinks = false;  // O_NOFOLLOW's meaning: the link itself is replaced
    write_atomic((tmp.shared / "evil").string(), "a file now\n", no_follow);
    CHECK_FALSE(fs::is_symlink(tmp.shared / "evil"));
    CHECK(read_file(tmp.secret / "victim") == "root only\n");

    plant_as_nobody(tmp.secret / "victim", tmp.shared / "evil2");
    ReplaceOptions unprotected;
    unprotected.protected_symlinks = false;
    write_atomic((tmp.shared / "evil2").string(), "followed\n", unprotected);
    CHECK(read_file(tmp.secret / "victim") == "followed\n");
}

// ---- a directory we may write but not read --------------------------------------------------

TEST_CASE("a file is created and replaced in a directory the writer may write but not read") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    const fs::path drop = dir / "drop";
    fs::create_directory(drop);
    fs::permissions(drop, fs::perms(0733));  // root's: others may write and search, not list
    int result = run_unprivileged([&] {
        const std::string path = (drop / "f").string();
        std::error_code ec;
        write_atomic(path, "first\n", {}, ec);
        if (ec) return 1;
        ReplaceOptions backup;
        backup.backup_suffix = "~";
        write_atomic(path, "second\n", backup, ec);
        if (ec) return 2;
        safe_update(
            path, [](std::string s) { return s + "third\n"; }, {}, ec);
        if (ec) return 3;
        // The directory sync is still made (on the file system) and its failure still reported.
        ScopedFault fault(platform::Call::fsync, EIO, 2);
        try {
            write_atomic(path, "fourth\n");
            return 4;
        } catch (const Error& e) {
            return is_replaced_but_not_durable(e) && fault.calls_seen() == 2 ? 0 : 5;
        }
    });
    CHECK(result == 0);
    CHECK(read_file(drop / "f") == "fourth\n");
    CHECK(read_file(drop / "f~") == "first\n");
    CHECK(list_dir(drop) == std::vector<std::string>{"f", "f~"});
    struct stat st {};
    REQUIRE(::stat((drop / "f").c_str(), &st) == 0);
    CHECK(st.st_uid == 65534);
}
