// AtomicFile: the streaming writer.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("several writes are published together by commit, and not before") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicFile file((dir / "f").string());
    file.write("one ");
    file.write("two ");
    CHECK(read_file(dir / "f") == "old");
    file.write("three");
    file.commit();
    CHECK(read_file(dir / "f") == "one two three");
}

TEST_CASE("destroyed without commit, the writer leaves the target untouched and no temp") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const FileSnapshot before = snapshot(dir / "f");
    {
        AtomicFile file((dir / "f").string());
        file.write("never published");
    }
    {
        ScopedFault no_tmpfile({{platform::Call::create_anonymous, EOPNOTSUPP, 0}});
        AtomicFile file((dir / "f").string());
        file.write("never published either");
        CHECK(list_dir(dir.path()).size() == 2);  // the named temp exists meanwhile
    }
    CHECK(snapshot(dir / "f") == before);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("read_original returns the content the target had when the writer opened it") {
    ScratchDir dir;
    write_file(dir / "f", "original");
    AtomicFile file((dir / "f").string());
    write_file(dir / "other", "swapped in");
    fs::rename(dir / "other", dir / "f");
    CHECK(file.read_original() == "original");
    CHECK(file.read_original() == "original");  // repeatable: read from the start each time
    AtomicFile fresh((dir / "absent").string());
    CHECK(fresh.read_original().empty());
}

TEST_CASE("original_descriptor is the file opened at open time, not what the path names later") {
    ScratchDir dir;
    write_file(dir / "f", "original");
    AtomicFile file((dir / "f").string());
    write_file(dir / "other", "swapped in");
    fs::rename(dir / "other", dir / "f");
    char buffer[16] = {};
    REQUIRE(file.original_descriptor() >= 0);
    CHECK(::pread(file.original_descriptor(), buffer, sizeof buffer, 0) == 8);
    CHECK(std::string(buffer) == "original");
    AtomicFile fresh((dir / "absent").string());
    CHECK(fresh.original_descriptor() == -1);
}

TEST_CASE("read_original reads a file of many huge pages whole, byte for byte") {
    ScratchDir dir;
    std::string big(9 * 1024 * 1024 + 123, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 7) % 26);
    write_file(dir / "f", big);
    AtomicFile file((dir / "f").string());
    CHECK(file.read_original() == big);
}

TEST_CASE("write_from streams a pipe and a regular file into the temp") {
    ScratchDir dir;
    std::string big(300000, 'x');
    for (std::size_t i = 0; i < big.size(); i += 1000) big[i] = static_cast<char>('a' + i % 26);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    std::thread feeder([&] {
        const char* p = big.data();
        std::size_t left = big.size();
        while (left > 0) {
            ssize_t n = ::write(pipe_fds[1], p, left);
            if (n <= 0) break;
            p += n;
            left -= static_cast<std::size_t>(n);
        }
        ::close(pipe_fds[1]);
    });
    AtomicFile from_pipe((dir / "piped").string());
    CHECK(from_pipe.write_from(pipe_fds[0]) == big.size());
    feeder.join();
    ::close(pipe_fds[0]);
    from_pipe.commit();
    CHECK(read_file(dir / "piped") == big);

    int source = ::open((dir / "piped").c_str(), O_RDONLY);
    AtomicFile from_file((dir / "copied").string());
    from_file.write("head:");
    CHECK(from_file.write_from(source) == big.size());
    ::close(source);
    from_file.commit();
    CHECK(read_file(dir / "copied") == "head:" + big);
}

namespace {

// A file holding content, opened for reading: the source of the copy_from tests.
int open_source(const fs::path& path, const std::string& content) {
    write_file(path, content);
    const int fd = ::open(path.c_str(), O_RDONLY);
    REQUIRE(fd >= 0);
    return fd;
}

}  // namespace

