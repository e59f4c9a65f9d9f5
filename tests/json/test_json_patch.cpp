#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <string>

#include "json_patch.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;
using nlohmann::json;

namespace {

// Applies patch to document; returns the result parsed, or "error" when the patch failed.
json patched(const std::string& document_text, const std::string& patch) {
    Splicer document(document_text);
    try {
        apply_patch(document, patch);
    } catch (const OperationError&) {
        return "error";
    }
    return json::parse(document.text());
}

json merged(const std::string& target, const std::string& patch) {
    Splicer document(target);
    apply_merge_patch(document, {}, patch);
    return json::parse(document.text());
}

}  // namespace

// RFC 6902 Appendix A, every example.
TEST_CASE("RFC 6902 A.1 adding an object member") {
    CHECK(patched(R"({"foo": "bar"})", R"([{ "op": "add", "path": "/baz", "value": "qux" }])") ==
          json::parse(R"({"baz": "qux", "foo": "bar"})"));
}

TEST_CASE("RFC 6902 A.2 adding an array element") {
    CHECK(patched(R"({"foo": [ "bar", "baz" ]})",
                  R"([{ "op": "add", "path": "/foo/1", "value": "qux" }])") ==
          json::parse(R"({"foo": [ "bar", "qux", "baz" ]})"));
}

TEST_CASE("RFC 6902 A.3 removing an object member") {
    CHECK(patched(R"({"baz": "qux", "foo": "bar"})", R"([{ "op": "remove", "path": "/baz" }])") ==
          json::parse(R"({"foo": "bar"})"));
}

TEST_CASE("RFC 6902 A.4 removing an array element") {
    CHECK(patched(R"({"foo": [ "bar", "qux", "baz" ]})",
                  R"([{ "op": "remove", "path": "/foo/1" }])") ==
          json::parse(R"({"foo": [ "bar", "baz" ]})"));
}

TEST_CASE("RFC 6902 A.5 replacing a value") {
    CHECK(patched(R"({"baz": "qux", "foo": "bar"})",
                  R"([{ "op": "replace", "path": "/baz", "value": "boo" }])") ==
          json::parse(R"({"baz": "boo", "foo": "bar"})"));
}

TEST_CASE("RFC 6902 A.6 moving a value") {
    CHECK(patched(R"({"foo": {"bar": "baz", "waldo": "fred"}, "qux": {"corge": "grault"}})",
                  R"([{ "op": "move", "from": "/foo/waldo", "path": "/qux/thud" }])") ==
          json::parse(R"({"foo": {"bar": "baz"}, "qux": {"corge": "grault", "thud": "fred"}})"));
}

TEST_CASE("RFC 6902 A.7 moving an array element") {
    CHECK(patched(R"({"foo": [ "all", "grass", "cows", "eat" ]})",
                  R"([{ "op": "move", "from": "/foo/1", "path": "/foo/3" }])") ==
          json::parse(R"({"foo": [ "all", "cows", "eat", "grass" ]})"));
}

TEST_CASE("RFC 6902 A.8 testing a value: success") {
    std::string document = R"({"baz": "qux", "foo": [ "a", 2, "c" ]})";
    CHECK(patched(document, R"([{ "op": "test", "path": "/baz", "value": "qux" },
                                { "op": "test", "path": "/foo/1", "value": 2 }])") ==
          json::parse(document));
}

TEST_CASE("RFC 6902 A.9 testing a value: error") {
    CHECK(patched(R"({"baz": "qux"})", R"([{ "op": "test", "path": "/baz", "value": "bar" }])") ==
          "error");
}

TEST_CASE("RFC 6902 A.10 adding a nested member object") {
    CHECK(patched(R"({"foo": "bar"})",
                  R"([{ "op": "add", "path": "/child", "value": { "grandchild": { } } }])") ==
          json::parse(R"({"foo": "bar", "child": {"grandchild": {}}})"));
}

TEST_CASE("RFC 6902 A.11 ignoring unrecognized elements") {
    CHECK(patched(R"({"foo": "bar"})",
                  R"([{ "op": "add", "path": "/baz", "value": "qux", "xyz": 123 }])") ==
          json::parse(R"({"foo": "bar", "baz": "qux"})"));
}

TEST_CASE("RFC 6902 A.12 adding to a nonexistent target") {
    CHECK(patched(R"({"foo": "bar"})",
                  R"([{ "op": "add", "path": "/baz/bat", "value": "qux" }])") == "error");
}

TEST_CASE("RFC 6902 A.13 an invalid patch document (a repeated op) is refused before use") {
    // The command validates arguments first and refuses duplicate keys (exit 3, see
    // test_json_edit); here: the scanner flags the document.
    ScanReport report =
        validate(R"([{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }])");
    REQUIRE(report.duplicates.size() == 1);
    CHECK(report.duplicates[0].key == "op");
}

TEST_CASE("RFC 6902 A.14 ~ escape ordering") {
    std::string document = R"({"/": 9, "~1": 10})";
    CHECK(patched(document, R"([{"op": "test", "path": "/~01", "value": 10}])") ==
          json::parse(document));
}

TEST_CASE("RFC 6902 A.15 comparing strings and numbers") {
    CHECK(patched(R"({"/": 9, "~1": 10})", R"([{"op": "test", "path": "/~01", "value": "10"}])") ==
          "error");
}

TEST_CASE("RFC 6902 A.16 adding an array value") {
    CHECK(patched(R"({"foo": ["bar"]})",
                  R"([{ "op": "add", "path": "/foo/-", "value": ["abc", "def"] }])") ==
          json::parse(R"({"foo": ["bar", ["abc", "def"]]})"));
}

