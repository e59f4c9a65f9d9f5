// The undo record of the in-place fallback: only a record of ours, whole, naming this file and
// not held by a live writer, is ever used to restore a file.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <string>
#include <vector>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

const ReplaceOptions fallback = ReplaceOptions().with_in_place_fallback(true);

// Leaves the record of an overwrite that failed half-way: the file holds a mix.
void interrupt_overwrite(const fs::path& file, const std::string& old_content) {
    write_file(file, old_content);
    ScopedFault faults({{platform::Call::rename, EBUSY}, {platform::Call::truncate, EIO}});
    CHECK_THROWS_AS(write_atomic(file.string(), "x", fallback), Error);
}

fs::path record_of(const fs::path& file) {
    struct stat status {};
    REQUIRE(::stat(file.c_str(), &status) == 0);
    return file.parent_path() / (".atomfile-undo-" + std::to_string(status.st_dev) + "-" +
                                 std::to_string(status.st_ino));
}

void expect_refusal(const fs::path& file, std::errc why) {
    try {
        recover_in_place(file.string());
        FAIL("recover_in_place did not refuse");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::restore_undo);
        CHECK(e.errno_code() == why);
        CHECK(e.path() == record_of(file).string());
    }
}

}  // namespace

TEST_CASE(
    "a record is written whole before the file is touched, with the old bytes after a header") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", std::string("old\0bytes\n", 10));
    const std::string record_content = read_file(record_of(dir / "f"));
    CHECK(record_content.rfind("atomfile undo record 1\n", 0) == 0);
    CHECK(record_content.size() > 10);
    CHECK(record_content.substr(record_content.size() - 10) == std::string("old\0bytes\n", 10));
    CHECK(file_mode(record_of(dir / "f")) == 0600);
}

TEST_CASE("a record that belongs to another user is not trusted and changes nothing") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", "old content");
    if (::geteuid() != 0) return;  // only root can give a file away
    REQUIRE(::chown(record_of(dir / "f").c_str(), 65534, 65534) == 0);
    expect_refusal(dir / "f", std::errc::operation_not_permitted);
    CHECK(read_file(dir / "f") == "xld content");
}

TEST_CASE("a record writable by others is not trusted") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", "old content");
    REQUIRE(::chmod(record_of(dir / "f").c_str(), 0622) == 0);
    expect_refusal(dir / "f", std::errc::operation_not_permitted);
    CHECK(read_file(dir / "f") == "xld content");
}

TEST_CASE("a symlink at the record's name is never followed") {
    ScratchDir dir;
    write_file(dir / "f", "current");
    write_file(dir / "elsewhere", "atomfile undo record 1\n");
    REQUIRE(::symlink((dir / "elsewhere").c_str(), record_of(dir / "f").c_str()) == 0);
    expect_refusal(dir / "f", std::errc::operation_not_permitted);
    CHECK(read_file(dir / "f") == "current");
}

TEST_CASE("a damaged record is refused and left in place") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", "old content");
    const fs::path record = record_of(dir / "f");
    std::string content = read_file(record);
    write_file(record, content.substr(0, content.size() - 3));  // cut short
    REQUIRE(::chmod(record.c_str(), 0600) == 0);
    expect_refusal(dir / "f", std::errc::invalid_argument);
    CHECK(fs::exists(record));
    CHECK(read_file(dir / "f") == "xld content");
}

TEST_CASE("a record naming another file of the same inode number is refused") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", "old content");
    // The same inode under another name: the record says "f", so it is not this file's.
    REQUIRE(::rename((dir / "f").c_str(), (dir / "g").c_str()) == 0);
    expect_refusal(dir / "g", std::errc::invalid_argument);
    CHECK(read_file(dir / "g") == "xld content");
}

TEST_CASE("a record held by a live writer is not restored under it") {
    ScratchDir dir;
    interrupt_overwrite(dir / "f", "old content");
    FileDescriptor held(::open(record_of(dir / "f").c_str(), O_RDONLY | O_CLOEXEC));
    REQUIRE(::flock(held.get(), LOCK_EX) == 0);
    expect_refusal(dir / "f", std::errc::device_or_resource_busy);
    held.reset();
    CHECK(recover_in_place((dir / "f").string()));
    CHECK(read_file(dir / "f") == "old content");
}

TEST_CASE("records live in the undo directory when one is given") {
    ScratchDir dir;
    ScratchDir undo;
    ReplaceOptions options = fallback;
    options.undo_directory = undo.path().string();
    write_file(dir / "f", "old content");
    {
        ScopedFault faults({{platform::Call::rename, EBUSY}, {platform::Call::truncate, EIO}});
        CHECK_THROWS_AS(write_atomic((dir / "f").string(), "x", options), Error);
    }
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
    CHECK(list_dir(undo.path()).size() == 1);
    CHECK_FALSE(recover_in_place((dir / "f").string()));  // looks in f's directory only
    CHECK(recover_in_place((dir / "f").string(), options));
    CHECK(read_file(dir / "f") == "old content");
    CHECK(list_dir(undo.path()).empty());
}

TEST_CASE("no record is written in a directory anyone may write that is not sticky") {
    ScratchDir dir;
    ScratchDir undo;
    write_file(dir / "f", "old content");
    REQUIRE(::chmod(undo.path().c_str(), 0777) == 0);
    ReplaceOptions options = fallback;
    options.undo_directory = undo.path().string();
    {
        ScopedFault busy(platform::Call::rename, EBUSY);
        try {
            write_atomic((dir / "f").string(), "new", options);
            FAIL("write_atomic did not refuse");
        } catch (const Error& e) {
            CHECK(e.step_id() == Step::write_undo);
            CHECK(e.errno_code() == std::errc::operation_not_permitted);
            CHECK(e.step().find("not sticky") != std::string::npos);
        }
    }
    CHECK(read_file(dir / "f") == "old content");
    CHECK(list_dir(undo.path()).empty());
    // Sticky, as /tmp is: others cannot remove our record there.
    REQUIRE(::chmod(undo.path().c_str(), 01777) == 0);
    bool fell_back = false;
    options.on_in_place_fallback = [&](const Error&, const std::string&) { fell_back = true; };
    {
        ScopedFault busy(platform::Call::rename, EBUSY);
        CHECK(write_atomic((dir / "f").string(), "new", options));
    }
    CHECK(fell_back);
    CHECK(read_file(dir / "f") == "new");
}
