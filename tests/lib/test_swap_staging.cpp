#include <doctest/doctest.h>

#include <cerrno>

#include "atomfile/file_descriptor.hpp"
#include "lib/swap_support.hpp"
#include "swap/swap_staging.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace atomfile::swap;

namespace {

FileDescriptor open_dir(const fs::path& path) {
    return FileDescriptor(platform::open_directory(platform::current_directory, path.c_str()));
}

}  // namespace

TEST_CASE("a staging directory is private, skips a planted name, and is removed when dropped") {
    ScratchDir scratch;
    FileDescriptor parent = open_dir(scratch.path());
    const SwapTarget target = split_target((scratch / "site").string(), Step::create_staging);
    fs::create_directory(scratch / ".site.atomfile-swap-planted000");
    write_file(scratch / ".site.atomfile-swap-planted000" / "theirs", "x");
    std::string path;
    {
        ScriptedNames names({"planted000"});
        Staging staging(parent.get(), target);
        path = staging.path();
        CHECK(names.drawn() == 2);
        CHECK(fs::path(path).parent_path() == scratch.path());
        CHECK(file_mode(path) == 0700);
        write_generation(path, "staged");
        staging.finish_mode(0751);
        CHECK(file_mode(path) == 0751);
    }
    CHECK_FALSE(fs::exists(path));
    CHECK(read_file(scratch / ".site.atomfile-swap-planted000" / "theirs") == "x");
}

TEST_CASE("a released staging directory stays, and stays locked until dropped") {
    ScratchDir scratch;
    FileDescriptor parent = open_dir(scratch.path());
    const SwapTarget target = split_target((scratch / "site").string(), Step::create_staging);
    std::string name;
    {
        Staging staging(parent.get(), target);
        name = staging.name();
        staging.release();
        CHECK_FALSE(lock_directory(parent.get(), name));
        CHECK(errno == EWOULDBLOCK);
    }
    CHECK(fs::is_directory(scratch / name));
    CHECK(lock_directory(parent.get(), name));
}

TEST_CASE("a staging directory that cannot be made fails at create_staging, leaving nothing") {
    ScratchDir scratch;
    FileDescriptor parent = open_dir(scratch.path());
    const SwapTarget target = split_target((scratch / "site").string(), Step::create_staging);
    for (platform::Call call : {platform::Call::mkdir, platform::Call::lock}) {
        CAPTURE(platform::call_name(call));
        ScopedFault fault(call, ENOSPC);
        try {
            Staging staging(parent.get(), target);
            FAIL("created");
        } catch (const Error& e) {
            CHECK(e.step_id() == Step::create_staging);
            CHECK(e.code() == std::errc::no_space_on_device);
        }
        CHECK(list_dir(scratch.path()).empty());
    }
}

TEST_CASE("a staging directory made but not opened at the descriptor limit is removed, not left") {
    ScratchDir scratch;
    FileDescriptor parent = open_dir(scratch.path());
    const SwapTarget target = split_target((scratch / "site").string(), Step::create_staging);
    ScopedFault fault(platform::Call::open, EMFILE, 0);  // every open, as at ulimit -n
    try {
        Staging staging(parent.get(), target);
        FAIL("created");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::create_staging);
        CHECK(e.code() == std::errc::too_many_files_open);
    }
    CHECK(list_dir(scratch.path()).empty());
}
