#include <doctest/doctest.h>

#include <unistd.h>

#include <cerrno>
#include <set>

#include "atomfile/error.hpp"
#include "atomfile/mkstemp.hpp"
#include "atomfile/tempdir.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("mkstemp creates an open, empty, 0600 file at an absolute path") {
    ScratchDir dir;
    auto [fd, path] = mkstemp(".log", "app_", dir.path());
    REQUIRE(fd.valid());
    CHECK(fs::path(path).is_absolute());
    CHECK(fs::path(path).parent_path() == dir.path());
    std::string name = fs::path(path).filename().string();
    CHECK(name.rfind("app_", 0) == 0);
    CHECK(name.substr(name.size() - 4) == ".log");
    CHECK(file_mode(path) == 0600);
    CHECK(platform::write_all(fd.get(), "data", 4) == 0);
    CHECK(read_file(path) == "data");
}

TEST_CASE("mkstemp defaults to prefix tmp in gettempdir()") {
    ScratchDir dir;
    ScopedEnvironment env;
    set_tempdir(dir.path());
    MkstempResult result = mkstemp();
    CHECK(fs::path(result.path).parent_path() == dir.path());
    CHECK(fs::path(result.path).filename().string().rfind("tmp", 0) == 0);
}

TEST_CASE("a relative dir gives an absolute, normalised path") {
    ScratchDir dir;
    fs::create_directory(dir / "sub");
    fs::path old_cwd = fs::current_path();
    fs::current_path(dir.path());
    std::string file_path = mkstemp("", "f", "./sub/../sub").path;
    std::string dir_path = mkdtemp("", "d", "sub/");
    fs::current_path(old_cwd);
    CHECK(fs::path(file_path).parent_path() == dir / "sub");
    CHECK(fs::path(dir_path).parent_path() == dir / "sub");
}

TEST_CASE("mkdtemp creates a 0700 directory at an absolute path") {
    ScratchDir dir;
    std::string path = mkdtemp("_d", "myapp_", dir.path().string());
    CHECK(fs::is_directory(path));
    CHECK(fs::path(path).parent_path() == dir.path());
    CHECK(fs::path(path).filename().string().rfind("myapp_", 0) == 0);
    CHECK(file_mode(path) == 0700);
}

TEST_CASE("modes are exactly 0600 and 0700 whatever the umask") {
    ScratchDir dir;
    for (unsigned mask : {0000u, 0022u, 0077u, 0777u, 0200u}) {
        CAPTURE(mask);
        ScopedUmask umask(mask);
        CHECK(file_mode(mkstemp("", "tmp", dir.path()).path) == 0600);
        CHECK(file_mode(mkdtemp("", "tmp", dir.path())) == 0700);
    }
}

TEST_CASE("the descriptor is close-on-exec and never seen by a child program") {
    ScratchDir dir;
    MkstempResult result = mkstemp("", "tmp", dir.path());
    CHECK(platform::is_close_on_exec(result.fd.get()) == 1);
    CHECK_FALSE(child_sees_anything_in(dir.path()));
}

TEST_CASE("names carry at least 8 random characters from a 37-symbol alphabet") {
    ScratchDir dir;
    std::set<char> symbols;
    std::set<std::string> parts;
    for (int i = 0; i < 300; ++i) {
        std::string part = random_part(mkstemp("-s", "p-", dir.path()).path, "p-", "-s");
        CHECK(part.size() >= 8);
        for (char c : part) {
            CHECK(detail::name_alphabet.find(c) != std::string_view::npos);
            symbols.insert(c);
        }
        parts.insert(part);
    }
    CHECK(detail::name_alphabet.size() >= 36);
    CHECK(parts.size() == 300);
    CHECK(symbols.size() >= 33);  // 3000 draws leave a symbol unused with odds ~1e-35
}

TEST_CASE("a forked child draws different names than its parent") {
    ScratchDir dir;
    mkstemp("", "tmp", dir.path());  // any per-process generator state is now initialised
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(pipe_fds[0]);
        std::string names;
        for (int i = 0; i < 20; ++i)
            names += random_part(mkstemp("", "", dir.path()).path, "", "") + "\n";
        ::_exit(platform::write_all(pipe_fds[1], names.data(), names.size()) == 0 ? 0 : 1);
    }
    ::close(pipe_fds[1]);
    std::set<std::string> parent_names;
    for (int i = 0; i < 20; ++i)
        parent_names.insert(random_part(mkstemp("", "", dir.path()).path, "", ""));
    std::string child_output;
    platform::read_all(pipe_fds[0], child_output);
    ::close(pipe_fds[0]);
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(child_output.size() > 0);
    std::istringstream lines(child_output);
    int child_count = 0;
    for (std::string name; std::getline(lines, name); ++child_count)
        CHECK_MESSAGE(parent_names.count(name) == 0, name);
    CHECK(child_count == 20);
}

