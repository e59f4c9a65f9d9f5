#include <doctest/doctest.h>

#include <unistd.h>

#include <cerrno>
#include <functional>

#include "atomfile/error.hpp"
#include "atomfile/spooled_temporary_file.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

SpooledTemporaryFileOptions spooled_in(const fs::path& dir, std::size_t max_size) {
    SpooledTemporaryFileOptions options;
    options.max_size = max_size;
    options.dir = dir;
    return options;
}

std::string read_through_descriptor(int fd) {
    std::string data(4096, '\0');
    long got = ::pread(fd, data.data(), data.size(), 0);
    data.resize(got < 0 ? 0 : static_cast<std::size_t>(got));
    return data;
}

}  // namespace

TEST_CASE("with the default max_size of 0 size never rolls it over") {
    SpooledTemporaryFile spooled;
    CHECK(spooled.max_size() == 0);
    spooled.write(std::string(1 << 20, 'x'));
    CHECK_FALSE(spooled.rolled_over());
    CHECK(spooled.truncate(1 << 21) == 1 << 21);
    CHECK_FALSE(spooled.rolled_over());
}

TEST_CASE("a write rolls it over only when the size ends strictly above max_size") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 10));
    spooled.write("0123456789");
    CHECK_FALSE(spooled.rolled_over());
    spooled.write("A");
    CHECK(spooled.rolled_over());
    CHECK(spooled.tell() == 11);
    spooled.seek(0);
    CHECK(spooled.read() == "0123456789A");
}

TEST_CASE("rewriting inside max_size stays in memory, writing past it rolls over") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 10));
    spooled.write("12345678");
    spooled.seek(0);
    spooled.write("abcdefgh");
    CHECK_FALSE(spooled.rolled_over());
    spooled.seek(5);
    spooled.write("XYZ!!!");  // ends at 11
    CHECK(spooled.rolled_over());
    spooled.seek(0);
    CHECK(spooled.read() == "abcdeXYZ!!!");
}

TEST_CASE("a write after seeking beyond max_size rolls over and fills the gap with zeros") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 10));
    spooled.write("ab");
    spooled.seek(20);
    CHECK_FALSE(spooled.rolled_over());  // seeking alone changes nothing
    spooled.write("z");
    CHECK(spooled.rolled_over());
    spooled.seek(0);
    CHECK(spooled.read() == std::string("ab") + std::string(18, '\0') + "z");
}

TEST_CASE("fileno() rolls it over and gives a descriptor holding the data") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 1000));
    spooled.write("small data");
    spooled.seek(6);
    int fd = spooled.fileno();
    CHECK(spooled.rolled_over());
    CHECK(fd >= 0);
    CHECK(read_through_descriptor(fd) == "small data");
    CHECK(spooled.tell() == 6);
    CHECK(spooled.read() == "data");
    CHECK(spooled.fileno() == fd);
}

TEST_CASE("truncate rolls it over only beyond max_size") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 10));
    spooled.write("abc");
    CHECK(spooled.truncate(10) == 10);
    CHECK_FALSE(spooled.rolled_over());
    CHECK(spooled.truncate(2) == 2);
    CHECK_FALSE(spooled.rolled_over());
    CHECK(spooled.truncate(11) == 11);
    CHECK(spooled.rolled_over());
    spooled.seek(0);
    CHECK(spooled.read() == std::string("ab") + std::string(9, '\0'));
}

TEST_CASE("rollover() moves the data to disk now and keeps the position") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 0));
    spooled.write("hello world");
    spooled.seek(6);
    spooled.rollover();
    CHECK(spooled.rolled_over());
    CHECK(spooled.tell() == 6);
    CHECK(spooled.read() == "world");
    spooled.rollover();
    CHECK(spooled.tell() == 11);
}

TEST_CASE("the rolled-over file is an anonymous temp in the chosen directory") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 0));
    spooled.rollover();
    CHECK(list_dir(dir.path()).empty());
    std::string target = fs::read_symlink("/proc/self/fd/" + std::to_string(spooled.fileno()));
    CHECK(target.rfind(dir.path().string() + "/", 0) == 0);
}

