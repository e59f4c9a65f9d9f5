#include <doctest/doctest.h>

#include <sys/stat.h>
#include <unistd.h>

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

void copy_into(const fs::path& from, const fs::path& to) {
    fs::create_directory(to);
    FileDescriptor in = open_dir(from), out = open_dir(to);
    swap::copy_tree(in.get(), out.get(), to.string());
}

}  // namespace

TEST_CASE("copy_tree copies files, directories and modes, and symlinks as symlinks") {
    ScratchDir scratch;
    const fs::path from = scratch / "from";
    write_generation(from, "data");
    write_generation(scratch / "outside", "outside");
    fs::create_directory_symlink(scratch / "outside", from / "escape");
    fs::permissions(from / "f1", fs::perms(0640));
    fs::permissions(from / "sub", fs::perms(0555));
    copy_into(from, scratch / "to");
    CHECK(list_dir(scratch / "to") == std::vector<std::string>{"escape", "f0", "f1", "f2", "sub"});
    CHECK(read_file(scratch / "to" / "sub" / "inner") == "data");
    CHECK(fs::read_symlink(scratch / "to" / "escape") == scratch / "outside");
    CHECK(file_mode(scratch / "to" / "f1") == 0640);
    CHECK(file_mode(scratch / "to" / "sub") == 0555);
    fs::permissions(scratch / "to" / "sub", fs::perms(0755));
    fs::permissions(from / "sub", fs::perms(0755));
}

TEST_CASE("without reflinks the data is copied") {
    ScratchDir scratch;
    fs::create_directories(scratch / "from");
    write_file(scratch / "from" / "big", std::string(300000, 'x'));
    {
        ScopedFault fault(platform::Call::copy, EOPNOTSUPP, 1);  // the clone
        copy_into(scratch / "from", scratch / "to");
        CHECK(fault.fired());
    }
    CHECK(read_file(scratch / "to" / "big") == std::string(300000, 'x'));
}

TEST_CASE("a FIFO is refused with EOPNOTSUPP, never opened") {
    ScratchDir scratch;
    fs::create_directories(scratch / "from");
    REQUIRE(::mkfifo((scratch / "from" / "fifo").c_str(), 0600) == 0);
    try {
        copy_into(scratch / "from", scratch / "to");  // would hang if the FIFO were opened
        FAIL("copied");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::populate_staging);
        CHECK(e.code() == std::errc::operation_not_supported);
        CHECK(e.path() == (scratch / "to" / "fifo").string());
    }
}

TEST_CASE("the owner is kept where permitted, and a setuid bit only with its owner") {
    ScratchDir scratch;
    fs::create_directories(scratch / "from");
    write_file(scratch / "from" / "tool", "#!");
    // chown first: it clears the setuid bit.
    if (running_as_root()) REQUIRE(::chown((scratch / "from" / "tool").c_str(), 65534, 65534) == 0);
    fs::permissions(scratch / "from" / "tool", fs::perms(04755));
    copy_into(scratch / "from", scratch / "to");
    struct stat st {};
    REQUIRE(::stat((scratch / "to" / "tool").c_str(), &st) == 0);
    if (running_as_root()) {
        CHECK(st.st_uid == 65534);
        CHECK((st.st_mode & 07777) == 04755);
    } else {
        CHECK(st.st_uid == ::geteuid());
    }
}
