// Batch: many files committed together, each with write_atomic's guarantee; the failure of each
// step of the group commit; a crash at each system call of one.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "atomfile/batch.hpp"
#include "lib/replace_support.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;

namespace {

const std::string old_content = "old content\n";

std::string new_content(const std::string& name) {
    return "new content of " + name + ", longer than the old one\n";
}

// Five files in two directories: one/a one/b one/c two/d exist with the old content, two/e is
// new.
struct Layout {
    ScratchDir dir;
    std::vector<std::string> names{"one/a", "one/b", "one/c", "two/d", "two/e"};

    Layout() {
        fs::create_directory(dir / "one");
        fs::create_directory(dir / "two");
        for (const std::string& name : names)
            if (name != "two/e") write_file(dir / name, old_content);
    }
    std::string path(const std::string& name) const { return (dir / name).string(); }
    void stage_all(Batch& batch) const {
        for (const std::string& name : names) batch.write(path(name), new_content(name));
    }
    std::vector<std::string> paths(std::size_t from, std::size_t to) const {
        std::vector<std::string> result;
        for (std::size_t i = from; i < to; ++i) result.push_back(path(names[i]));
        return result;
    }
    // Each file old (or missing, for the new one) and no name but the files themselves.
    void check_untouched() const {
        for (const std::string& name : names) {
            CAPTURE(name);
            if (name == "two/e")
                CHECK_FALSE(fs::exists(dir / name));
            else
                CHECK(read_file(dir / name) == old_content);
        }
        CHECK(list_dir(dir / "one") == std::vector<std::string>{"a", "b", "c"});
        CHECK(list_dir(dir / "two") == std::vector<std::string>{"d"});
    }
    void check_all_new() const {
        for (const std::string& name : names) {
            CAPTURE(name);
            CHECK(read_file(dir / name) == new_content(name));
        }
        CHECK(list_dir(dir / "one") == std::vector<std::string>{"a", "b", "c"});
        CHECK(list_dir(dir / "two") == std::vector<std::string>{"d", "e"});
    }
};

}  // namespace

TEST_CASE("a committed batch gives every file of several directories its new content") {
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    CHECK(batch.size() == 5);
    // Staged, nothing is published yet.
    CHECK(read_file(layout.dir / "one/a") == old_content);
    CHECK_FALSE(fs::exists(layout.dir / "two/e"));
    batch.commit();
    layout.check_all_new();
    CHECK(batch.replaced() == layout.paths(0, 5));
    CHECK(batch.not_replaced().empty());
}

TEST_CASE("a file streamed through open() is committed with the written ones") {
    Layout layout;
    Batch batch;
    batch.write(layout.path("one/a"), new_content("one/a"));
    AtomicFile& big = batch.open(layout.path("two/d"));
    std::string streamed(3 << 20, 'x');
    big.write(streamed.substr(0, 1 << 20));
    big.write(streamed.substr(1 << 20));
    CHECK(read_file(layout.dir / "two/d") == old_content);
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == new_content("one/a"));
    CHECK(read_file(layout.dir / "two/d") == streamed);
    CHECK(big.replaced());
    CHECK(list_dir(layout.dir / "two") == std::vector<std::string>{"d"});
}

TEST_CASE("each file of a batch keeps its old mode, and a new one gets the mode asked for") {
    Layout layout;
    fs::permissions(layout.dir / "one/a", fs::perms(0640));
    fs::permissions(layout.dir / "one/b", fs::perms(0604));
    ReplaceOptions options;
    options.mode = 0751;
    Batch batch(options);
    layout.stage_all(batch);
    batch.commit();
    CHECK(file_mode(layout.dir / "one/a") == 0640);
    CHECK(file_mode(layout.dir / "one/b") == 0604);
    CHECK(file_mode(layout.dir / "two/e") == 0751);
}

TEST_CASE("a batch follows a symlinked target and keeps the link") {
    Layout layout;
    fs::create_symlink("../one/a", layout.dir / "two/link");
    Batch batch;
    batch.write(layout.path("two/link"), "through the link\n");
    batch.commit();
    CHECK(fs::is_symlink(layout.dir / "two/link"));
    CHECK(read_file(layout.dir / "one/a") == "through the link\n");
    REQUIRE(batch.replaced().size() == 1);
    CHECK(fs::equivalent(batch.replaced()[0], layout.dir / "one/a"));
}

TEST_CASE("a batch walks each directory once, however many of its files it stages") {
    Layout layout;
    for (int i = 0; i < 20; ++i) layout.names.push_back("one/many" + std::to_string(i));
    const std::string one = layout.path("one");
    const auto components = static_cast<int>(std::count(one.begin(), one.end(), '/'));
    CallRecorder recorder;
    Batch batch;
    layout.stage_all(batch);
    // One walk to one/ and one to two/ (each component opened once), not one per file.
    CHECK(recorder.count(Call::open_path) <= 2 * (components + 1));
    batch.commit();
    CHECK(read_file(layout.dir / "one/many19") == new_content("one/many19"));
}

