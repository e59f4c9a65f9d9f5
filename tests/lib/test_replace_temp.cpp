// The temp a replace writes: where it lives, how it is protected, and that it goes away.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>

#include "atomfile/error.hpp"
#include "lib/replace_support.hpp"
#include "replace/replace_temp.hpp"
#include "replace/target_resolution.hpp"
#include "replace/temp_names.hpp"

using namespace atomfile;
using namespace atomfile::test;
using replace::ReplaceTemp;

namespace {

// The named temp's name in dir (the only entry that is not `except`).
std::string named_temp(const ScratchDir& dir, const std::string& except = "") {
    for (const std::string& name : list_dir(dir.path()))
        if (name != except) return name;
    return {};
}

}  // namespace

TEST_CASE("the temp lives in the target's own directory, whatever TMPDIR says") {
    ScratchDir dir;
    ScratchDir elsewhere;
    ::setenv("TMPDIR", elsewhere.path().c_str(), 1);
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    ScopedFault no_tmpfile({{platform::Call::create_anonymous, EOPNOTSUPP, 0}});
    ReplaceTemp temp(target);
    ::unsetenv("TMPDIR");
    CHECK(list_dir(elsewhere.path()).empty());
    CHECK(replace::is_temp_name(named_temp(dir)));
    struct stat temp_status, dir_status;
    REQUIRE(::fstat(temp.fd(), &temp_status) == 0);
    REQUIRE(::stat(dir.path().c_str(), &dir_status) == 0);
    CHECK(temp_status.st_dev == dir_status.st_dev);
}

TEST_CASE("a named temp is created 0600 whatever the umask, and locked by its writer") {
    ScratchDir dir;
    mode_t old_mask = ::umask(0);
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    ScopedFault no_tmpfile({{platform::Call::create_anonymous, EOPNOTSUPP, 0}});
    ReplaceTemp temp(target);
    ::umask(old_mask);
    const std::string name = named_temp(dir);
    CHECK(file_mode(dir / name) == 0600);
    int other = ::open((dir / name).c_str(), O_RDONLY);
    CHECK(::flock(other, LOCK_EX | LOCK_NB) == -1);  // the writer holds it
    ::close(other);
}

TEST_CASE("an anonymous temp has no name until it is given one, and discard removes it") {
    ScratchDir dir;
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    ReplaceTemp temp(target);
    if (!temp.anonymous()) {
        MESSAGE("skipped: the scratch file system refuses O_TMPFILE");
        return;
    }
    temp.write("content");
    CHECK(list_dir(dir.path()).empty());
    temp.give_name();
    CHECK(list_dir(dir.path()) == std::vector<std::string>{temp.name()});
    CHECK(read_file(dir / temp.name()) == "content");
    temp.discard();
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("the write loop survives EINTR and reports a full disk with the target's path") {
    ScratchDir dir;
    replace::Target target = replace::resolve_target((dir / "f").string(), true);
    ReplaceTemp temp(target);
    {
        ScopedFault interrupted(platform::Call::write, EINTR, 1);
        temp.write("survived");
        CHECK(interrupted.fired());
    }
    ScopedFault full(platform::Call::write, ENOSPC, 1);
    try {
        temp.write("more");
        FAIL("ENOSPC was swallowed");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_space_on_device);
        CHECK(e.step() == "write temp file");
        CHECK(e.path() == (dir / "f").string());
    }
}
