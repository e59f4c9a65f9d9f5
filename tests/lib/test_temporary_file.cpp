#include <doctest/doctest.h>

#include <sys/stat.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/temporary_file.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

TemporaryFileOptions in(const fs::path& dir) {
    TemporaryFileOptions options;
    options.dir = dir;
    return options;
}

struct stat status_of(int fd) {
    struct stat st {};
    ::fstat(fd, &st);
    return st;
}

}  // namespace

TEST_CASE("an anonymous temp has no name anywhere and mode 0600") {
    ScratchDir dir;
    ScopedUmask umask(0);
    TemporaryFile temp(in(dir.path()));
    CHECK(temp.linkable());
    CHECK(temp.directory() == dir.path().string());
    CHECK(list_dir(dir.path()).empty());
    CHECK(status_of(temp.fileno()).st_nlink == 0);
    CHECK((status_of(temp.fileno()).st_mode & 07777) == 0600);
}

TEST_CASE("read, write, seek, tell and truncate work like a file") {
    ScratchDir dir;
    TemporaryFile temp(in(dir.path()));
    CHECK(temp.write("abcdef") == 6);
    temp.flush();
    CHECK(temp.tell() == 6);
    temp.seek(2);
    CHECK(temp.read(2) == "cd");
    CHECK(temp.truncate() == 4);
    temp.seek(0);
    CHECK(temp.read() == "abcd");
    CHECK(temp.seek(1, Whence::end) == 5);
    temp.write("Z");
    temp.seek(0);
    CHECK(temp.read() == std::string("abcd\0Z", 6));
}

TEST_CASE("where O_TMPFILE is refused the temp is created and unlinked at once") {
    for (int refusal : {EOPNOTSUPP, EISDIR, EINVAL}) {
        CAPTURE(refusal);
        ScratchDir dir;
        ScopedUmask umask(0);
        ScopedFault fault(platform::Call::create_anonymous, refusal, 0);
        TemporaryFile temp({".suffix", "pre_", dir.path()});
        CHECK(fault.fired());
        CHECK_FALSE(temp.linkable());
        CHECK(list_dir(dir.path()).empty());
        CHECK(status_of(temp.fileno()).st_nlink == 0);
        CHECK((status_of(temp.fileno()).st_mode & 07777) == 0600);
        temp.write("fallback data");
        temp.seek(0);
        CHECK(temp.read() == "fallback data");
    }
}

TEST_CASE("the fallback never follows a planted symlink") {
    ScratchDir dir, outside;
    fs::create_symlink(outside / "victim", dir / "tmpplanted00");
    ScopedFault fault(platform::Call::create_anonymous, EOPNOTSUPP, 0);
    ScriptedNames names({"planted00"});
    TemporaryFile temp(in(dir.path()));
    CHECK(names.drawn() == 2);
    CHECK(list_dir(outside.path()).empty());
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"tmpplanted00"});
}

TEST_CASE("other creation errors are reported, not papered over by the fallback") {
    ScratchDir dir;
    ScopedFault fault(platform::Call::create_anonymous, EACCES, 0);
    try {
        TemporaryFile temp(in(dir.path()));
        FAIL("creation succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::permission_denied);
        CHECK(e.path() == dir.path().string());
    }
    std::error_code ec;
    TemporaryFile temp(in(dir.path()), ec);
    CHECK(ec == std::errc::permission_denied);
    CHECK(temp.closed());
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("link_to gives an anonymous temp a name with its content") {
    ScratchDir dir;
    TemporaryFile temp(in(dir.path()));
    temp.write("complete content");
    temp.link_to(dir / "published");
    CHECK(read_file(dir / "published") == "complete content");
    CHECK(file_mode(dir / "published") == 0600);
    temp.close();
    CHECK(read_file(dir / "published") == "complete content");
}

TEST_CASE("link_to never replaces an existing file") {
    ScratchDir dir;
    write_file(dir / "existing", "old");
    TemporaryFile temp(in(dir.path()));
    temp.write("new");
    std::error_code ec;
    temp.link_to((dir / "existing").string(), ec);
    CHECK(ec == std::errc::file_exists);
    CHECK(read_file(dir / "existing") == "old");
}

TEST_CASE("link_to on a fallback temp fails clearly") {
    ScratchDir dir;
    std::optional<TemporaryFile> temp;
    {
        ScopedFault fault(platform::Call::create_anonymous, EOPNOTSUPP, 0);
        temp.emplace(in(dir.path()));
    }
    try {
        temp->link_to(dir / "published");
        FAIL("linking a fallback temp succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::operation_not_supported);
        CHECK(std::string(e.what()).find("O_TMPFILE") != std::string::npos);
        CHECK(e.path() == (dir / "published").string());
    }
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a closed temp refuses I/O and its descriptor is gone") {
    ScratchDir dir;
    TemporaryFile temp(in(dir.path()));
    temp.close();
    temp.close();
    CHECK(temp.fileno() == -1);
    std::error_code ec;
    temp.write("x", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    temp.link_to(dir / "x", ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("a moved temp keeps one owner") {
    ScratchDir dir;
    TemporaryFile first(in(dir.path()));
    first.write("moved");
    TemporaryFile second(std::move(first));
    CHECK(first.closed());
    second.seek(0);
    CHECK(second.read() == "moved");
    TemporaryFile third;
    third = std::move(second);
    third.seek(0);
    CHECK(third.read() == "moved");
}

TEST_CASE("temps of both kinds are invisible to an exec'd child") {
    ScratchDir dir;
    TemporaryFile anonymous(in(dir.path()));
    ScopedFault fault(platform::Call::create_anonymous, EOPNOTSUPP, 0);
    TemporaryFile fallback(in(dir.path()));
    CHECK(platform::is_close_on_exec(anonymous.fileno()) == 1);
    CHECK(platform::is_close_on_exec(fallback.fileno()) == 1);
    CHECK_FALSE(child_sees_anything_in(dir.path()));
}

TEST_CASE("options set by name equal the positional ones") {
    ScratchDir dir;
    const TemporaryFileOptions positional{".bin", "scratch_", dir.path()};
    const TemporaryFileOptions named =
        TemporaryFileOptions().with_suffix(".bin").with_prefix("scratch_").with_dir(dir.path());
    CHECK(named.suffix == positional.suffix);
    CHECK(named.prefix == positional.prefix);
    CHECK(named.dir.str() == positional.dir.str());
    TemporaryFile temp(TemporaryFileOptions().with_dir(dir.path()));
    CHECK(temp.directory() == dir.path().string());
}