TEST_CASE("files streamed through open() walk to their directory once too") {
    Layout layout;
    const std::string one = layout.path("one");
    const auto components = static_cast<int>(std::count(one.begin(), one.end(), '/'));
    CallRecorder recorder;
    Batch batch;
    for (int i = 0; i < 20; ++i)
        batch.open(layout.path("one/streamed" + std::to_string(i))).write("streamed\n");
    CHECK(recorder.count(Call::open_path) <= components + 1);
    batch.commit();
    CHECK(read_file(layout.dir / "one/streamed19") == "streamed\n");
}

TEST_CASE("a symlinked target in a directory the batch reached before is followed and kept") {
    Layout layout;
    fs::create_symlink("../one/a", layout.dir / "two/link");
    Batch batch;
    batch.write(layout.path("two/d"), new_content("two/d"));
    batch.write(layout.path("two/link"), "through the link\n");
    batch.commit();
    CHECK(fs::is_symlink(layout.dir / "two/link"));
    CHECK(read_file(layout.dir / "one/a") == "through the link\n");
    CHECK(read_file(layout.dir / "two/d") == new_content("two/d"));
}

TEST_CASE("every file of a batch keeps its owner and group, the caller's and another user's") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    Layout layout;
    REQUIRE(::chown(layout.path("one/b").c_str(), 65534, 65534) == 0);
    REQUIRE(::chown(layout.path("two/d").c_str(), 0, 65534) == 0);
    Batch batch;
    layout.stage_all(batch);
    batch.commit();
    layout.check_all_new();
    const auto owner = [&](const std::string& name) {
        struct stat status {};
        REQUIRE(::stat(layout.path(name).c_str(), &status) == 0);
        return std::make_pair(status.st_uid, status.st_gid);
    };
    CHECK(owner("one/a") == std::make_pair(0u, 0u));
    CHECK(owner("one/b") == std::make_pair(65534u, 65534u));
    CHECK(owner("two/d") == std::make_pair(0u, 65534u));
}

TEST_CASE("another user's file in a sticky directory reached before in the batch is refused") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    ScratchDir dir;
    const fs::path shared = dir / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms(01777));
    write_file(shared / "theirs", "theirs\n");
    REQUIRE(::chown((shared / "theirs").c_str(), 65534, 65534) == 0);
    Batch batch;
    batch.write((shared / "mine").string(), "mine\n");
    try {
        batch.write((shared / "theirs").string(), "root's\n");
        FAIL("another user's file was staged (protected_regular)");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::permission_denied);
        CHECK(e.step_id() == Step::resolve);
        CHECK(e.path() == (shared / "theirs").string());
    }
    batch.commit();
    CHECK(read_file(shared / "theirs") == "theirs\n");
    CHECK(read_file(shared / "mine") == "mine\n");
}

TEST_CASE("in a sticky directory, another user's file is replaced only when CAP_FOWNER is known") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    // nobody's sticky directory, not world-writable: only the capability lets root rename over
    // nobody's file there. When the capability cannot be read, the batch must not guess yes.
    ScratchDir dir;
    const fs::path sticky = dir / "sticky";
    fs::create_directory(sticky);
    fs::permissions(sticky, fs::perms(01755));
    write_file(sticky / "theirs", old_content);
    REQUIRE(::chown(sticky.c_str(), 65534, 65534) == 0);
    REQUIRE(::chown((sticky / "theirs").c_str(), 65534, 65534) == 0);
    {
        Batch batch;
        ScopedFault unreadable(Call::capget, EPERM);
        std::error_code ec;
        batch.write((sticky / "theirs").string(), "guessed\n", ec);
        CHECK(ec == std::errc::operation_not_permitted);
        CHECK(batch.size() == 0);
    }
    CHECK(read_file(sticky / "theirs") == old_content);
    CHECK(list_dir(sticky) == std::vector<std::string>{"theirs"});
    Batch batch;
    batch.write((sticky / "theirs").string(), "root's\n");
    batch.commit();
    CHECK(read_file(sticky / "theirs") == "root's\n");
}

TEST_CASE("a batch keeps a backup of every file it replaces") {
    Layout layout;
    ReplaceOptions options;
    options.backup_suffix = "~";
    Batch batch(options);
    layout.stage_all(batch);
    batch.commit();
    for (const std::string name : {"one/a", "one/b", "one/c", "two/d"})
        CHECK(read_file(layout.dir / (std::string(name) + "~")) == old_content);
    CHECK_FALSE(fs::exists(layout.dir / "two/e~"));
    CHECK(read_file(layout.dir / "two/e") == new_content("two/e"));
}

TEST_CASE("with lock, each file's update lock is held from staging until commit ends") {
    Layout layout;
    Batch batch(ReplaceOptions().with_lock(true));
    layout.stage_all(batch);
    std::error_code ec;
    ReplaceOptions other;
    other.lock = true;
    other.lock_timeout = std::chrono::milliseconds(100);
    write_atomic(layout.path("two/d"), "another writer\n", other, ec);
    CHECK(ec == atomfile::errc::lock_timeout);
    batch.commit();
    layout.check_all_new();  // no lock file left either
    write_atomic(layout.path("two/d"), "another writer\n", other);
    CHECK(read_file(layout.dir / "two/d") == "another writer\n");
}

