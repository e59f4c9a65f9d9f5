// Which file a replace acts on: symlinks followed (or not) and whose links may steer us, and the
// temp's directory.
#include <doctest/doctest.h>
#include <sys/stat.h>
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

// ---- every hop: links in the directory part of the path ---------------------------------------

TEST_CASE("another user's directory symlink in a sticky directory is refused, in any position") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret, tmp.shared / "evildir");
    // Overwriting root's private file and creating a file in root's private directory.
    check_refused(tmp.shared / "evildir" / "victim", tmp.shared / "evildir");
    check_refused(tmp.shared / "evildir" / "newfile", tmp.shared / "evildir");
    // Not following the final name changes nothing about the directory part.
    ReplaceOptions no_follow;
    no_follow.follow_symlinks = false;
    check_refused(tmp.shared / "evildir" / "victim", tmp.shared / "evildir", no_follow);
    CHECK_THROWS_AS(AtomicFile((tmp.shared / "evildir" / "victim").string()), Error);
    CHECK(read_file(tmp.secret / "victim") == "root only\n");
    CHECK(list_dir(tmp.secret) == std::vector<std::string>{"victim"});
    CHECK(list_dir(tmp.shared) == std::vector<std::string>{"evildir"});
}

TEST_CASE("a planted directory link is refused when reached through root's own links") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    plant_as_nobody(tmp.secret, tmp.shared / "evildir");
    // root's link to the planted directory link, used as a directory.
    fs::create_symlink(tmp.shared / "evildir", tmp.dir / "mine");
    check_refused(tmp.dir / "mine" / "victim", tmp.shared / "evildir");
    // root's link whose destination passes through the planted link (relative, then absolute).
    fs::create_symlink("shared/evildir/victim", tmp.dir / "relative");
    check_refused(tmp.dir / "relative", tmp.shared / "evildir");
    fs::create_symlink(tmp.shared / "evildir" / "victim", tmp.dir / "absolute");
    check_refused(tmp.dir / "absolute", tmp.shared / "evildir");
    CHECK(read_file(tmp.secret / "victim") == "root only\n");
    CHECK(list_dir(tmp.secret) == std::vector<std::string>{"victim"});
}

TEST_CASE("a directory link of the caller or of the sticky directory's owner is followed") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    fs::create_symlink(tmp.secret, tmp.shared / "rootsdir");  // the caller's, and the owner's
    write_atomic((tmp.shared / "rootsdir" / "victim").string(), "by root\n");
    CHECK(read_file(tmp.secret / "victim") == "by root\n");

    const fs::path theirs = tmp.dir / "theirs";  // nobody's sticky directory, nobody's link
    fs::create_directory(theirs);
    fs::permissions(theirs, fs::perms(01777));
    REQUIRE(::chown(theirs.c_str(), 65534, 65534) == 0);
    plant_as_nobody(tmp.secret, theirs / "dirlink");
    write_atomic((theirs / "dirlink" / "victim").string(), "through the owner's link\n");
    CHECK(read_file(tmp.secret / "victim") == "through the owner's link\n");

    // nobody follows its own directory link in root's sticky directory.
    int result = run_unprivileged([&] {
        if (::mkdir((tmp.shared / "own").c_str(), 0755) != 0) return 1;
        if (::symlink("own", (tmp.shared / "ownlink").c_str()) != 0) return 2;
        std::error_code ec;
        write_atomic((tmp.shared / "ownlink" / "f").string(), "mine\n", {}, ec);
        return ec ? 3 : 0;
    });
    CHECK(result == 0);
    CHECK(read_file(tmp.shared / "own" / "f") == "mine\n");
}

TEST_CASE("another user's directory link outside a sticky directory, or unprotected, is followed") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    const fs::path open = tmp.dir / "open";  // world-writable but not sticky
    fs::create_directory(open);
    fs::permissions(open, fs::perms(0777));
    plant_as_nobody(tmp.secret, open / "dirlink");
    write_atomic((open / "dirlink" / "victim").string(), "followed\n");
    CHECK(read_file(tmp.secret / "victim") == "followed\n");

    plant_as_nobody(tmp.secret, tmp.shared / "evildir");
    ReplaceOptions unprotected;
    unprotected.protected_symlinks = false;
    write_atomic((tmp.shared / "evildir" / "victim").string(), "unprotected\n", unprotected);
    CHECK(read_file(tmp.secret / "victim") == "unprotected\n");
}