TEST_CASE("malformed patch operations fail with a message naming the operation") {
    Splicer document(R"({"a": 1})");
    CHECK_THROWS_WITH_AS(apply_patch(document, R"([{"op": "remove", "path": "/b"}])"),
                         "patch operation 1 (remove /b): /b: no such value", OperationError);
    CHECK_THROWS_WITH_AS(apply_patch(document, R"([{"op": "frob", "path": "/a"}])"),
                         "patch operation 1 (frob /a): unknown operation \"frob\"", OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"([{"path": "/a"}])"), OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"([{"op": "add", "path": "/a"}])"), OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"([{"op": "copy", "path": "/a"}])"), OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"([{"op": "add", "path": "a", "value": 1}])"),
                    OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"({"op": "add"})"), OperationError);
    CHECK_THROWS_AS(apply_patch(document, R"([{"op": "move", "from": "", "path": "/x"}])"),
                    OperationError);
    CHECK(document.text() == R"({"a": 1})");
}

TEST_CASE("patched values keep their spelling and take the document's layout") {
    Splicer document("{\n  \"a\": 1\n}\n");
    apply_patch(document, R"([{"op": "add", "path": "/b", "value": {"n": 1.50, "s": "\u00e9"}}])");
    CHECK(document.text() ==
          "{\n  \"a\": 1,\n  \"b\": {\n    \"n\": 1.50,\n    \"s\": \"\\u00e9\"\n  }\n}\n");
}

// RFC 7396 Appendix A, every example, and the example of section 3.
TEST_CASE("RFC 7396 appendix A merge patch examples") {
    const char* cases[][3] = {
        {R"({"a":"b"})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"b"})", R"({"b":"c"})", R"({"a":"b","b":"c"})"},
        {R"({"a":"b"})", R"({"a":null})", R"({})"},
        {R"({"a":"b","b":"c"})", R"({"a":null})", R"({"b":"c"})"},
        {R"({"a":["b"]})", R"({"a":"c"})", R"({"a":"c"})"},
        {R"({"a":"c"})", R"({"a":["b"]})", R"({"a":["b"]})"},
        {R"({"a":{"b":"c"}})", R"({"a":{"b":"d","c":null}})", R"({"a":{"b":"d"}})"},
        {R"({"a":[{"b":"c"}]})", R"({"a":[1]})", R"({"a":[1]})"},
        {R"(["a","b"])", R"(["c","d"])", R"(["c","d"])"},
        {R"({"a":"b"})", R"(["c"])", R"(["c"])"},
        {R"({"a":"foo"})", R"(null)", R"(null)"},
        {R"({"a":"foo"})", R"("bar")", R"("bar")"},
        {R"({"e":null})", R"({"a":1})", R"({"e":null,"a":1})"},
        {R"([1,2])", R"({"a":"b","c":null})", R"({"a":"b"})"},
        {R"({})", R"({"a":{"bb":{"ccc":null}}})", R"({"a":{"bb":{}}})"},
    };
    for (const auto& c : cases) {
        CAPTURE(c[0]);
        CAPTURE(c[1]);
        CHECK(merged(c[0], c[1]) == json::parse(c[2]));
    }
}

TEST_CASE("RFC 7396 section 3 example") {
    std::string target = R"({
  "title": "Goodbye!",
  "author" : {
    "givenName" : "John",
    "familyName" : "Doe"
  },
  "tags":[ "example", "sample" ],
  "content": "This will be unchanged"
})";
    std::string patch = R"({
  "title": "Hello!",
  "phoneNumber": "+01-234-567-8910",
  "author": {
    "familyName": null
  },
  "tags": [ "example" ]
})";
    CHECK(merged(target, patch) == json::parse(R"({
  "title": "Hello!",
  "author" : { "givenName" : "John" },
  "tags": [ "example" ],
  "content": "This will be unchanged",
  "phoneNumber": "+01-234-567-8910"
})"));
}

TEST_CASE("json_equal compares by value, not spelling") {
    CHECK(json_equal("1", "1.0"));
    CHECK(json_equal(R"({"a": [1, "\u00e9"], "b": null})", R"({"b":null,"a":[1,"é"]})"));
    CHECK_FALSE(json_equal("10", R"("10")"));
    CHECK_FALSE(json_equal("[1, 2]", "[2, 1]"));
    CHECK(json_equal("[1e400]", "[ 1e400 ]"));
    CHECK_FALSE(json_equal("1e400", "2e400"));
}

TEST_CASE("a test operation compares values nested a million levels deep without recursion") {
    // Comparing the parsed values recursed once per level and overflowed the stack.
    const std::size_t depth = 1000000;
    std::string deep = std::string(depth, '[') + std::string(depth, ']');
    std::string other = std::string(depth, '[') + "1" + std::string(depth, ']');
    CHECK(json_equal(deep, deep));
    CHECK_FALSE(json_equal(deep, other));
    std::string object = "{\"b\": 1, \"a\": " + deep + "}";
    CHECK(json_equal(object, "{\"a\": " + deep + ", \"b\": 1.0}"));
    CHECK_FALSE(json_equal(object, "{\"a\": " + other + ", \"b\": 1}"));
    Splicer document("{\"a\": " + deep + "}", depth + 1);
    CHECK_NOTHROW(
        apply_patch(document, "[{\"op\": \"test\", \"path\": \"/a\", \"value\": " + deep + "}]"));
    CHECK_THROWS_WITH_AS(
        apply_patch(document, "[{\"op\": \"test\", \"path\": \"/a\", \"value\": " + other + "}]"),
        "patch operation 1 (test /a): test failed: the values differ", OperationError);
}