TEST_CASE("create-only in a batch refuses an existing file when it is staged") {
    Layout layout;
    Batch batch(ReplaceOptions().with_create_only(true));
    batch.write(layout.path("two/e"), new_content("two/e"));
    try {
        batch.write(layout.path("one/a"), "clobber\n");
        FAIL("an existing target was staged under create_only");
    } catch (const Error& e) {
        CHECK(e.code() == atomfile::errc::target_exists);
        CHECK(e.path() == layout.path("one/a"));
    }
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == old_content);
    CHECK(read_file(layout.dir / "two/e") == new_content("two/e"));
}

TEST_CASE("a batch destroyed without commit replaces nothing and leaves no temp") {
    Layout layout;
    ScopedFault named({{Call::create_anonymous, EOPNOTSUPP, 0}});  // temps with names
    {
        Batch batch(ReplaceOptions().with_lock(true));
        layout.stage_all(batch);
        CHECK(list_dir(layout.dir / "one").size() > 3);  // the named temps and lock files
    }
    layout.check_untouched();
}

TEST_CASE("staging a file twice is refused and keeps the first staging") {
    Layout layout;
    fs::create_symlink("a", layout.dir / "one/alias");
    for (bool lock : {false, true}) {
        CAPTURE(lock);
        // Under the lock, the second staging must be refused before it waits for our own lock.
        Batch batch(ReplaceOptions().with_lock(lock).with_lock_timeout(std::chrono::seconds(5)));
        batch.write(layout.path("one/a"), "first\n");
        for (const std::string& again : {layout.path("one/a"), layout.path("one/alias"),
                                         (layout.dir / "two/../one/a").string()}) {
            CAPTURE(again);
            try {
                batch.write(again, "second\n");
                FAIL("the same file was staged twice");
            } catch (const Error& e) {
                CHECK(e.code() == std::errc::invalid_argument);
                CHECK(e.step() == "stage a file already staged in this batch");
                CHECK(e.path() == again);
                CHECK(e.second_path() == layout.path("one/a"));  // the staged one
            }
        }
        std::error_code ec;
        CHECK(batch.open(layout.path("one/a"), ec) == nullptr);
        CHECK(ec == std::errc::invalid_argument);
        CHECK(batch.size() == 1);
        batch.commit();
        CHECK(read_file(layout.dir / "one/a") == "first\n");
        CHECK(list_dir(layout.dir / "one") == std::vector<std::string>{"a", "alias", "b", "c"});
    }
}

TEST_CASE("stagings refused in a directory the batch reached before leave its files to commit") {
    // Files staged by write() into one directory share the batch's descriptor of it: a staging
    // refused there (by the batch, or by the AtomicFile it was building) must not close it.
    Layout layout;
    fs::create_directory(layout.dir / "one/sub");
    Batch batch;
    batch.write(layout.path("one/a"), new_content("one/a"));
    CHECK_THROWS_AS(batch.write(layout.path("one/a"), "again\n"), Error);         // staged twice
    CHECK_THROWS_AS(batch.write(layout.path("one/sub"), "not a file\n"), Error);  // EISDIR
    batch.write(layout.path("one/b"), new_content("one/b"));
    CHECK_THROWS_AS(batch.write(layout.path("one/sub"), "still not\n"), Error);
    batch.write(layout.path("one/c"), new_content("one/c"));
    CHECK(batch.size() == 3);
    batch.commit();
    for (const std::string name : {"one/a", "one/b", "one/c"})
        CHECK(read_file(layout.dir / name) == new_content(name));
    CHECK(list_dir(layout.dir / "one") == std::vector<std::string>{"a", "b", "c", "sub"});
}

