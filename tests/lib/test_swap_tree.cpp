#include <doctest/doctest.h>

#include <sys/resource.h>
#include <sys/stat.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "lib/swap_support.hpp"
#include "swap/swap_tree.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

FileDescriptor open_dir(const fs::path& path) {
    return FileDescriptor(platform::open_directory(platform::current_directory, path.c_str()));
}

}  // namespace

TEST_CASE("sync_tree syncs every file and directory once, never a symlink's target or a FIFO") {
    ScratchDir scratch;
    const fs::path tree = scratch / "tree";
    write_generation(tree, "data", 10);  // 11 files, 2 directories
    write_generation(scratch / "outside", "outside");
    fs::create_directory_symlink(scratch / "outside", tree / "escape");
    REQUIRE(::mkfifo((tree / "fifo").c_str(), 0600) == 0);
    FileDescriptor root = open_dir(tree);
    CallRecorder recorder;
    swap::sync_tree(root.get(), tree.string(), platform::SyncKind::full);
    CHECK(recorder.count(platform::Call::fsync) == 13);
    CHECK(recorder.count(platform::Call::fdatasync) == 0);
}

TEST_CASE("SyncKind::data fdatasyncs the files and still fsyncs the directories") {
    ScratchDir scratch;
    write_generation(scratch / "tree", "data", 2);
    FileDescriptor root = open_dir(scratch / "tree");
    CallRecorder recorder;
    swap::sync_tree(root.get(), (scratch / "tree").string(), platform::SyncKind::data);
    CHECK(recorder.count(platform::Call::fdatasync) == 3);
    CHECK(recorder.count(platform::Call::fsync) == 2);
}

TEST_CASE("a file that cannot be synced fails the tree at step sync_temp, naming a path inside") {
    ScratchDir scratch;
    write_generation(scratch / "tree", "data", 5);
    FileDescriptor root = open_dir(scratch / "tree");
    ScopedFault fault(platform::Call::fsync, EIO, 3);
    try {
        swap::sync_tree(root.get(), (scratch / "tree").string(), platform::SyncKind::full);
        FAIL("synced");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::sync_temp);
        CHECK(e.code() == std::errc::io_error);
        CHECK(e.path().rfind((scratch / "tree").string(), 0) == 0);
    }
}

TEST_CASE("a tree of more directories than the descriptor limit allows open is synced whole") {
    ScratchDir scratch;
    const fs::path tree = scratch / "tree";
    fs::create_directory(tree);
    for (int i = 0; i < 300; ++i) {
        fs::create_directories(tree / ("d" + std::to_string(i)) / "sub");
        write_file(tree / ("d" + std::to_string(i)) / "sub" / "f", "x");
    }
    FileDescriptor root = open_dir(tree);
    struct rlimit before {};
    REQUIRE(::getrlimit(RLIMIT_NOFILE, &before) == 0);
    struct rlimit lowered = before;
    lowered.rlim_cur = 256;  // below the tree's 601 directories
    REQUIRE(::setrlimit(RLIMIT_NOFILE, &lowered) == 0);
    CallRecorder recorder;
    std::error_code ec;
    try {
        swap::sync_tree(root.get(), tree.string(), platform::SyncKind::full);
    } catch (const Error& e) {
        ec = e.code();
    }
    ::setrlimit(RLIMIT_NOFILE, &before);
    CHECK_FALSE(ec);
    CHECK(recorder.count(platform::Call::fsync) == 300 + 601);
}