TEST_CASE("a failed rollover keeps the data in memory and reports the error") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir / "missing", 4));
    spooled.write("abc");
    try {
        spooled.write("de");
        FAIL("a rollover into a missing directory succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(e.path() == (dir / "missing").string());
    }
    CHECK_FALSE(spooled.rolled_over());
    spooled.seek(0);
    CHECK(spooled.read() == "abc");
    std::error_code ec;
    CHECK(spooled.fileno(ec) == -1);
    CHECK(ec == std::errc::no_such_file_or_directory);
}

// The same script of operations, run on a file in memory and on one rolled over, must give the
// same results step by step.
TEST_CASE("read, write, seek, tell and truncate behave the same before and after rollover") {
    ScratchDir dir;
    auto script = [](SpooledTemporaryFile& f) {
        std::vector<std::string> out;
        auto note = [&](auto value) { out.push_back(std::to_string(value)); };
        note(f.write("The quick brown fox"));
        note(f.tell());
        note(f.seek(4));
        out.push_back(f.read(5));
        note(f.tell());
        note(f.seek(-3, Whence::end));
        out.push_back(f.read());
        out.push_back(f.read());
        note(f.seek(-10, Whence::current));
        note(f.truncate());
        note(f.tell());
        note(f.seek(2, Whence::end));
        note(f.write("!"));
        note(f.seek(0));
        out.push_back(f.read(100));
        note(f.truncate(3));
        note(f.tell());
        out.push_back(f.read());
        note(f.seek(0));
        out.push_back(f.read());
        note(f.seek(5, Whence::end));
        out.push_back(f.read());
        note(f.tell());
        std::error_code ec;
        f.seek(-1, Whence::set, ec);
        out.push_back(ec ? "seek error" : "no error");
        note(f.tell());
        return out;
    };
    SpooledTemporaryFile in_memory(spooled_in(dir.path(), 0));
    SpooledTemporaryFile on_disk(spooled_in(dir.path(), 0));
    on_disk.rollover();
    std::vector<std::string> memory_results = script(in_memory);
    std::vector<std::string> disk_results = script(on_disk);
    CHECK_FALSE(in_memory.rolled_over());
    CHECK(memory_results == disk_results);
}

TEST_CASE("a closed spooled file refuses I/O") {
    SpooledTemporaryFile spooled(5);
    spooled.write("x");
    spooled.close();
    CHECK(spooled.closed());
    std::error_code ec;
    spooled.write("y", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    spooled.read(1, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    spooled.rollover(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    spooled.close();
}

TEST_CASE("a moved spooled file keeps its data and state") {
    ScratchDir dir;
    SpooledTemporaryFile source(spooled_in(dir.path(), 3));
    source.write("abcd");
    SpooledTemporaryFile destination(std::move(source));
    CHECK(source.closed());
    CHECK(destination.rolled_over());
    destination.seek(0);
    CHECK(destination.read() == "abcd");
}

TEST_CASE("a rolled-over file is invisible to an exec'd child") {
    ScratchDir dir;
    SpooledTemporaryFile spooled(spooled_in(dir.path(), 1));
    spooled.write("ab");
    REQUIRE(spooled.rolled_over());
    CHECK_FALSE(child_sees_anything_in(dir.path()));
}

TEST_CASE("options set by name equal the positional ones") {
    ScratchDir dir;
    const SpooledTemporaryFileOptions positional{16, ".spool", "big_", dir.path()};
    const SpooledTemporaryFileOptions named = SpooledTemporaryFileOptions()
                                                  .with_max_size(16)
                                                  .with_suffix(".spool")
                                                  .with_prefix("big_")
                                                  .with_dir(dir.path());
    CHECK(named.max_size == positional.max_size);
    CHECK(named.suffix == positional.suffix);
    CHECK(named.prefix == positional.prefix);
    CHECK(named.dir.str() == positional.dir.str());
    SpooledTemporaryFile spooled(SpooledTemporaryFileOptions().with_max_size(4));
    CHECK(spooled.max_size() == 4);
    spooled.write("abcde");
    CHECK(spooled.rolled_over());
}