TEST_CASE("a committed batch is spent: staging or committing again fails with EBADF") {
    Layout layout;
    Batch batch;
    batch.write(layout.path("one/a"), new_content("one/a"));
    batch.commit();
    CHECK(batch.size() == 0);
    std::error_code ec;
    batch.write(layout.path("one/b"), "late\n", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    batch.commit(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(read_file(layout.dir / "one/b") == old_content);
}

TEST_CASE("a batch moved from fails every call with EBADF and the new owner commits") {
    Layout layout;
    Batch first;
    first.write(layout.path("one/a"), new_content("one/a"));
    Batch second(std::move(first));
    std::error_code ec;
    first.write(layout.path("one/b"), "lost\n", ec);  // NOLINT(bugprone-use-after-move)
    CHECK(ec == std::errc::bad_file_descriptor);
    first.commit(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(first.replaced().empty());
    second.commit();
    CHECK(read_file(layout.dir / "one/a") == new_content("one/a"));
    CHECK(read_file(layout.dir / "one/b") == old_content);
}

TEST_CASE("an empty batch commits nothing and succeeds") {
    Batch batch;
    CallRecorder recorder;
    batch.commit();
    CHECK(recorder.calls().empty());
    CHECK(batch.replaced().empty());
}

TEST_CASE("a batch syncs each temp once and each directory once") {
    Layout layout;
    for (int i = 0; i < 20; ++i) layout.names.push_back("two/many" + std::to_string(i));
    Batch batch;
    layout.stage_all(batch);
    CallRecorder recorder;
    batch.commit();
    // 25 temps, 2 directories: not one directory sync per file.
    CHECK(recorder.count(Call::fsync) == 25 + 2);
    CHECK(recorder.count(Call::fdatasync) == 0);
    // The 4 files that existed are renamed over; the 21 new ones are linked at their names.
    CHECK(recorder.count(Call::rename) == 4);
    CHECK(recorder.count(Call::link) == 4 + 21);
    CHECK(read_file(layout.dir / "two/many7") == new_content("two/many7"));
}

TEST_CASE("a batch draws its temps' random names from the kernel a block at a time") {
    Layout layout;
    for (int i = 0; i < 100; ++i) {
        layout.names.push_back("two/many" + std::to_string(i));
        write_file(layout.dir / layout.names.back(), old_content);  // replaced: a temp name each
    }
    Batch batch;
    layout.stage_all(batch);
    CallRecorder recorder;
    batch.commit();
    // 105 names of 10 random symbols (two/e, new, is linked at its name): not one getrandom per
    // file.
    CHECK(recorder.count(Call::rename) == 104);
    CHECK(recorder.count(Call::getrandom) >= 1);
    CHECK(recorder.count(Call::getrandom) <= 5);
    CHECK(read_file(layout.dir / "two/many99") == new_content("two/many99"));
    CHECK(list_dir(layout.dir / "two").size() == 2 + 100);  // no temp left under its name
}

namespace {

std::size_t open_descriptors() {
    return list_dir("/proc/self/fd").size();
}

}  // namespace

TEST_CASE("a file staged by write() holds one descriptor until commit, whatever its directory") {
    Layout layout;
    for (int i = 0; i < 300; ++i)
        layout.names.push_back((i % 2 ? "one/many" : "two/many") + std::to_string(i));
    const std::size_t before = open_descriptors();
    Batch batch;
    layout.stage_all(batch);
    // One temp per file and one descriptor per directory, not three per file.
    CHECK(open_descriptors() - before <= 305 + 2);
    batch.commit();
    CHECK(open_descriptors() == before);
    CHECK(read_file(layout.dir / "one/many299") == new_content("one/many299"));
    CHECK(list_dir(layout.dir / "one").size() == 3 + 150);
}

TEST_CASE("a file staged by open() holds its temp and the old file; its directory is shared") {
    Layout layout;
    for (int i = 0; i < 100; ++i) write_file(layout.dir / ("one/old" + std::to_string(i)), "x");
    const std::size_t before = open_descriptors();
    Batch batch;
    for (int i = 0; i < 100; ++i)
        batch.open((layout.dir / ("one/old" + std::to_string(i))).string()).write("streamed\n");
    CHECK(open_descriptors() - before <= 2 * 100 + 1);
    batch.commit();
    CHECK(open_descriptors() == before);
    CHECK(read_file(layout.dir / "one/old99") == "streamed\n");
}

TEST_CASE("a batch dropped after a failed write closes every descriptor it held") {
    const std::size_t before = open_descriptors();
    {
        Layout layout;
        Batch batch;
        layout.stage_all(batch);
        batch.open(layout.path("one/new")).write("streamed\n");
        ScopedFault fault(Call::write, EIO);
        CHECK_THROWS_AS(batch.write(layout.path("two/f"), "x"), Error);
    }
    CHECK(open_descriptors() == before);
}

TEST_CASE("Durability::data fdatasyncs the temps and still fsyncs each directory once") {
    Layout layout;
    Batch batch(ReplaceOptions().with_durability(Durability::data));
    layout.stage_all(batch);
    CallRecorder recorder;
    batch.commit();
    CHECK(recorder.count(Call::fdatasync) == 5);
    CHECK(recorder.count(Call::fsync) == 2);
    layout.check_all_new();
}

TEST_CASE("Durability::none syncs nothing and starts no writeback") {
    Layout layout;
    CallRecorder recorder;
    Batch batch(ReplaceOptions().with_durability(Durability::none));
    layout.stage_all(batch);
    batch.commit();
    CHECK(recorder.count(Call::fsync) == 0);
    CHECK(recorder.count(Call::fdatasync) == 0);
    CHECK(recorder.count(Call::writeback) == 0);
    layout.check_all_new();
}

TEST_CASE("a file with options of its own is synced by them") {
    Layout layout;
    Batch batch;
    batch.write(layout.path("one/a"), "synced\n");
    batch.write(layout.path("two/d"), "not synced\n",
                ReplaceOptions().with_durability(Durability::none));
    CallRecorder recorder;
    batch.commit();
    CHECK(recorder.count(Call::fsync) == 1 + 1);  // one/a and its directory; two/ is not synced
    CHECK(read_file(layout.dir / "two/d") == "not synced\n");
}

TEST_CASE("the barrier's fsyncs are issued from several threads at once") {
    Layout layout;
    for (int i = 0; i < 60; ++i) layout.names.push_back("one/many" + std::to_string(i));
    Batch batch;
    layout.stage_all(batch);
    std::set<std::thread::id> threads;
    // The seam consults plans one call at a time, so the set needs no lock of its own; the
    // pause lets every thread of the pool reach its first fsync.
    platform::FaultScope watch([&](Call call) {
        if (call == Call::fsync) {
            threads.insert(std::this_thread::get_id());
            std::this_thread::sleep_for(std::chrono::milliseconds(1));
        }
        return 0;
    });
    batch.commit();
    CHECK(threads.size() > 1);
    CHECK(threads.size() <= 32);
}

TEST_CASE("with skip_unchanged a file whose content is unchanged is left as it was") {
    Layout layout;
    const std::uint64_t inode = snapshot(layout.dir / "one/b").inode;
    Batch batch(ReplaceOptions().with_skip_unchanged(true));
    batch.write(layout.path("one/a"), new_content("one/a"));
    batch.write(layout.path("one/b"), old_content);
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == new_content("one/a"));
    CHECK(snapshot(layout.dir / "one/b").inode == inode);
    CHECK(batch.replaced() == std::vector<std::string>{layout.path("one/a")});
    CHECK(batch.not_replaced() == std::vector<std::string>{layout.path("one/b")});
}

// ---- each failing step ---------------------------------------------------------------------

TEST_CASE("a write that fails while staging stages nothing; the files before it still commit") {
    Layout layout;
    Batch batch;
    batch.write(layout.path("one/a"), new_content("one/a"));
    {
        ScopedFault fault(Call::write, ENOSPC);
        try {
            batch.write(layout.path("one/b"), new_content("one/b"));
            FAIL("the write did not fail");
        } catch (const Error& e) {
            CHECK(e.step_id() == Step::write_temp);
            CHECK(e.path() == layout.path("one/b"));
            CHECK(e.code() == std::errc::no_space_on_device);
        }
    }
    CHECK(batch.size() == 1);
    CHECK(list_dir(layout.dir / "one") == std::vector<std::string>{"a", "b", "c"});
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == new_content("one/a"));
    CHECK(read_file(layout.dir / "one/b") == old_content);
}

namespace {

// A descriptor of path opened for reading, closed at the end of the scope.
struct ReadFd {
    int fd;
    explicit ReadFd(const fs::path& path) : fd(::open(path.c_str(), O_RDONLY | O_CLOEXEC)) {
        REQUIRE(fd >= 0);
    }
    ~ReadFd() { ::close(fd); }
};

}  // namespace

TEST_CASE("copy() stages a regular file's whole content with one transfer and no seek") {
    Layout layout;
    std::vector<std::unique_ptr<ReadFd>> sources;
    for (int i = 0; i < 10; ++i) {
        write_file(layout.dir / ("source" + std::to_string(i)), "copied " + std::to_string(i));
        sources.push_back(std::make_unique<ReadFd>(layout.dir / ("source" + std::to_string(i))));
    }
    // The descriptor's own offset is neither used nor moved: the whole file is copied.
    REQUIRE(::lseek(sources[3]->fd, 4, SEEK_SET) == 4);
    Batch batch;
    std::vector<std::string> targets;
    {
        CallRecorder recorder;
        for (int i = 0; i < 10; ++i)
            targets.push_back(
                batch.copy(layout.path("two/copy" + std::to_string(i)), sources[i]->fd));
        // One transfer per file, none to find the end, and no seek of the temp.
        CHECK(recorder.count(Call::copy) == 10);
        CHECK(recorder.count(Call::seek) == 0);
        CHECK(recorder.count(Call::writeback) == 10);  // started while staging, as write() does
    }
    CHECK(::lseek(sources[3]->fd, 0, SEEK_CUR) == 4);
    CHECK(targets[9] == layout.path("two/copy9"));
    batch.commit();
    CHECK(batch.replaced() == targets);
    for (int i = 0; i < 10; ++i)
        CHECK(read_file(layout.dir / ("two/copy" + std::to_string(i))) ==
              "copied " + std::to_string(i));
}

TEST_CASE("copy() keeps the old file's mode and copies a file larger than one piece whole") {
    Layout layout;
    ::chmod(layout.path("one/a").c_str(), 0640);
    std::string big(9 << 20, 'x');  // 9 MiB: two transfers
    for (std::size_t i = 0; i < big.size(); i += 4096) big[i] = static_cast<char>('a' + i % 26);
    write_file(layout.dir / "big", big);
    ReadFd source(layout.dir / "big");
    Batch batch;
    batch.copy(layout.path("one/a"), source.fd);
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == big);
    CHECK(file_mode(layout.dir / "one/a") == 0640);
}