TEST_CASE("copy_from appends ranges of another file and leaves that file's offset alone") {
    ScratchDir dir;
    // Past two write-behind pieces, so the copy goes in several transfers.
    std::string big(20 * 1024 * 1024 + 77, '\0');
    for (std::size_t i = 0; i < big.size(); ++i) big[i] = static_cast<char>('a' + (i * 13) % 26);
    write_file(dir / "source", big);
    int source = ::open((dir / "source").c_str(), O_RDONLY);
    REQUIRE(source >= 0);
    REQUIRE(::lseek(source, 5, SEEK_SET) == 5);
    ReplaceOptions options;
    options.durability = Durability::data;  // write-behind on
    AtomicFile file((dir / "f").string(), options);
    file.write("<");
    file.copy_from(source, 3, big.size() - 3);
    file.write("|");
    file.copy_from(source, 0, 10);
    file.copy_from(source, 10, 0);
    CHECK(::lseek(source, 0, SEEK_CUR) == 5);
    CHECK(file.size() == 1 + (big.size() - 3) + 1 + 10);
    file.commit();
    ::close(source);
    CHECK(read_file(dir / "f") == "<" + big.substr(3) + "|" + big.substr(0, 10));
}

TEST_CASE("copy_from of a range past the file's end fails with ENODATA, leaving the target") {
    ScratchDir dir;
    write_file(dir / "source", "0123456789");
    write_file(dir / "f", "old");
    int source = ::open((dir / "source").c_str(), O_RDONLY);
    REQUIRE(source >= 0);
    AtomicFile file((dir / "f").string());
    std::error_code ec;
    file.copy_from(source, 4, 100, ec);
    CHECK(ec == std::errc::no_message_available);
    try {
        file.copy_from(source, 20, 1);
        FAIL("copy_from past the end did not throw");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_message_available);
        CHECK(e.step_id() == Step::copy_into_temp);
    }
    ::close(source);
    file.discard();
    CHECK(read_file(dir / "f") == "old");
}

TEST_CASE("copy_from refuses a range whose end is past any file offset, copying nothing") {
    // offset + length wraps (or offset alone is past the largest offset): refused, not taken
    // for an empty range that succeeds having copied nothing.
    ScratchDir dir;
    const int source = open_source(dir / "source", "0123456789");
    AtomicFile file((dir / "f").string());
    file.write("<");
    const std::uint64_t top = std::uint64_t(1) << 63;
    for (const auto& range :
         {std::pair{std::uint64_t(0), top}, std::pair{std::uint64_t(1), ~std::uint64_t(0)},
          std::pair{top, std::uint64_t(1)}, std::pair{top - 1, top - 1}}) {
        CAPTURE(range.first);
        CAPTURE(range.second);
        std::error_code ec;
        file.copy_from(source, range.first, range.second, ec);
        CHECK(ec == std::errc::invalid_argument);
        CHECK(file.size() == 1);
    }
    ::close(source);
}

TEST_CASE("a copy_from past the file's end leaves no blocks reserved past the temp's end") {
    // The range's blocks are reserved before copying: a range the file cannot fill must not
    // leave a committed file holding them (64 MiB of disk for 11 bytes).
    ScratchDir dir;
    const int source = open_source(dir / "source", "0123456789");
    AtomicFile file((dir / "f").string());
    std::error_code ec;
    file.copy_from(source, 0, std::uint64_t(64) << 20, ec);
    CHECK(ec == std::errc::no_message_available);
    file.write("!");
    file.commit();
    ::close(source);
    CHECK(read_file(dir / "f") == "0123456789!");
    struct stat status {};
    REQUIRE(::stat((dir / "f").c_str(), &status) == 0);
    CHECK(status.st_blocks * 512 < (std::int64_t(1) << 20));
}

TEST_CASE("copy_from reports a failed transfer, and a pipe it cannot read at an offset") {
    ScratchDir dir;
    const int source = open_source(dir / "source", "0123456789");
    AtomicFile file((dir / "f").string());
    std::error_code ec;
    {
        ScopedFault fault(platform::Call::copy, EIO);
        file.copy_from(source, 0, 4, ec);
    }
    CHECK(ec == std::errc::io_error);
    ::close(source);
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    REQUIRE(::write(pipe_fds[1], "abc", 3) == 3);
    file.copy_from(pipe_fds[0], 0, 3, ec);
    CHECK(ec == std::errc::invalid_seek);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
}

