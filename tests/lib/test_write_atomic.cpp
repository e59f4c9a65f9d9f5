// write_atomic and safe_update: the one-call forms of the engine.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <stdexcept>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

// Sets the umask for one scope.
class ScopedUmask {
  public:
    explicit ScopedUmask(mode_t mask) : old_(::umask(mask)) {}
    ~ScopedUmask() { ::umask(old_); }

  private:
    mode_t old_;
};

struct TransformFailed : std::runtime_error {
    TransformFailed() : std::runtime_error("transform failed") {}
};

// Moves a file's mtime a day into the past, so that any rewrite would show.
void age(const fs::path& path) {
    struct timespec times[2] = {{::time(nullptr) - 86400, 0}, {::time(nullptr) - 86400, 0}};
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, 0) == 0);
}

const ReplaceOptions skip = ReplaceOptions().with_skip_unchanged(true);

std::string increment(const std::string& text) {
    return std::to_string((text.empty() ? 0 : std::stoi(text)) + 1);
}

}  // namespace

TEST_CASE("write_atomic creates a missing file with 0666 & ~umask, never the temp's 0600") {
    ScratchDir dir;
    {
        ScopedUmask mask(022);
        write_atomic((dir / "a").string(), "a");
    }
    {
        ScopedUmask mask(027);
        write_atomic((dir / "b").string(), "b");
    }
    CHECK(file_mode(dir / "a") == 0644);
    CHECK(file_mode(dir / "b") == 0640);
    CHECK(read_file(dir / "a") == "a");
}

TEST_CASE("options.mode gives a new file exactly that mode") {
    ScratchDir dir;
    ScopedUmask mask(077);
    ReplaceOptions options;
    options.mode = 0664;
    write_atomic((dir / "f").string(), "x", options);
    CHECK(file_mode(dir / "f") == 0664);
}

TEST_CASE("write_atomic replaces the content and keeps the old file's mode") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    fs::permissions(dir / "f", fs::perms(0751));
    write_atomic((dir / "f").string(), "new content");
    CHECK(read_file(dir / "f") == "new content");
    CHECK(file_mode(dir / "f") == 0751);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("write_atomic of empty data leaves an empty file") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    write_atomic((dir / "f").string(), "");
    CHECK(read_file(dir / "f").empty());
}

TEST_CASE("an error names the step and the path and keeps errno, in both forms") {
    ScratchDir dir;
    const std::string path = (dir / "missing-dir" / "f").string();
    try {
        write_atomic(path, "x");
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(e.step() == "open target directory");
        CHECK(std::string(e.what()).find(path) != std::string::npos);
    }
    std::error_code ec;
    write_atomic(path, "x", {}, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("a directory or a FIFO at the target is refused without being opened") {
    ScratchDir dir;
    fs::create_directory(dir / "d");
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    std::error_code ec;
    write_atomic((dir / "d").string(), "x", {}, ec);
    CHECK(ec == std::errc::is_a_directory);
    write_atomic((dir / "fifo").string(), "x", {}, ec);  // would block if it were opened
    CHECK(ec == std::errc::invalid_argument);
    CHECK(fs::is_fifo(dir / "fifo"));
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"d", "fifo"});
}

TEST_CASE("safe_update hands the old content to the transform and writes its result") {
    ScratchDir dir;
    write_file(dir / "f", "41");
    safe_update((dir / "f").string(), increment);
    CHECK(read_file(dir / "f") == "42");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("safe_update reads a missing file as empty, or fails when missing_ok is false") {
    ScratchDir dir;
    safe_update((dir / "new").string(), increment);
    CHECK(read_file(dir / "new") == "1");
    ReplaceOptions strict;
    strict.missing_ok = false;
    std::error_code ec;
    safe_update((dir / "absent").string(), increment, strict, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"new"});
}

TEST_CASE("a throwing transform leaves the file untouched and its exception reaches the caller") {
    ScratchDir dir;
    write_file(dir / "f", "keep me");
    const FileSnapshot before = snapshot(dir / "f");
    CHECK_THROWS_AS(safe_update((dir / "f").string(),
                                [](const std::string&) -> std::string { throw TransformFailed(); }),
                    TransformFailed);
    CHECK(snapshot(dir / "f") == before);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});  // no temp, no lock file
}