TEST_CASE("copy() reads a pipe, and a regular file reporting size 0, to their end") {
    Layout layout;
    int ends[2];
    REQUIRE(::pipe(ends) == 0);
    REQUIRE(::write(ends[1], "piped\n", 6) == 6);
    ::close(ends[1]);
    // /proc files say size 0 and hold text: read to their end, not copied empty.
    ReadFd proc("/proc/self/status");
    Batch batch;
    batch.copy(layout.path("one/a"), ends[0]);
    batch.copy(layout.path("one/b"), proc.fd);
    ::close(ends[0]);
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == "piped\n");
    CHECK(read_file(layout.dir / "one/b").find("Name:") == 0);
}

TEST_CASE("copy() reads a file reporting size 0 from its start, the descriptor's offset unmoved") {
    Layout layout;
    ReadFd proc("/proc/self/status");
    char head[8];
    REQUIRE(::read(proc.fd, head, sizeof head) == sizeof head);  // the caller read some already
    Batch batch;
    batch.copy(layout.path("one/a"), proc.fd);
    CHECK(::lseek(proc.fd, 0, SEEK_CUR) == sizeof head);
    batch.commit();
    CHECK(read_file(layout.dir / "one/a").find("Name:") == 0);
}

TEST_CASE("a symlink or directory another user plants at a new file's name is not followed") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    const fs::path shared = dir / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms(01777));
    write_file(dir / "victim", old_content);
    Batch batch;
    batch.write((shared / "link").string(), "new\n");
    batch.write((shared / "dir").string(), "new\n");
    // Between staging and commit, nobody plants a link to root's file and a directory.
    REQUIRE(run_unprivileged([&] {
                return ::symlink((dir / "victim").c_str(), (shared / "link").c_str()) |
                       ::mkdir((shared / "dir").c_str(), 0755);
            }) == 0);
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
        CHECK(e.path() == (shared / "dir").string());
        CHECK(e.code() == std::errc::is_a_directory);
    }
    CHECK(read_file(dir / "victim") == old_content);
    CHECK(fs::is_regular_file(fs::symlink_status(shared / "link")));
    CHECK(read_file(shared / "link") == "new\n");
    CHECK(fs::is_directory(fs::symlink_status(shared / "dir")));
    CHECK(batch.replaced() == std::vector<std::string>{(shared / "link").string()});
    CHECK(batch.not_replaced() == std::vector<std::string>{(shared / "dir").string()});
    CHECK(list_dir(shared) == std::vector<std::string>{"dir", "link"});
}

