#include <doctest/doctest.h>

#include <cerrno>

#include "atomfile/error.hpp"
#include "lib/temp_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("absolute_path joins the working directory and normalises like Python's abspath") {
    std::string cwd = fs::current_path().string();
    CHECK(detail::absolute_path("/a/./b/../c/") == "/a/c");
    CHECK(detail::absolute_path("/") == "/");
    CHECK(detail::absolute_path("x/y") == cwd + "/x/y");
    CHECK(detail::absolute_path(".") == cwd);
}

TEST_CASE("join_path does not double the root's slash") {
    CHECK(detail::join_path("/", "x") == "/x");
    CHECK(detail::join_path("/tmp", "x") == "/tmp/x");
}

TEST_CASE("a scripted name source replaces the random one and is removable") {
    {
        ScriptedNames names({"fixed"});
        CHECK(detail::draw_name("pre", "suf") == "prefixedsuf");
    }
    std::string name = detail::draw_name("pre", "suf");
    CHECK(name.size() == 3 + detail::random_characters + 3);
}

TEST_CASE("a failing random source stops creation with the kernel's error") {
    ScratchDir dir;
    FileDescriptor dir_fd = detail::open_temp_directory(dir.path().string());
    ScopedFault fault(platform::Call::getrandom, ENOSYS, 0);
    std::string name;
    CHECK_THROWS_AS(detail::create_unique_file(dir_fd.get(), dir.path().string(), "p", "", name),
                    Error);
    CHECK(list_dir(dir.path()).empty());
}

TEST_CASE("affixes with a slash are refused") {
    CHECK_THROWS_AS(detail::check_affixes("a/b", ""), Error);
    CHECK_THROWS_AS(detail::check_affixes("", "/x"), Error);
    CHECK_NOTHROW(detail::check_affixes("app_", ".txt"));
}
