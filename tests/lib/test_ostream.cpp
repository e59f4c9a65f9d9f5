// AtomicOStream and TempOStream: operator<< into an atomic replace or a temp file.
#include "atomfile/ostream.hpp"

#include <doctest/doctest.h>
#include <sys/stat.h>

#include <cerrno>
#include <iomanip>

#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

std::int64_t size_of(int fd) {
    struct stat st {};
    REQUIRE(::fstat(fd, &st) == 0);
    return st.st_size;
}

// Runs body, which must throw atomfile::Error, and returns it.
template <class Body>
Error error_from(Body&& body) {
    try {
        body();
    } catch (const Error& e) {
        return e;
    }
    FAIL("no atomfile::Error thrown");
    return Error(std::error_code(), std::string(), std::string());
}

}  // namespace

TEST_CASE("formatted output is published by commit, and not before") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicOStream out((dir / "f").string());
    out << "workers = " << 8 << '\n' << std::fixed << std::setprecision(2) << 1.5 << std::endl;
    CHECK(read_file(dir / "f") == "old");  // even after std::endl's flush
    out.commit();
    CHECK(read_file(dir / "f") == "workers = 8\n1.50\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("destroyed without commit, the stream leaves the target untouched and no temp") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const FileSnapshot before = snapshot(dir / "f");
    {
        AtomicOStream out((dir / "f").string());
        out << std::string(300000, 'x');  // past the buffer: the temp holds data meanwhile
        CHECK(size_of(out.file().temp_descriptor()) > 0);
    }
    try {
        AtomicOStream out((dir / "f").string());
        out << "half a file";
        throw std::runtime_error("the caller gives up");
    } catch (const std::runtime_error&) {
    }
    CHECK(snapshot(dir / "f") == before);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a write failure sets badbit and surfaces at commit with the path and the step") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    const FileSnapshot before = snapshot(dir / "f");
    AtomicOStream out((dir / "f").string());
    {
        ScopedFault disk_full(platform::Call::write, ENOSPC);
        out << std::string(100000, 'x');
        CHECK(disk_full.fired());
    }
    CHECK(out.bad());
    CHECK(out.error() == std::errc::no_space_on_device);
    out.clear();
    out << "more";  // dropped: the stream keeps failing once a write failed
    CHECK(out.bad());
    Error e = error_from([&] { out.commit(); });
    CHECK(e.code() == std::errc::no_space_on_device);
    CHECK(e.step() == "write temp file");
    CHECK(e.path() == (dir / "f").string());
    CHECK(snapshot(dir / "f") == before);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a write failure while commit flushes the buffer is thrown and nothing is published") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicOStream out((dir / "f").string());
    out << "small enough to stay in the buffer";
    CHECK(out.good());
    ScopedFault disk_full(platform::Call::write, EIO);
    std::error_code ec;
    out.commit(ec);
    CHECK(ec == std::errc::io_error);
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("large output reaches the temp as it is written, never more than 64 KiB behind") {
    ScratchDir dir;
    AtomicOStream out((dir / "big").string());
    const int fd = out.file().temp_descriptor();
    std::string expected;
    std::string piece(1000, ' ');
    std::int64_t written = 0;
    std::int64_t most_behind = 0;
    for (int i = 0; i < 8 * 1024; ++i) {
        for (std::size_t j = 0; j < piece.size(); ++j)
            piece[j] = static_cast<char>('a' + (i + j) % 26);
        out << piece;
        expected += piece;
        written += static_cast<std::int64_t>(piece.size());
        most_behind = std::max(most_behind, written - size_of(fd));
    }
    CHECK(most_behind > 0);  // it does buffer
    CHECK(most_behind <= 64 * 1024);
    const std::string huge(3 * 1024 * 1024, 'h');  // bigger than the buffer: goes straight through
    out << huge;
    expected += huge;
    CHECK(size_of(fd) == static_cast<std::int64_t>(expected.size()));
    out.commit();
    CHECK(read_file(dir / "big") == expected);
}

TEST_CASE("commit refuses a stream whose failbit was set, and publishes nothing") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicOStream out((dir / "f").string());
    out << "partial";
    out.setstate(std::ios::failbit);  // e.g. a caller's operator<< that failed
    Error e = error_from([&] { out.commit(); });
    CHECK(e.code() == std::errc::io_error);
    CHECK(e.step() == "commit a stream in a failed state");
    CHECK(e.path() == (dir / "f").string());
    CHECK(read_file(dir / "f") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("once committed the stream is spent: output fails, commit again is bad_file_descriptor") {
    ScratchDir dir;
    AtomicOStream out((dir / "f").string());
    out << "first";
    out.commit();
    out << "second";
    out.flush();
    CHECK(out.bad());
    Error e = error_from([&] { out.commit(); });
    CHECK(e.code() == std::errc::bad_file_descriptor);
    CHECK(read_file(dir / "f") == "first");
}

TEST_CASE("with exceptions(badbit) a failed write throws ios_base::failure, commit the Error") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicOStream out((dir / "f").string());
    out.exceptions(std::ios::badbit);
    {
        ScopedFault disk_full(platform::Call::write, ENOSPC);
        CHECK_THROWS_AS(out << std::string(100000, 'x'), std::ios_base::failure);
    }
    Error e = error_from([&] { out.commit(); });
    CHECK(e.code() == std::errc::no_space_on_device);
    CHECK(read_file(dir / "f") == "old");
}

TEST_CASE("a stream over an opened AtomicFile can edit the old content") {
    ScratchDir dir;
    write_file(dir / "f", "a\nb\n");
    std::error_code ec;
    AtomicFile opened((dir / "f").string(), {}, ec);
    REQUIRE(!ec);
    AtomicOStream out(std::move(opened));
    CHECK(out.target_path() == (dir / "f").string());
    out << "# edited\n" << out.file().read_original();
    out.commit();
    CHECK(read_file(dir / "f") == "# edited\na\nb\n");
}

TEST_CASE("a moved stream keeps its buffered output and has one owner") {
    ScratchDir dir;
    write_file(dir / "f", "old");
    AtomicOStream first((dir / "f").string());
    first << "one ";
    AtomicOStream second(std::move(first));
    second << "two";
    first << "lost";
    CHECK(first.bad());
    CHECK_THROWS_AS(first.commit(), Error);
    CHECK(read_file(dir / "f") == "old");
    AtomicOStream third((dir / "g").string());
    third = std::move(second);  // third's own file is discarded
    third.commit();
    CHECK(read_file(dir / "f") == "one two");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE(
    "a temp stream writes at the file's position, flushed on flush(), close() and destruction") {
    NamedTemporaryFile temp;
    TempOStream out(temp);
    out << "n=" << 42;
    CHECK(read_file(temp.path()).empty());
    out.flush();
    CHECK(read_file(temp.path()) == "n=42");
    {
        TempOStream more(temp);
        more << ";m=" << 7;
    }
    CHECK(read_file(temp.path()) == "n=42;m=7");
    out << "!";
    out.close();
    CHECK(read_file(temp.path()) == "n=42;m=7!");
    out << "after close";
    out.flush();
    CHECK(out.bad());
    CHECK(read_file(temp.path()) == "n=42;m=7!");
}

TEST_CASE("a temp stream into a spooled file stays in memory until max_size") {
    SpooledTemporaryFile spool(100);
    TempOStream out(spool);
    out << std::string(60, 'x');
    out.flush();
    CHECK(!spool.rolled_over());
    out << std::string(60, 'y');
    out.close();
    CHECK(spool.rolled_over());
    spool.seek(0);
    CHECK(spool.read() == std::string(60, 'x') + std::string(60, 'y'));
}

TEST_CASE("a failed write into a temp file surfaces at close, once") {
    ScratchDir dir;
    TemporaryFile temp(TemporaryFileOptions().with_dir(dir.path()));
    TempOStream out(temp);
    out << "data";
    ScopedFault disk_full(platform::Call::write, ENOSPC);
    Error e = error_from([&] { out.close(); });
    CHECK(e.code() == std::errc::no_space_on_device);
    CHECK(e.step() == "write temp file");
    CHECK(out.error() == std::errc::no_space_on_device);
    CHECK_NOTHROW(out.close());
}