TEST_CASE("a failed preallocation is only lost advice: copy_from copies, or fails at its step") {
    ScratchDir dir;
    const int source = open_source(dir / "source", "0123456789");
    for (const int error : {ENOSPC, EOPNOTSUPP}) {
        CAPTURE(error);
        AtomicFile file((dir / "f").string());
        {
            ScopedFault refused(platform::Call::allocate, error);
            file.copy_from(source, 2, 5);
            CHECK(refused.fired());
        }
        file.commit();
        CHECK(read_file(dir / "f") == "23456");
    }
    // A full disk refuses the blocks, then the copy itself: the failure is the copy's.
    AtomicFile file((dir / "f").string());
    {
        ScopedFault full({{platform::Call::allocate, ENOSPC}, {platform::Call::copy, ENOSPC}});
        std::error_code ec;
        file.copy_from(source, 0, 10, ec);
        CHECK(full.calls_seen() == 1);
        CHECK(ec == std::errc::no_space_on_device);
        CHECK(step_of(ec) == Step::copy_into_temp);
    }
    ::close(source);
    file.discard();
    CHECK(read_file(dir / "f") == "23456");
}

TEST_CASE("the temp descriptor can be written directly") {
    ScratchDir dir;
    AtomicFile file((dir / "f").string());
    REQUIRE(::write(file.temp_descriptor(), "direct", 6) == 6);
    file.write("+api");
    file.commit();
    CHECK(read_file(dir / "f") == "direct+api");
}

TEST_CASE("a spent writer refuses further use with bad_file_descriptor") {
    ScratchDir dir;
    AtomicFile file((dir / "f").string());
    file.write("x");
    file.commit();
    std::error_code ec;
    file.commit(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    file.write("y", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(file.temp_descriptor() == -1);
    CHECK(read_file(dir / "f") == "x");
}

TEST_CASE("a writer that failed to open reports it through the error_code constructor") {
    ScratchDir dir;
    std::error_code ec;
    AtomicFile file((dir / "no" / "f").string(), {}, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    file.write("x", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("a moved writer commits to the same target") {
    ScratchDir dir;
    AtomicFile first((dir / "f").string());
    first.write("moved");
    AtomicFile second(std::move(first));
    second.commit();
    CHECK(read_file(dir / "f") == "moved");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a writer asked to lock holds the lock from open to commit") {
    ScratchDir dir;
    ReplaceOptions options;
    options.lock = true;
    AtomicFile file((dir / "f").string(), options);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{".f.atomfile-lock"});
    file.write("x");
    file.commit();
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("replaced() is false before commit and after a commit skip_unchanged made a no-op") {
    ScratchDir dir;
    write_file(dir / "f", "same");
    const std::string path = (dir / "f").string();
    AtomicFile unchanged(path, ReplaceOptions().with_skip_unchanged(true));
    unchanged.write("same");
    CHECK_FALSE(unchanged.replaced());
    unchanged.commit();
    CHECK_FALSE(unchanged.replaced());
    AtomicFile changed(path, ReplaceOptions().with_skip_unchanged(true));
    changed.write("new");
    changed.commit();
    CHECK(changed.replaced());
    CHECK(read_file(dir / "f") == "new");
}

TEST_CASE("skip_unchanged writes when the name was replaced behind an unlocked writer") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const std::string path = (dir / "f").string();
    AtomicFile file(path, ReplaceOptions().with_skip_unchanged(true));
    file.write("old");  // equal to what was opened...
    write_file(dir / "elsewhere", "another writer's");
    fs::rename(dir / "elsewhere", dir / "f");  // ...but the name now holds another file
    file.commit();
    CHECK(file.replaced());
    CHECK(read_file(dir / "f") == "old");
}