TEST_CASE("after a directory link, .. is the parent of the link's destination, as in the kernel") {
    ScratchDir dir;
    fs::create_directories(dir / "real" / "deep");
    fs::create_directory(dir / "links");
    fs::create_symlink("../real/deep", dir / "links" / "to-deep");
    write_atomic((dir / "links" / "to-deep" / ".." / "f").string(), "physical\n");
    CHECK(read_file(dir / "real" / "f") == "physical\n");
    CHECK(list_dir(dir / "links") == std::vector<std::string>{"to-deep"});
    // The same through a final link whose destination climbs out of a linked directory.
    fs::create_symlink("to-deep/../g", dir / "links" / "g");
    write_atomic((dir / "links" / "g").string(), "through\n");
    CHECK(read_file(dir / "real" / "g") == "through\n");
}

TEST_CASE("directory links count toward the limit of 40 links") {
    ScratchDir dir;
    fs::create_directory(dir / "d");
    fs::create_symlink("d", dir / "l0");
    for (int i = 1; i <= 40; ++i)
        fs::create_symlink("l" + std::to_string(i - 1), dir / ("l" + std::to_string(i)));
    write_atomic((dir / "l39" / "f").string(), "40 links\n");
    CHECK(read_file(dir / "d" / "f") == "40 links\n");
    std::error_code ec;
    write_atomic((dir / "l40" / "f").string(), "41 links\n", {}, ec);
    CHECK(ec == std::errc::too_many_symbolic_link_levels);
    CHECK(read_file(dir / "d" / "f") == "40 links\n");
}

// ---- protected regular files: the kernel's fs.protected_regular rule ----------------------------

namespace {

// Creates `path` as uid 65534 with mode 0666, as the attacker would before root writes it.
void precreate_as_nobody(const fs::path& path, const std::string& content) {
    int result = run_unprivileged([&] {
        ::umask(0);
        write_file(path, content);
        return ::chmod(path.c_str(), 0666);
    });
    REQUIRE(result == 0);
}

unsigned owner_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st.st_uid;
}

}  // namespace

TEST_CASE("root does not write into a file another user created in a sticky directory") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    const fs::path report = tmp.shared / "report";
    precreate_as_nobody(report, "");
    try {
        write_atomic(report.string(), "root secret\n");
        FAIL("another user's file in a sticky directory received root's content");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::permission_denied);
        CHECK(e.step() == "resolve target");
        CHECK(e.path() == report.string());
        CHECK(std::string(e.what()).find("owned by uid 65534") != std::string::npos);
        CHECK(std::string(e.what()).find("protected_regular") != std::string::npos);
        CHECK_FALSE(is_replaced(e));
    }
    CHECK(read_file(report).empty());
    CHECK(owner_of(report) == 65534);
    CHECK(list_dir(tmp.shared) == std::vector<std::string>{"report"});
    CHECK_THROWS_AS(AtomicFile(report.string()), Error);
    // Reached through root's own link, the file is refused the same way.
    fs::create_symlink(report, tmp.dir / "to-report");
    std::error_code ec;
    write_atomic((tmp.dir / "to-report").string(), "root secret\n", {}, ec);
    CHECK(ec == std::errc::permission_denied);
    CHECK(read_file(report).empty());

    ReplaceOptions unprotected;
    unprotected.protected_regular = false;
    write_atomic(report.string(), "given away\n", unprotected);
    CHECK(read_file(report) == "given away\n");
}

TEST_CASE("the caller's own file and the sticky directory owner's file are replaced") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    SharedTmp tmp;
    write_file(tmp.shared / "roots", "old\n");  // the caller's, and the directory owner's
    write_atomic((tmp.shared / "roots").string(), "new\n");
    CHECK(read_file(tmp.shared / "roots") == "new\n");

    // nobody replaces its own file in root's sticky directory.
    precreate_as_nobody(tmp.shared / "theirs", "old\n");
    int result = run_unprivileged([&] {
        std::error_code ec;
        write_atomic((tmp.shared / "theirs").string(), "nobody's update\n", {}, ec);
        return ec ? 1 : 0;
    });
    CHECK(result == 0);
    CHECK(read_file(tmp.shared / "theirs") == "nobody's update\n");

    // root replaces nobody's file in nobody's own sticky directory (as the kernel allows).
    const fs::path owned = tmp.dir / "owned";
    fs::create_directory(owned);
    fs::permissions(owned, fs::perms(01777));
    REQUIRE(::chown(owned.c_str(), 65534, 65534) == 0);
    precreate_as_nobody(owned / "f", "old\n");
    write_atomic((owned / "f").string(), "by root\n");
    CHECK(read_file(owned / "f") == "by root\n");
    CHECK(owner_of(owned / "f") == 65534);

    // Outside a sticky directory another user's file is replaced as before.
    const fs::path open = tmp.dir / "open";
    fs::create_directory(open);
    fs::permissions(open, fs::perms(0777));
    precreate_as_nobody(open / "f", "old\n");
    write_atomic((open / "f").string(), "by root\n");
    CHECK(read_file(open / "f") == "by root\n");
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
