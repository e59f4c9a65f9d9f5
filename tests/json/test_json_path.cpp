#include <doctest/doctest.h>

#include "json/json_path.hpp"

using atomfile::json::array_index;
using atomfile::json::parse_path;
using atomfile::json::parse_pointer;
using atomfile::json::Path;
using atomfile::json::PathError;
using atomfile::json::to_pointer;

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
    CHECK(parse_path(".a.b[0]") == Path{"a", "b", "0"});
    CHECK(parse_path(".[\"key.with.dots\"]") == Path{"key.with.dots"});
    CHECK(parse_path(".a[\"x\\\"y\"].c") == Path{"a", "x\"y", "c"});
    CHECK(parse_path("[3][4]") == Path{"3", "4"});
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