TEST_CASE("eight processes making a hundred increments each end at exactly 800") {
    ScratchDir dir;
    const std::string path = (dir / "counter").string();
    write_file(path, "0");
    std::vector<pid_t> children;
    for (int i = 0; i < 8; ++i) {
        pid_t pid = ::fork();
        if (pid == 0) {
            int failures = 0;
            for (int n = 0; n < 100; ++n) {
                std::error_code ec;
                safe_update(path, increment, {}, ec);
                failures += ec ? 1 : 0;
            }
            ::_exit(failures == 0 ? 0 : 1);
        }
        children.push_back(pid);
    }
    CHECK(count_failed_children(children) == 0);
    CHECK(read_file(path) == "800");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"counter"});  // no lock file remains
}

TEST_CASE("replace options set by name equal the ones set by field") {
    auto told = [](const OwnerNotKept&) {};
    ReplaceOptions by_field;
    by_field.durability = Durability::data;
    by_field.skip_unchanged = true;
    by_field.follow_symlinks = false;
    by_field.protected_symlinks = false;
    by_field.protected_regular = false;
    by_field.create_only = true;
    by_field.missing_ok = false;
    by_field.mode = 0640;
    by_field.keep_mode = false;
    by_field.keep_owner = false;
    by_field.owner_policy = OwnerPolicy::strict;
    by_field.on_owner_not_kept = told;
    by_field.keep_xattrs = false;
    by_field.hard_links = HardLinkPolicy::refuse;
    by_field.backup_suffix = "~";
    by_field.lock = true;
    by_field.lock_timeout = std::chrono::milliseconds(1500);
    by_field.detect_conflicts = true;
    const ReplaceOptions named = ReplaceOptions()
                                     .with_durability(Durability::data)
                                     .with_skip_unchanged(true)
                                     .with_follow_symlinks(false)
                                     .with_protected_symlinks(false)
                                     .with_protected_regular(false)
                                     .with_create_only(true)
                                     .with_missing_ok(false)
                                     .with_mode(0640)
                                     .with_keep_mode(false)
                                     .with_keep_owner(false)
                                     .with_owner_policy(OwnerPolicy::strict)
                                     .with_on_owner_not_kept(told)
                                     .with_keep_xattrs(false)
                                     .with_hard_links(HardLinkPolicy::refuse)
                                     .with_backup_suffix("~")
                                     .with_lock(true)
                                     .with_lock_timeout(std::chrono::milliseconds(1500))
                                     .with_detect_conflicts(true);
    CHECK(named.durability == by_field.durability);
    CHECK(named.skip_unchanged == by_field.skip_unchanged);
    CHECK(named.follow_symlinks == by_field.follow_symlinks);
    CHECK(named.protected_symlinks == by_field.protected_symlinks);
    CHECK(named.protected_regular == by_field.protected_regular);
    CHECK(named.create_only == by_field.create_only);
    CHECK(named.missing_ok == by_field.missing_ok);
    CHECK(named.mode == by_field.mode);
    CHECK(named.keep_mode == by_field.keep_mode);
    CHECK(named.keep_owner == by_field.keep_owner);
    CHECK(named.owner_policy == by_field.owner_policy);
    CHECK(static_cast<bool>(named.on_owner_not_kept));
    CHECK(named.keep_xattrs == by_field.keep_xattrs);
    CHECK(named.hard_links == by_field.hard_links);
    CHECK(named.backup_suffix == by_field.backup_suffix);
    CHECK(named.lock == by_field.lock);
    CHECK(named.lock_timeout == by_field.lock_timeout);
    CHECK(named.detect_conflicts == by_field.detect_conflicts);
}

TEST_CASE("replace options set by name act like fields: a backup and a new mode") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    ::chmod((dir / "f").c_str(), 0600);
    write_atomic((dir / "f").string(), "new",
                 ReplaceOptions().with_backup_suffix("~").with_keep_mode(false).with_mode(0640));
    CHECK(read_file(dir / "f") == "new");
    CHECK(read_file(dir / "f~") == "old");
    CHECK(file_mode(dir / "f") == 0640);
}

