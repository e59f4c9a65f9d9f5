// remove_orphaned_temps: crashed writers' leftovers go, everything else stays.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <grp.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "replace/temp_names.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace std::chrono_literals;

namespace {

// Back-dates a file's modification time by an hour.
void age(const fs::path& path) {
    struct timespec times[2];
    ::clock_gettime(CLOCK_REALTIME, &times[0]);
    times[0].tv_sec -= 3600;
    times[1] = times[0];
    REQUIRE(::utimensat(AT_FDCWD, path.c_str(), times, AT_SYMLINK_NOFOLLOW) == 0);
}

}  // namespace

TEST_CASE("old unlocked temps and lock files are removed, nothing else") {
    ScratchDir dir;
    const std::vector<std::string> orphans = {".f.atomfile-abcdefghij", ".f.atomfile-lock",
                                              ".g.h.atomfile-0123456789"};
    const std::vector<std::string> others = {"f", ".f.atomfile-short", ".f.atomfile-ABCDEFGHIJ",
                                             "f.atomfile-abcdefghij", ".f.atomfile-abcdefghij~"};
    for (const auto& name : orphans) write_file(dir / name, "orphan");
    for (const auto& name : others) write_file(dir / name, "keep");
    fs::create_directory(dir / ".d.atomfile-abcdefghij");
    fs::create_symlink("f", dir / ".s.atomfile-abcdefghij");
    for (const auto& name : list_dir(dir.path())) age(dir / name);
    CHECK(remove_orphaned_temps(dir.path()) == orphans.size());
    std::vector<std::string> expected = others;
    expected.push_back(".d.atomfile-abcdefghij");
    expected.push_back(".s.atomfile-abcdefghij");
    std::sort(expected.begin(), expected.end());
    CHECK(list_dir(dir.path()) == expected);
}

TEST_CASE("a temp younger than min_age is left alone") {
    ScratchDir dir;
    write_file(dir / ".f.atomfile-abcdefghij", "young");
    CHECK(remove_orphaned_temps(dir.path(), 600s) == 0);
    CHECK(list_dir(dir.path()).size() == 1);
    CHECK(remove_orphaned_temps(dir.path(), 0s) == 1);
}

TEST_CASE("a live writer's locked temp and a held lock file are never removed") {
    ScratchDir dir;
    write_file(dir / ".f.atomfile-abcdefghij", "being written");
    write_file(dir / ".f.atomfile-lock", "");
    age(dir / ".f.atomfile-abcdefghij");
    age(dir / ".f.atomfile-lock");
    int temp = ::open((dir / ".f.atomfile-abcdefghij").c_str(), O_RDONLY);
    int lock = ::open((dir / ".f.atomfile-lock").c_str(), O_RDONLY);
    REQUIRE(::flock(temp, LOCK_EX) == 0);
    REQUIRE(::flock(lock, LOCK_EX) == 0);
    CHECK(remove_orphaned_temps(dir.path(), 0s) == 0);
    CHECK(list_dir(dir.path()).size() == 2);
    ::close(temp);
    ::close(lock);
    CHECK(remove_orphaned_temps(dir.path(), 0s) == 2);
}

TEST_CASE("a named temp of a writer in progress survives a cleanup") {
    ScratchDir dir;
    ScopedFault no_tmpfile({{platform::Call::create_anonymous, EOPNOTSUPP, 0}});
    AtomicFile file((dir / "f").string());
    file.write("in progress");
    CHECK(remove_orphaned_temps(dir.path(), 0s) == 0);
    file.commit();
    CHECK(read_file(dir / "f") == "in progress");
}

TEST_CASE("cleaning a missing directory is an error naming it") {
    ScratchDir dir;
    std::error_code ec;
    CHECK(remove_orphaned_temps((dir / "none").string(), 0s, ec) == 0);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK_THROWS_WITH_AS(remove_orphaned_temps((dir / "none").string()),
                         doctest::Contains((dir / "none").c_str()), Error);
}

TEST_CASE("the shortened lock file of a long name is recognised and removed when unheld") {
    ScratchDir dir;
    const std::string lock = replace::lock_name(std::string(250, 'n'));
    write_file(dir / lock, "");
    age(dir / lock);
    CHECK(remove_orphaned_temps(dir.path(), 0s) == 1);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("another user's lock file that the cleaner cannot open is removed only when unheld") {
    if (::geteuid() != 0) return;
    ScratchDir dir;
    ::chmod(dir.path().c_str(), 0777);
    write_file(dir / ".f.atomfile-lock", "");
    REQUIRE(::chown((dir / ".f.atomfile-lock").c_str(), 65533, 65533) == 0);
    REQUIRE(::chmod((dir / ".f.atomfile-lock").c_str(), 0600) == 0);
    age(dir / ".f.atomfile-lock");
    int held = ::open((dir / ".f.atomfile-lock").c_str(), O_RDONLY);
    REQUIRE(::flock(held, LOCK_EX) == 0);
    auto clean_as_nobody = [&] {
        pid_t pid = ::fork();
        if (pid == 0) {
            if (::setgroups(0, nullptr) != 0 || ::setgid(65534) != 0 || ::setuid(65534) != 0)
                ::_exit(100);
            ::_exit(static_cast<int>(remove_orphaned_temps(dir.path(), 0s)));
        }
        int status = 0;
        ::waitpid(pid, &status, 0);
        return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    };
    CHECK(clean_as_nobody() == 0);
    CHECK(list_dir(dir.path()).size() == 1);
    ::close(held);
    CHECK(clean_as_nobody() == 1);
    CHECK(list_dir(dir.path()).empty());
}