TEST_CASE("a copy stopped or failing stages nothing; the files before it still commit") {
    Layout layout;
    write_file(layout.dir / "source", "copied\n");
    ReadFd source(layout.dir / "source");
    Batch batch;
    batch.copy(layout.path("one/a"), source.fd);
    try {
        batch.copy(layout.path("one/b"), source.fd, ReplaceOptions{}, [] { return true; });
        FAIL("the stopped copy did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::copy_into_temp);
        CHECK(e.code() == std::errc::operation_canceled);
        CHECK(e.path() == layout.path("one/b"));
    }
    {
        ScopedFault fault(Call::copy, EIO);
        std::error_code ec;
        CHECK(batch.copy(layout.path("one/c"), source.fd, ec) == nullptr);
        CHECK(ec == std::errc::io_error);
    }
    CHECK(batch.size() == 1);
    CHECK(list_dir(layout.dir / "one") == std::vector<std::string>{"a", "b", "c"});
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == "copied\n");
    CHECK(read_file(layout.dir / "one/b") == old_content);
    CHECK(read_file(layout.dir / "one/c") == old_content);
}

TEST_CASE("a file new to its directory is linked at its name: no temp name, no rename") {
    Layout layout;  // one/a one/b one/c two/d exist, two/e is new
    for (int i = 0; i < 10; ++i) layout.names.push_back("two/new" + std::to_string(i));
    Batch batch;
    layout.stage_all(batch);
    CallRecorder recorder;
    batch.commit();
    CHECK(recorder.count(Call::rename) == 4);
    CHECK(recorder.count(Call::link) == 4 + 11);  // a temp name for each old file, 11 targets
    CHECK(recorder.count(Call::lock) == 4);       // only named temps are flock()ed
    CHECK(recorder.count(Call::fsync) == 15 + 2);
    CHECK(batch.replaced().size() == 15);
    CHECK(read_file(layout.dir / "two/new9") == new_content("two/new9"));
    CHECK(list_dir(layout.dir / "two").size() == 2 + 10);  // no temp name left
}

TEST_CASE("a target created after it was staged is still replaced, through a rename") {
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    write_file(layout.dir / "two/e", "appeared meanwhile\n");
    batch.commit();
    layout.check_all_new();
}

TEST_CASE("a failed link of a new file is reported as a failed rename, naming what was replaced") {
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    ScopedFault fault(Call::link, ENOSPC, 5);  // four temp names, then two/e at its name
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
        CHECK(e.path() == layout.path("two/e"));
        CHECK(e.code() == std::errc::no_space_on_device);
    }
    CHECK(batch.replaced() == layout.paths(0, 4));
    CHECK(batch.not_replaced() == layout.paths(4, 5));
    CHECK_FALSE(fs::exists(layout.dir / "two/e"));
    CHECK(list_dir(layout.dir / "two") == std::vector<std::string>{"d"});
}

TEST_CASE("a target that appeared and a temp name refused are reported as a failed rename") {
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    write_file(layout.dir / "two/e", "appeared meanwhile\n");
    // Four temp names, two/e at its name (taken), then two/e's temp name: a full directory.
    ScopedFault fault(Call::link, ENOSPC, 6);
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
        CHECK(e.path() == layout.path("two/e"));
        CHECK(e.code() == std::errc::no_space_on_device);
    }
    CHECK(batch.replaced() == layout.paths(0, 4));
    CHECK(batch.not_replaced() == layout.paths(4, 5));
    CHECK(read_file(layout.dir / "two/e") == "appeared meanwhile\n");
    CHECK(list_dir(layout.dir / "two") == std::vector<std::string>{"d", "e"});
}

