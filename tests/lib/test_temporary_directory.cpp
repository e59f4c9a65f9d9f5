#include <doctest/doctest.h>

#include <fcntl.h>
#include <stdio.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "atomfile/error.hpp"
#include "atomfile/tempdir.hpp"
#include "atomfile/temporary_directory.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

TemporaryDirectoryOptions in(const fs::path& dir) {
    TemporaryDirectoryOptions options;
    options.dir = dir;
    return options;
}

// An outside directory a cleanup must never touch: two files, one read-only, and a
// subdirectory, each with a recorded mode.
struct Outside {
    explicit Outside(const fs::path& root) : path(root / "outside") {
        fs::create_directories(path / "nested");
        write_file(path / "keep.txt", "keep me");
        write_file(path / "nested" / "deep.txt", "deep");
        write_file(path / "read-only.txt", "read only");
        fs::permissions(path / "read-only.txt", fs::perms::owner_read);
        fs::permissions(path, fs::perms::owner_read | fs::perms::owner_exec |
                                  fs::perms::owner_write | fs::perms::group_read |
                                  fs::perms::group_exec);
    }
    bool untouched() const {
        return fs::exists(path / "keep.txt") && read_file(path / "keep.txt") == "keep me" &&
               read_file(path / "nested" / "deep.txt") == "deep" &&
               read_file(path / "read-only.txt") == "read only" &&
               file_mode(path / "read-only.txt") == 0400 && file_mode(path) == 0750 &&
               file_mode(path / "nested") != 0700;
    }
    fs::path path;
};

void make_read_only_tree(const fs::path& root) {
    fs::create_directories(root / "a" / "b" / "c");
    write_file(root / "a" / "file", "1");
    write_file(root / "a" / "b" / "file", "2");
    write_file(root / "a" / "b" / "c" / "file", "3");
    ::chmod((root / "a" / "b" / "c").c_str(), 0);  // not even listable
    ::chmod((root / "a" / "b").c_str(), 0500);     // listable, not writable
    ::chmod((root / "a").c_str(), 0300);           // writable, not listable
}

}  // namespace

TEST_CASE("the default directory is 0700 in gettempdir() and removed with its contents") {
    ScratchDir dir;
    ScopedEnvironment env;
    set_tempdir(dir.path());
    std::string path;
    {
        TemporaryDirectory temp;
        path = temp.path();
        CHECK(fs::path(path).parent_path() == dir.path());
        CHECK(fs::path(path).filename().string().rfind("tmp", 0) == 0);
        CHECK(file_mode(path) == 0700);
        fs::create_directories(fs::path(path) / "x" / "y");
        write_file(fs::path(path) / "x" / "y" / "data.txt", "hello");
        write_file(fs::path(path) / "data.txt", "hello");
    }
    CHECK_FALSE(fs::exists(path));
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("the mode is 0700 whatever the umask") {
    ScratchDir dir;
    for (unsigned mask : {0000u, 0022u, 0077u, 0777u}) {
        ScopedUmask umask(mask);
        TemporaryDirectory temp(in(dir.path()));
        CHECK(file_mode(temp.path()) == 0700);
    }
}

TEST_CASE("delete_file false keeps the directory, but cleanup() still removes it") {
    ScratchDir dir;
    TemporaryDirectoryOptions options = in(dir.path());
    options.delete_file = false;
    std::string kept;
    {
        TemporaryDirectory temp(options);
        kept = temp.path();
        CHECK_FALSE(temp.delete_file());
    }
    CHECK(fs::is_directory(kept));
    TemporaryDirectory temp(options);
    std::string path = temp.path();
    write_file(fs::path(path) / "f", "x");
    temp.cleanup();
    CHECK_FALSE(fs::exists(path));
    CHECK(temp.path() == path);
}

TEST_CASE("cleanup() is idempotent and tolerates a directory already gone") {
    ScratchDir dir;
    TemporaryDirectory temp(in(dir.path()));
    fs::remove(temp.path());
    temp.cleanup();
    temp.cleanup();
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a symlink inside pointing outside is removed, its target left untouched") {
    ScratchDir dir;
    Outside outside(dir.path());
    std::string path;
    {
        TemporaryDirectory temp(in(dir.path()));
        path = temp.path();
        fs::create_directory_symlink(outside.path, fs::path(path) / "link-to-dir");
        fs::create_symlink(outside.path / "keep.txt", fs::path(path) / "link-to-file");
        fs::create_directory(fs::path(path) / "sub");
        fs::create_directory_symlink(outside.path / "nested", fs::path(path) / "sub" / "deeper");
        ::chmod((fs::path(path) / "sub").c_str(), 0500);
    }
    CHECK_FALSE(fs::exists(fs::symlink_status(path)));
    CHECK(outside.untouched());
}

TEST_CASE("read-only and unreadable nested subdirectories are removed") {
    ScratchDir dir;
    open_to_everyone(dir.path());
    int result = run_unprivileged([&] {
        TemporaryDirectory temp(in(dir.path()));
        make_read_only_tree(temp.path());
        std::error_code ec;
        temp.cleanup(ec);
        if (ec) return 1;
        return fs::exists(temp.path()) ? 2 : 0;
    });
    CHECK(result == 0);
}

TEST_CASE("permissions are never changed through a symlink, even for an owner's directory") {
    ScratchDir dir;
    open_to_everyone(dir.path());
    int result = run_unprivileged([&] {
        // The outside directory belongs to the same user, so a chmod through the link would
        // succeed: only the removal's refusal to follow links protects it.
        fs::path outside = dir / "mine-outside";
        fs::create_directory(outside);
        write_file(outside / "file", "x");
        ::chmod(outside.c_str(), 0500);
        TemporaryDirectory temp(in(dir.path()));
        fs::create_directories(fs::path(temp.path()) / "ro");
        fs::create_directory_symlink(outside, fs::path(temp.path()) / "ro" / "link");
        ::chmod((fs::path(temp.path()) / "ro").c_str(), 0500);
        std::error_code ec;
        temp.cleanup(ec);
        if (ec) return 1;
        if (fs::exists(temp.path())) return 2;
        if (file_mode(outside) != 0500) return 3;
        return read_file(outside / "file") == "x" ? 0 : 4;
    });
    CHECK(result == 0);
}

TEST_CASE("swapping a subdirectory for a symlink during cleanup never reaches outside") {
    ScratchDir dir;
    Outside outside(dir.path());
    for (int iteration = 0; iteration < 300; ++iteration) {
        TemporaryDirectory temp(in(dir.path()));
        fs::path root = temp.path();
        fs::create_directory(root / "sub");
        for (int i = 0; i < 4; ++i) write_file(root / "sub" / ("f" + std::to_string(i)), "x");
        ::chmod((root / "sub").c_str(), 0500);
        fs::create_directory_symlink(outside.path, root / "swap");
        std::atomic<bool> stop{false};
        std::atomic<int> swaps{0};
        std::thread swapper([&] {
            while (!stop.load()) {
                if (::renameat2(AT_FDCWD, (root / "sub").c_str(), AT_FDCWD, (root / "swap").c_str(),
                                RENAME_EXCHANGE) != 0)
                    break;  // one of them is gone: the cleanup got there
                ++swaps;
            }
            swaps = -1;
        });
        while (swaps.load() == 0) std::this_thread::yield();  // race a swapper already running
        std::error_code ec;
        temp.cleanup(ec);  // may fail while entries keep changing: only the outside matters
        stop = true;
        swapper.join();
        temp.cleanup(ec);
        REQUIRE_MESSAGE(outside.untouched(), "iteration " << iteration);
    }
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"outside"});
}