TEST_CASE("a symlink or file planted at a candidate name is never followed or reused") {
    ScratchDir dir, outside;
    fs::create_directory(dir / "temps");
    write_file(outside / "secret", "secret");
    fs::create_symlink(outside / "created-through-link", dir / "temps" / "tmpAAAAAAAAAA");
    fs::create_symlink(outside / "secret", dir / "temps" / "tmpBBBBBBBBBB");
    write_file(dir / "temps" / "tmpCCCCCCCCCC", "precious");
    fs::create_directory(dir / "temps" / "tmpDDDDDDDDDD");
    ScriptedNames names({"AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "EEEEEEEEEE",
                         "AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC", "DDDDDDDDDD", "FFFFFFFFFF"});
    MkstempResult file = mkstemp("", "tmp", dir / "temps");
    CHECK(file.path == (dir / "temps" / "tmpEEEEEEEEEE").string());
    CHECK(platform::write_all(file.fd.get(), "new", 3) == 0);
    std::string directory = mkdtemp("", "tmp", dir / "temps");
    CHECK(directory == (dir / "temps" / "tmpFFFFFFFFFF").string());
    CHECK(names.drawn() == 10);
    CHECK_FALSE(fs::exists(fs::symlink_status(outside / "created-through-link")));
    CHECK(read_file(outside / "secret") == "secret");
    CHECK(file_mode(outside / "secret") != 0700);
    CHECK(read_file(dir / "temps" / "tmpCCCCCCCCCC") == "precious");
    CHECK(list_dir(outside.path()) == std::vector<std::string>{"secret"});
}

TEST_CASE("after max_name_attempts taken names the error says so") {
    ScratchDir dir;
    SUBCASE("mkstemp") {
        ScopedFault fault(platform::Call::create, EEXIST, 0);
        try {
            mkstemp("", "tmp", dir.path());
            FAIL("mkstemp succeeded although every name was taken");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::file_exists);
            std::string expected =
                "atomfile: no unused name after 238328 attempts in '" + dir.path().string() + "'";
            CHECK(std::string(e.what()).rfind(expected, 0) == 0);
        }
        CHECK(fault.calls_seen() == detail::max_name_attempts);
    }
    SUBCASE("mkdtemp") {
        ScopedFault fault(platform::Call::mkdir, EEXIST, 0);
        std::error_code ec;
        CHECK(mkdtemp("", "tmp", dir.path(), ec).empty());
        CHECK(ec == std::errc::file_exists);
        CHECK(fault.calls_seen() == detail::max_name_attempts);
    }
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("a taken name is retried with a fresh one") {
    ScratchDir dir;
    ScopedFault fault(platform::Call::create, EEXIST, 1);
    ScriptedNames names({"first00000", "second0000"});
    MkstempResult result = mkstemp("", "tmp", dir.path());
    CHECK(result.path == (dir / "tmpsecond0000").string());
    CHECK(fault.calls_seen() == 2);
}

TEST_CASE("errors other than a taken name stop at once, naming the step and path") {
    ScratchDir dir;
    ScopedFault fault(platform::Call::create, ENOSPC, 0);
    try {
        mkstemp("", "tmp", dir.path());
        FAIL("mkstemp succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_space_on_device);
        CHECK(e.step() == "create temp file");
        CHECK(fs::path(e.path()).parent_path() == dir.path());
    }
    CHECK(fault.calls_seen() == 1);
}

TEST_CASE("a missing directory is reported with its path") {
    ScratchDir dir;
    std::string missing = (dir / "missing").string();
    try {
        mkstemp("", "tmp", missing);
        FAIL("mkstemp succeeded");
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::no_such_file_or_directory);
        CHECK(e.step() == "open temp directory");
        CHECK(e.path() == missing);
    }
    std::error_code ec;
    MkstempResult result = mkstemp("", "tmp", missing, false, ec);
    CHECK(ec == std::errc::no_such_file_or_directory);
    CHECK_FALSE(result.fd.valid());
    CHECK(result.path.empty());
}

TEST_CASE("a prefix or suffix containing a slash is refused and nothing is created") {
    ScratchDir dir;
    fs::create_directory(dir / "sub");
    std::error_code ec;
    mkstemp("", "sub/x", dir.path(), false, ec);
    CHECK(ec == std::errc::invalid_argument);
    mkdtemp("/../x", "tmp", dir.path(), ec);
    CHECK(ec == std::errc::invalid_argument);
    CHECK(list_dir(dir / "sub").empty());
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"sub"});
}