TEST_CASE("skip_unchanged writes nothing for equal content: inode, mtime and links are kept") {
    ScratchDir dir;
    write_file(dir / "f", "same content");
    fs::create_hard_link(dir / "f", dir / "other-name");
    age(dir / "f");
    const FileSnapshot before = snapshot(dir / "f");
    CallRecorder recorder;
    const bool replaced =
        write_atomic((dir / "f").string(), "same content",
                     ReplaceOptions(skip).with_backup_suffix("~").with_lock(true));
    CHECK_FALSE(replaced);
    CHECK(snapshot(dir / "f") == before);  // content, inode, mtime, links, mode, owner, xattrs
    CHECK(before.links == 2);
    CHECK(recorder.count(platform::Call::rename) == 0);
    CHECK(recorder.count(platform::Call::fsync) == 0);
    // No temp, no backup, no lock file left.
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f", "other-name"});
}

TEST_CASE("skip_unchanged writes content of the same size that differs, and reports it") {
    ScratchDir dir;
    write_file(dir / "f", "abc");
    const FileSnapshot before = snapshot(dir / "f");
    CHECK(write_atomic((dir / "f").string(), "abd", skip));
    CHECK(read_file(dir / "f") == "abd");
    CHECK(snapshot(dir / "f").inode != before.inode);
}

TEST_CASE("skip_unchanged compares every piece of a file bigger than one read") {
    ScratchDir dir;
    std::string old(200 * 1024 + 7, 'x');
    write_file(dir / "f", old);
    std::string changed = old;
    changed.back() = 'y';  // only the last byte of the last piece differs
    CHECK(write_atomic((dir / "f").string(), changed, skip));
    CHECK(read_file(dir / "f") == changed);
    const std::uint64_t inode = snapshot(dir / "f").inode;
    CHECK_FALSE(write_atomic((dir / "f").string(), changed, skip));
    CHECK(snapshot(dir / "f").inode == inode);
}

TEST_CASE("skip_unchanged creates a missing target, even with empty content") {
    ScratchDir dir;
    CHECK(write_atomic((dir / "f").string(), "", skip));
    CHECK(fs::exists(dir / "f"));
    CHECK(read_file(dir / "f").empty());
}

TEST_CASE("without skip_unchanged equal content is still rewritten") {
    ScratchDir dir;
    write_file(dir / "f", "same");
    age(dir / "f");
    const FileSnapshot before = snapshot(dir / "f");
    CHECK(write_atomic((dir / "f").string(), "same"));
    const FileSnapshot after = snapshot(dir / "f");
    CHECK(after.inode != before.inode);
    CHECK(after.mtime_ns != before.mtime_ns);
}

TEST_CASE("skip_unchanged still writes equal content when the options change the mode") {
    ScratchDir dir;
    write_file(dir / "f", "same");
    ::chmod((dir / "f").c_str(), 0600);
    const std::uint64_t inode = snapshot(dir / "f").inode;
    CHECK(write_atomic((dir / "f").string(), "same",
                       ReplaceOptions(skip).with_keep_mode(false).with_mode(0640)));
    CHECK(file_mode(dir / "f") == 0640);
    CHECK(snapshot(dir / "f").inode != inode);
    // The mode asked for is the file's: nothing to change.
    const std::uint64_t now = snapshot(dir / "f").inode;
    CHECK_FALSE(write_atomic((dir / "f").string(), "same",
                             ReplaceOptions(skip).with_keep_mode(false).with_mode(0640)));
    CHECK(snapshot(dir / "f").inode == now);
}

TEST_CASE("safe_update with skip_unchanged writes nothing when the transform changes nothing") {
    ScratchDir dir;
    write_file(dir / "f", "7");
    age(dir / "f");
    const FileSnapshot before = snapshot(dir / "f");
    CHECK_FALSE(safe_update((dir / "f").string(), [](std::string s) { return s; }, skip));
    CHECK(snapshot(dir / "f") == before);
    CHECK(safe_update((dir / "f").string(), increment, skip));
    CHECK(read_file(dir / "f") == "8");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}