TEST_CASE("cleanup removes what it can, then reports the first failure with its path") {
    ScratchDir dir;
    TemporaryDirectory temp(in(dir.path()));
    write_file(fs::path(temp.path()) / "a", "1");
    write_file(fs::path(temp.path()) / "b", "2");
    {
        // The first unlink is the directory itself (refused with EISDIR); fail the second.
        ScopedFault fault(platform::Call::unlink, EIO, 2);
        try {
            temp.cleanup();
            FAIL("cleanup succeeded with a failing unlink");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::io_error);
            CHECK(e.step() == "remove");
            CHECK(fs::path(e.path()).parent_path() == temp.path());
        }
    }
    CHECK(list_dir(temp.path()).size() == 1);
    temp.cleanup();
    CHECK_FALSE(fs::exists(temp.path()));
}

TEST_CASE("ignore_cleanup_errors swallows failures, as the destructor always does") {
    ScratchDir dir;
    TemporaryDirectoryOptions options = in(dir.path());
    options.ignore_cleanup_errors = true;
    TemporaryDirectory temp(options);
    write_file(fs::path(temp.path()) / "a", "1");
    {
        ScopedFault fault(platform::Call::unlink, EIO, 0);
        temp.cleanup();
        CHECK(fault.fired());
    }
    CHECK(fs::exists(fs::path(temp.path()) / "a"));
    std::string failing_path;
    {
        ScopedFault fault(platform::Call::unlink, EIO, 0);
        TemporaryDirectory failing(in(dir.path()));
        failing_path = failing.path();
        write_file(fs::path(failing_path) / "a", "1");
    }  // destroyed while unlink fails: nothing thrown, the file left behind
    CHECK(fs::exists(fs::path(failing_path) / "a"));
    temp.cleanup();
}

TEST_CASE("a moved directory has one owner") {
    ScratchDir dir;
    std::string path;
    {
        TemporaryDirectory source(in(dir.path()));
        path = source.path();
        TemporaryDirectory destination(std::move(source));
        CHECK(source.path().empty());
        TemporaryDirectory other(in(dir.path()));
        std::string other_path = other.path();
        other = std::move(destination);
        CHECK_FALSE(fs::exists(other_path));
        CHECK(fs::exists(path));
    }
    CHECK_FALSE(fs::exists(path));
}

TEST_CASE("a failed creation sets the error code and owns nothing") {
    ScratchDir dir;
    std::error_code ec;
    TemporaryDirectory temp(in(dir / "missing"), ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK(temp.path().empty());
    temp.cleanup();
}

TEST_CASE("options set by name equal the positional ones") {
    ScratchDir dir;
    const TemporaryDirectoryOptions positional{".d", "build_", dir.path(), true, false};
    const TemporaryDirectoryOptions named = TemporaryDirectoryOptions()
                                                .with_suffix(".d")
                                                .with_prefix("build_")
                                                .with_dir(dir.path())
                                                .with_ignore_cleanup_errors(true)
                                                .with_delete_file(false);
    CHECK(named.suffix == positional.suffix);
    CHECK(named.prefix == positional.prefix);
    CHECK(named.dir.str() == positional.dir.str());
    CHECK(named.ignore_cleanup_errors == positional.ignore_cleanup_errors);
    CHECK(named.delete_file == positional.delete_file);
    std::string path;
    {
        TemporaryDirectory temp(named);
        path = temp.path();
        CHECK(temp.ignore_cleanup_errors());
        CHECK_FALSE(temp.delete_file());
    }
    CHECK(fs::path(path).parent_path() == dir.path());
    CHECK(fs::path(path).filename().string().rfind("build_", 0) == 0);
    CHECK(fs::is_directory(path));  // delete_file false
}