TEST_CASE("a barrier fsync that fails publishes nothing and removes every temp") {
    for (int nth : {1, 3, 5}) {
        CAPTURE(nth);
        Layout layout;
        ScopedFault named({{Call::create_anonymous, EOPNOTSUPP, 0}});  // temps with names
        Batch batch;
        layout.stage_all(batch);
        ScopedFault fault(Call::fsync, EIO, nth);
        try {
            batch.commit();
            FAIL("the commit did not fail");
        } catch (const Error& e) {
            CHECK(e.step_id() == Step::sync_temp);
            CHECK(e.code() == std::errc::io_error);
            CHECK_FALSE(is_replaced(e));
            const std::vector<std::string> all = layout.paths(0, 5);
            CHECK(std::count(all.begin(), all.end(), e.path()) == 1);
        }
        layout.check_untouched();
        CHECK(batch.replaced().empty());
        CHECK(batch.not_replaced() == layout.paths(0, 5));
    }
}

TEST_CASE("a writeback that fails at commit publishes nothing") {
    Layout layout;
    Batch batch;
    batch.write(layout.path("one/a"), new_content("one/a"));
    batch.open(layout.path("two/d")).write("streamed\n");
    ScopedFault fault(Call::writeback, EIO);  // the streamed file's, started by commit()
    std::error_code ec;
    batch.commit(ec);
    CHECK(ec == std::errc::io_error);
    CHECK(step_of(ec) == Step::sync_temp);
    CHECK(read_file(layout.dir / "one/a") == old_content);
    CHECK(read_file(layout.dir / "two/d") == old_content);
    CHECK(list_dir(layout.dir / "two") == std::vector<std::string>{"d"});
}

TEST_CASE("a failed rename says exactly which files were replaced and which were not") {
    Layout layout;
    ScopedFault named({{Call::create_anonymous, EOPNOTSUPP, 0}});
    Batch batch;
    layout.stage_all(batch);
    CallRecorder recorder;
    ScopedFault fault(Call::rename, EXDEV, 4);  // two/d
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::rename);
        CHECK(e.path() == layout.path("two/d"));
        CHECK(e.code() == std::errc::cross_device_link);
    }
    CHECK(batch.replaced() == layout.paths(0, 3));
    CHECK(batch.not_replaced() == layout.paths(3, 5));
    for (const std::string name : {"one/a", "one/b", "one/c"})
        CHECK(read_file(layout.dir / name) == new_content(name));
    CHECK(read_file(layout.dir / "two/d") == old_content);
    CHECK_FALSE(fs::exists(layout.dir / "two/e"));
    CHECK(list_dir(layout.dir / "one") == std::vector<std::string>{"a", "b", "c"});
    CHECK(list_dir(layout.dir / "two") == std::vector<std::string>{"d"});
    // The replaced files' directory is synced all the same; two/ received nothing.
    CHECK(recorder.count(Call::fsync) == 5 + 1);
}

TEST_CASE("a temp that cannot be named publishes nothing and removes every temp") {
    // A full directory refuses the temp name's entry (ENOSPC): found before any rename.
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    ScopedFault fault(Call::link, ENOSPC, 4);  // two/d's temp name
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.path() == layout.path("two/d"));
        CHECK(e.code() == std::errc::no_space_on_device);
        CHECK_FALSE(is_replaced(e));
    }
    CHECK(batch.replaced().empty());
    CHECK(batch.not_replaced() == layout.paths(0, 5));
    layout.check_untouched();
}

TEST_CASE("a file the sticky bit would keep us from replacing is refused when it is staged") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    // root's file in a sticky world-writable directory, and nobody's batch of their own file and
    // root's: the kernel would refuse the second rename after publishing the first.
    ScratchDir dir;
    fs::permissions(dir.path(), fs::perms(0755));
    const fs::path shared = dir / "shared";
    fs::create_directory(shared);
    fs::permissions(shared, fs::perms(01777));
    write_file(shared / "root", old_content);
    const int result = run_unprivileged([&] {
        Batch batch;
        batch.write((shared / "mine").string(), "mine\n");
        std::error_code ec;
        batch.write((shared / "root").string(), "pwned\n", ec);
        if (ec != std::errc::operation_not_permitted) return 10;
        if (batch.size() != 1) return 11;
        batch.commit();
        return 0;
    });
    CHECK(result == 0);
    CHECK(read_file(shared / "root") == old_content);
    CHECK(read_file(shared / "mine") == "mine\n");
    CHECK(list_dir(shared) == std::vector<std::string>{"mine", "root"});
}

TEST_CASE("a failed directory sync reports every file replaced and still syncs the others") {
    Layout layout;
    Batch batch;
    layout.stage_all(batch);
    CallRecorder recorder;
    ScopedFault fault(Call::fsync, EIO, 6);  // the first directory sync
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::directory_sync);
        CHECK(e.code() == atomfile::errc::replaced_not_durable);
        CHECK(is_replaced(e));
    }
    // The recorder sits under the fault, which hides the failed call from it.
    CHECK(fault.calls_seen() == 5 + 2);
    CHECK(recorder.count(Call::fsync) == 5 + 1);
    CHECK(batch.replaced() == layout.paths(0, 5));
    CHECK(batch.not_replaced().empty());
    layout.check_all_new();
}

