#include <doctest/doctest.h>

#include "json_path.hpp"

using atomfile::json::PathError;
using atomfile::json::detail::array_index;
using atomfile::json::detail::parse_path;
using atomfile::json::detail::parse_pointer;
using atomfile::json::detail::Path;
using atomfile::json::detail::PathToken;
using atomfile::json::detail::to_pointer;

TEST_CASE("a JSON Pointer splits at slashes and unescapes ~1 then ~0 (RFC 6901 section 4)") {
    CHECK(parse_pointer("") == Path{});
    CHECK(parse_pointer("/foo/0") == Path{"foo", "0"});
    CHECK(parse_pointer("/") == Path{""});
    CHECK(parse_pointer("/a~1b") == Path{"a/b"});
    CHECK(parse_pointer("/m~0n") == Path{"m~n"});
    CHECK(parse_pointer("/~01") == Path{"~1"});  // not "/": ~0 is decoded after ~1
    CHECK(parse_pointer("//x/") == Path{"", "x", ""});
}

TEST_CASE("a pointer with a bad ~ escape or no leading slash is refused") {
    CHECK_THROWS_AS(parse_pointer("/a~2"), PathError);
    CHECK_THROWS_AS(parse_pointer("/a~"), PathError);
    CHECK_THROWS_AS(parse_pointer("a/b"), PathError);
}

TEST_CASE("the URI fragment form is percent-decoded (RFC 6901 section 6)") {
    CHECK(parse_path("#") == Path{});
    CHECK(parse_path("#/foo") == Path{"foo"});
    CHECK(parse_path("#/c%25d") == Path{"c%d"});
    CHECK(parse_path("#/%20") == Path{" "});
    CHECK(parse_path("#/k%22l") == Path{"k\"l"});
    CHECK_THROWS_AS(parse_path("#/%2"), PathError);
}

TEST_CASE("dotted paths name members, indices and quoted keys") {
    CHECK(parse_path(".") == Path{});
    CHECK(parse_path(".a.b[0]") == Path{"a", "b", PathToken("0", true)});
    CHECK(parse_path(".[\"key.with.dots\"]") == Path{"key.with.dots"});
    CHECK(parse_path(".a[\"x\\\"y\"].c") == Path{"a", "x\"y", "c"});
    CHECK(parse_path("[3][4]") == Path{PathToken("3", true), PathToken("4", true)});
    CHECK(parse_path(".a/b") == Path{"a/b"});
}

TEST_CASE("malformed dotted paths are refused") {
    for (const char* bad : {"..a", ".a.", ".a[", ".a[x]", ".a[\"x\"", ".a[1", ".[\"\\q\"]"})
        CHECK_THROWS_AS(parse_path(bad), PathError);
}

TEST_CASE("to_pointer escapes what parse_pointer unescapes") {
    Path path{"a/b", "m~n", "", "0"};
    CHECK(to_pointer(path) == "/a~1b/m~0n//0");
    CHECK(parse_pointer(to_pointer(path)) == path);
}

TEST_CASE("array indices are digit strings without leading zeros") {
    CHECK(array_index("0") == 0u);
    CHECK(array_index("17") == 17u);
    CHECK_FALSE(array_index("01"));
    CHECK_FALSE(array_index("-1"));
    CHECK_FALSE(array_index("1a"));
    CHECK_FALSE(array_index(""));
    CHECK_FALSE(array_index("-"));
    CHECK_FALSE(array_index("99999999999999999999"));
}

TEST_CASE("jq's quoted keys name members: .\"a.b\", .a.\"b c\", .[\"a.b\"]") {
    CHECK(parse_path(".\"a.b\"") == Path{"a.b"});
    CHECK(parse_path(".a.\"b c\"") == Path{"a", "b c"});
    CHECK(parse_path(".[\"a.b\"]") == Path{"a.b"});
    CHECK(parse_path(".\"a\\\"b\".c[0]") == Path{"a\"b", "c", PathToken("0", true)});
    CHECK(parse_path(".\"0\"") == Path{"0"});  // a name, not an index
    for (const char* bad : {".\"a", ".\"a\"b", ".\"\\q\""}) {
        CAPTURE(bad);
        CHECK_THROWS_AS(parse_path(bad), PathError);
    }
}

TEST_CASE("[-N] is a position from the end; leading zeros mean nothing; -0 is refused") {
    Path path = parse_path(".a[-1]");
    REQUIRE(path.size() == 2);
    CHECK(path[1].from_end());
    CHECK(path[1].name == "-1");
    CHECK(parse_path(".a[007]") == Path{"a", PathToken("7", true)});
    CHECK_THROWS_AS(parse_path(".a[-0]"), PathError);
    CHECK_THROWS_AS(parse_path(".a[-]"), PathError);
    // A pointer has no negative index: "-1" is a token like any other.
    CHECK_FALSE(parse_path("/a/-1")[1].from_end());
}

TEST_CASE("to_dotted spells a path that parse_path reads back, and messages use it for [-N]") {
    using atomfile::json::detail::describe_path;
    using atomfile::json::detail::to_dotted;
    Path path{"plain", "with.dot", "q\"uote", PathToken("0", true), PathToken("-2", true), "0", ""};
    CHECK(to_dotted(path) == ".plain[\"with.dot\"][\"q\\\"uote\"][0][-2][\"0\"][\"\"]");
    CHECK(parse_path(to_dotted(path)) == path);
    CHECK(to_dotted({}) == ".");
    CHECK(describe_path({"a", PathToken("-1", true)}) == ".a[-1]");
    CHECK(describe_path({"a", PathToken("1", true)}) == "/a/1");
}
