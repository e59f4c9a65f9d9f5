#include <doctest/doctest.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/named_temporary_file.hpp"
#include "atomfile/tempdir.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

NamedTemporaryFileOptions in(const fs::path& dir) {
    NamedTemporaryFileOptions options;
    options.dir = dir;
    return options;
}

}  // namespace

TEST_CASE("the default temp is a 0600 file in gettempdir() removed at destruction") {
    ScratchDir dir;
    ScopedEnvironment env;
    set_tempdir(dir.path());
    std::string path;
    {
        NamedTemporaryFile temp;
        path = temp.path();
        CHECK(fs::path(path).parent_path() == dir.path());
        CHECK(fs::path(path).filename().string().rfind("tmp", 0) == 0);
        CHECK(file_mode(path) == 0600);
        CHECK(temp.delete_file());
        CHECK(temp.delete_on_close());
    }
    CHECK_FALSE(fs::exists(path));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("prefix, suffix and dir shape the name") {
    ScratchDir dir;
    NamedTemporaryFile temp({".txt", "myapp_", dir.path()});
    std::string name = fs::path(temp.path()).filename().string();
    CHECK(name.rfind("myapp_", 0) == 0);
    CHECK(name.substr(name.size() - 4) == ".txt");
    CHECK(random_part(temp.path(), "myapp_", ".txt").size() >= 8);
}

TEST_CASE("delete and delete_on_close: the file goes when closed") {
    ScratchDir dir;
    NamedTemporaryFile temp(in(dir.path()));
    std::string path = temp.path();
    temp.write("data");
    CHECK(fs::exists(path));
    temp.close();
    CHECK(temp.closed());
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("delete without delete_on_close: closing keeps the file, destruction removes it") {
    ScratchDir dir;
    std::string path;
    {
        NamedTemporaryFileOptions options = in(dir.path());
        options.delete_on_close = false;
        NamedTemporaryFile temp(options);
        path = temp.path();
        temp.write("written before close");
        temp.close();
        // The Python 3.12 use case: close, then let another program open the file by name.
        CHECK(read_file(path) == "written before close");
    }
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("delete_file false keeps the file after close and destruction") {
    ScratchDir dir;
    std::string path;
    {
        NamedTemporaryFileOptions options = in(dir.path());
        options.delete_file = false;
        NamedTemporaryFile temp(options);
        path = temp.path();
        temp.write("persistent temp data");
        temp.close();
    }
    CHECK(read_file(path) == "persistent temp data");
}

TEST_CASE("keep() leaves the file open and stops its removal") {
    ScratchDir dir;
    std::string path;
    {
        NamedTemporaryFile temp(in(dir.path()));
        path = temp.path();
        temp.keep();
        CHECK_FALSE(temp.delete_file());
        temp.write("kept");
        temp.close();
    }
    CHECK(read_file(path) == "kept");
}

TEST_CASE("release() hands over the file: closed here, never removed") {
    ScratchDir dir;
    std::string released;
    {
        NamedTemporaryFile temp(in(dir.path()));
        std::string path = temp.path();
        temp.write("yours now");
        released = temp.release();
        CHECK(released == path);
        CHECK(temp.fileno() == -1);
        CHECK(temp.path().empty());
        temp.close();
        temp.cleanup();
    }
    CHECK(read_file(released) == "yours now");
}

TEST_CASE("read, write, seek, tell, truncate and flush act on the file") {
    ScratchDir dir;
    NamedTemporaryFile temp(in(dir.path()));
    CHECK(temp.write("hello world") == 11);
    temp.flush();
    CHECK(read_file(temp.path()) == "hello world");  // visible by name without buffering
    CHECK(temp.tell() == 11);
    CHECK(temp.seek(0) == 0);
    CHECK(temp.read(5) == "hello");
    CHECK(temp.tell() == 5);
    CHECK(temp.seek(-5, Whence::end) == 6);
    CHECK(temp.read() == "world");
    CHECK(temp.read() == "");
    CHECK(temp.seek(-6, Whence::current) == 5);
    CHECK(temp.truncate() == 5);
    CHECK(read_file(temp.path()) == "hello");
    CHECK(temp.truncate(8) == 8);
    CHECK(read_file(temp.path()) == std::string("hello\0\0\0", 8));
    temp.sync();
}

TEST_CASE("using a closed temp fails with bad_file_descriptor naming the path") {
    ScratchDir dir;
    NamedTemporaryFileOptions options = in(dir.path());
    options.delete_on_close = false;
    NamedTemporaryFile temp(options);
    temp.close();
    try {
        temp.write("x");
        FAIL("write on a closed temp succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::bad_file_descriptor);
        CHECK(e.path() == temp.path());
    }
    std::error_code ec;
    CHECK(temp.read(1, ec).empty());
    CHECK(ec == std::errc::bad_file_descriptor);
    temp.seek(0, Whence::set, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    temp.flush(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("removal leaves alone a file that replaced the temp at its path") {
    ScratchDir dir;
    {
        NamedTemporaryFile temp(in(dir.path()));
        temp.write("ours");
        fs::rename(temp.path(), dir / "moved-away");
        write_file(temp.path(), "someone else's");
    }
    CHECK(list_dir(dir.path()).size() == 2);
    CHECK(read_file(dir / "moved-away") == "ours");
}

TEST_CASE("a temp removed by someone else is no error") {
    ScratchDir dir;
    NamedTemporaryFile temp(in(dir.path()));
    fs::remove(temp.path());
    std::error_code ec;
    temp.close(ec);
    CHECK_FALSE(ec);
    temp.cleanup();
}

TEST_CASE("a failed removal is reported by close() and, as in Python, not retried later") {
    ScratchDir dir;
    std::string path;
    {
        NamedTemporaryFile temp(in(dir.path()));
        path = temp.path();
        ScopedFault fault(platform::Call::unlink, EIO, 0);
        std::error_code ec;
        temp.close(ec);
        CHECK(ec == std::errc::io_error);
        CHECK(temp.closed());
    }
    CHECK(fs::exists(path));
}

TEST_CASE("a destructor whose removal fails does not throw") {
    ScratchDir dir;
    std::string path;
    {
        ScopedFault fault(platform::Call::unlink, EIO, 0);
        NamedTemporaryFile temp(in(dir.path()));
        path = temp.path();
    }  // the fault is still installed while temp is destroyed
    CHECK(fs::exists(path));
}

TEST_CASE("moving transfers ownership: only the destination removes the file") {
    ScratchDir dir;
    std::string path;
    {
        NamedTemporaryFile source(in(dir.path()));
        path = source.path();
        NamedTemporaryFile destination(std::move(source));
        CHECK(destination.path() == path);
        CHECK(source.path().empty());
        {
            NamedTemporaryFile dropped(std::move(destination));
            CHECK(fs::exists(path));
            NamedTemporaryFile other(in(dir.path()));
            std::string other_path = other.path();
            other = std::move(dropped);  // other's own file goes now
            CHECK_FALSE(fs::exists(other_path));
            CHECK(fs::exists(path));
        }
        CHECK_FALSE(fs::exists(path));
    }
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("the modes stay 0600 whatever the umask") {
    ScratchDir dir;
    for (unsigned mask : {0000u, 0022u, 0077u, 0777u}) {
        ScopedUmask umask(mask);
        NamedTemporaryFile temp(in(dir.path()));
        CHECK(file_mode(temp.path()) == 0600);
    }
}

TEST_CASE("a planted symlink at the temp name is never followed") {
    ScratchDir dir, outside;
    fs::create_symlink(outside / "target", dir / "tmpplanted00");
    ScriptedNames names({"planted00", "fresh00000"});
    NamedTemporaryFile temp(in(dir.path()));
    temp.write("temp data");
    CHECK(temp.path() == (dir / "tmpfresh00000").string());
    CHECK(list_dir(outside.path()).empty());
    CHECK(fs::is_symlink(dir / "tmpplanted00"));
}

TEST_CASE("open temps are invisible to an exec'd child") {
    ScratchDir dir;
    NamedTemporaryFile first(in(dir.path())), second(in(dir.path()));
    CHECK(platform::is_close_on_exec(first.fileno()) == 1);
    CHECK_FALSE(child_sees_anything_in(dir.path()));
}

TEST_CASE("a failed creation sets the error code and leaves an empty object") {
    ScratchDir dir;
    std::error_code ec;
    NamedTemporaryFile temp(in(dir / "missing"), ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK(temp.path().empty());
    CHECK(temp.closed());
}

TEST_CASE("options set by name equal the positional ones, and shape the temp the same way") {
    ScratchDir dir;
    const NamedTemporaryFileOptions positional{".txt", "myapp_", dir.path(), false, false};
    const NamedTemporaryFileOptions named = NamedTemporaryFileOptions()
                                                .with_suffix(".txt")
                                                .with_prefix("myapp_")
                                                .with_dir(dir.path())
                                                .with_delete_file(false)
                                                .with_delete_on_close(false);
    CHECK(named.suffix == positional.suffix);
    CHECK(named.prefix == positional.prefix);
    CHECK(named.dir.str() == positional.dir.str());
    CHECK(named.delete_file == positional.delete_file);
    CHECK(named.delete_on_close == positional.delete_on_close);
    std::string path;
    {
        NamedTemporaryFile temp(NamedTemporaryFileOptions()
                                    .with_prefix("myapp_")
                                    .with_dir(dir.path())
                                    .with_suffix(".txt")
                                    .with_delete_file(false));
        path = temp.path();
    }
    const std::string name = fs::path(path).filename().string();
    CHECK(fs::path(path).parent_path() == dir.path());
    CHECK(name.rfind("myapp_", 0) == 0);
    CHECK(name.size() == 6 + 10 + 4);
    CHECK(name.substr(name.size() - 4) == ".txt");
    CHECK(fs::exists(path));  // delete_file false
}