TEST_CASE("a backup that fails publishes nothing") {
    Layout layout;
    fs::create_directory(layout.dir / "two/d~");  // checked again at commit: made after staging
    fs::remove(layout.dir / "two/d~");
    Batch batch(ReplaceOptions().with_backup_suffix("~"));
    layout.stage_all(batch);
    fs::create_directory(layout.dir / "two/d~");
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::backup);
        CHECK(e.code() == atomfile::errc::backup_failed);
    }
    CHECK(batch.replaced().empty());
    for (const std::string name : {"one/a", "one/b", "one/c", "two/d"})
        CHECK(read_file(layout.dir / name) == old_content);
    CHECK_FALSE(fs::exists(layout.dir / "two/e"));
}

TEST_CASE("a conflict found at commit publishes nothing") {
    Layout layout;
    Batch batch(ReplaceOptions().with_detect_conflicts(true));
    layout.stage_all(batch);
    write_file(layout.dir / "two/new", "another writer's\n");
    fs::rename(layout.dir / "two/new", layout.dir / "two/d");
    try {
        batch.commit();
        FAIL("the commit did not fail");
    } catch (const Error& e) {
        CHECK(e.code() == atomfile::errc::conflict);
        CHECK(e.path() == layout.path("two/d"));
    }
    CHECK(read_file(layout.dir / "one/a") == old_content);
    CHECK(read_file(layout.dir / "two/d") == "another writer's\n");
}

TEST_CASE("a file the caller committed or discarded on its own is left out of the batch") {
    Layout layout;
    Batch batch;
    AtomicFile& own = batch.open(layout.path("one/a"));
    own.write("committed on its own\n");
    own.commit();
    AtomicFile& dropped = batch.open(layout.path("one/b"));
    dropped.write("dropped\n");
    dropped.discard();
    batch.write(layout.path("one/c"), new_content("one/c"));
    batch.commit();
    CHECK(read_file(layout.dir / "one/a") == "committed on its own\n");
    CHECK(read_file(layout.dir / "one/b") == old_content);
    CHECK(read_file(layout.dir / "one/c") == new_content("one/c"));
    CHECK(batch.replaced() == std::vector<std::string>{layout.path("one/c")});
}

// ---- crash sweep ---------------------------------------------------------------------------

namespace {

struct CrashScenario {
    const char* what;
    ReplaceOptions options;
    bool named_temps = false;
};

void commit_layout(const Layout& layout, const CrashScenario& scenario) {
    std::optional<ScopedFault> named;
    if (scenario.named_temps) named.emplace(Call::create_anonymous, EOPNOTSUPP, 0);
    Batch batch(scenario.options);
    layout.stage_all(batch);
    batch.commit();
}

// Kills the process at its k-th system call, whichever thread makes it.
int commit_in_child(const Layout& layout, const CrashScenario& scenario, int k) {
    return run_killed_at_call(k, [&] { commit_layout(layout, scenario); });
}

int count_calls(const CrashScenario& scenario) {
    Layout layout;
    CallRecorder recorder;
    commit_layout(layout, scenario);
    return static_cast<int>(recorder.calls().size());
}

// After a kill: each file old or new (a backup, when kept, old), and once the sweeper has run
// no name but the files and their backups.
void check_after_kill(const Layout& layout, const CrashScenario& scenario) {
    const bool backups = !scenario.options.backup_suffix.empty();
    for (const std::string& name : layout.names) {
        CAPTURE(name);
        if (!fs::exists(layout.dir / name)) {
            CHECK(name == "two/e");
            continue;
        }
        const std::string content = read_file(layout.dir / name);
        CHECK((content == old_content || content == new_content(name)));
        if (backups && name != "two/e" && content == new_content(name))
            CHECK(read_file(layout.dir / (name + "~")) == old_content);
        if (fs::exists(layout.dir / (name + "~")))
            CHECK(read_file(layout.dir / (name + "~")) == old_content);
    }
    for (const char* directory : {"one", "two"}) {
        remove_orphaned_temps(layout.dir / directory, std::chrono::seconds(0));
        for (const std::string& entry : list_dir(layout.dir / directory)) {
            CAPTURE(entry);
            CHECK(entry.find(".atomfile-") == std::string::npos);
        }
    }
}

void sweep(const CrashScenario& scenario) {
    const int calls = count_calls(scenario);
    const std::string what = scenario.what;
    CAPTURE(what);
    for (int k = 1; k <= calls + 1; ++k) {
        CAPTURE(k);
        Layout layout;
        const int status = commit_in_child(layout, scenario, k);
        if (k > calls) {
            REQUIRE(WIFEXITED(status));
            CHECK(WEXITSTATUS(status) == 0);
            for (const std::string& name : layout.names)
                CHECK(read_file(layout.dir / name) == new_content(name));
            check_after_kill(layout, scenario);
            return;
        }
        REQUIRE(WIFSIGNALED(status));
        check_after_kill(layout, scenario);
    }
}

}  // namespace

TEST_CASE("a batch killed at any system call of its commit leaves each file old or new") {
    sweep({"O_TMPFILE temps", {}});
    sweep({"named temps", {}, true});
    sweep({"backups and locks", ReplaceOptions().with_backup_suffix("~").with_lock(true), true});
}
