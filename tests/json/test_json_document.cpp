#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <random>
#include <string>

#include "json_document.hpp"
#include "json_patch.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;

namespace {

std::string edited(std::string text, void (*edit)(Splicer&)) {
    Splicer document(std::move(text));
    edit(document);
    return document.text();
}

}  // namespace

TEST_CASE("every byte outside the edited value is kept: spellings, BOM, CRLF, blank lines") {
    std::string before =
        "\xEF\xBB\xBF{\r\n  \"price\": 1.50,\r\n\r\n  \"id\": 9007199254740993,\r\n"
        "  \"huge\": 1e400,\r\n  \"name\": \"caf\\u00e9\",\r\n  \"n\": 1\r\n}\r\n";
    std::string after = edited(before, [](Splicer& d) { d.set({"n"}, "2"); });
    std::string expected = before;
    expected.replace(expected.find("\"n\": 1") + 5, 1, "2");
    CHECK(after == expected);
}

TEST_CASE("revert restores the validated text after any number of edits, which then start over") {
    const std::string text = "{\"a\": [1, 2], \"b\": {\"c\": 1}}";
    Splicer document(text);
    CHECK(document.pristine());
    document.set({"a", "0"}, "9");
    CHECK_FALSE(document.pristine());
    document.remove({"b"});
    document.set({"z"}, "true");
    REQUIRE(document.text() == "{\"a\": [9, 2], \"z\": true}");
    document.revert();
    CHECK(document.pristine());
    CHECK_FALSE(document.changed());
    CHECK(document.text() == text);
    document.set({"b", "c"}, "2");
    CHECK(document.text() == "{\"a\": [1, 2], \"b\": {\"c\": 2}}");
    document.revert();
    CHECK(document.text() == text);
}

TEST_CASE("an inserted member is indented like its siblings, with the file's line ends") {
    std::string four = "{\n    \"a\": {\n        \"b\": 1\n    }\n}\n";
    CHECK(edited(four,
                 [](Splicer& d) {
                     d.set({"a", "c"}, "[1,{\"x\":2}]");
                 }) ==
          "{\n    \"a\": {\n        \"b\": 1,\n        \"c\": [\n            1,\n"
          "            {\n                \"x\": 2\n            }\n        ]\n    }\n}\n");
    std::string tabs = "{\r\n\t\"a\": 1\r\n}";
    CHECK(edited(tabs, [](Splicer& d) { d.set({"b"}, "{\"c\":true}"); }) ==
          "{\r\n\t\"a\": 1,\r\n\t\"b\": {\r\n\t\t\"c\": true\r\n\t}\r\n}");
}

TEST_CASE("missing parent objects are created by set") {
    CHECK(edited("{\"a\": 1}", [](Splicer& d) {
              d.set({"x", "y", "z"}, "0");
          }) == "{\"a\": 1, \"x\": {\"y\": {\"z\": 0}}}");
    Splicer document("{\"a\": [1]}");
    CHECK_THROWS_AS(document.set({"a", "5", "b"}, "0"), OperationError);
    CHECK_THROWS_AS(document.set({"a", "0", "b"}, "0"), OperationError);
}

TEST_CASE("a removed member takes its comma with it, wherever it is") {
    std::string text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"c\": 3\n}\n";
    CHECK(edited(text, [](Splicer& d) { d.remove({"a"}); }) == "{\n  \"b\": 2,\n  \"c\": 3\n}\n");
    CHECK(edited(text, [](Splicer& d) { d.remove({"b"}); }) == "{\n  \"a\": 1,\n  \"c\": 3\n}\n");
    CHECK(edited(text, [](Splicer& d) { d.remove({"c"}); }) == "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    CHECK(edited("[1, 2, 3]", [](Splicer& d) { d.remove({"2"}); }) == "[1, 2]");
    CHECK(edited("[1, 2, 3]", [](Splicer& d) { d.remove({"0"}); }) == "[2, 3]");
    CHECK(edited("{\"only\": [1]}", [](Splicer& d) { d.remove({"only"}); }) == "{}");
    CHECK(edited("{\n  \"a\": {\n    \"b\": 1\n  }\n}", [](Splicer& d) {
              d.remove({"a", "b"});
          }) == "{\n  \"a\": {}\n}");
}

TEST_CASE("an edit inside an empty object or array looks hand-typed") {
    std::string pretty = "{\n  \"o\": {},\n  \"l\": []\n}\n";
    CHECK(edited(pretty, [](Splicer& d) {
              d.set({"o", "k"}, "1");
          }) == "{\n  \"o\": {\n    \"k\": 1\n  },\n  \"l\": []\n}\n");
    CHECK(edited(pretty, [](Splicer& d) { d.append({"l"}, "\"x\""); }) ==
          "{\n  \"o\": {},\n  \"l\": [\n    \"x\"\n  ]\n}\n");
    CHECK(edited("{\"o\":{}}", [](Splicer& d) { d.set({"o", "k"}, "1"); }) == "{\"o\":{\"k\":1}}");
    CHECK(edited("{}", [](Splicer& d) { d.set({"k"}, "[1,2]"); }) == "{\"k\": [1, 2]}");
}

TEST_CASE("one-line containers in a pretty document stay on one line") {
    std::string text = "{\n  \"tags\": [\"a\", \"b\"],\n  \"p\": {\"x\": 1}\n}";
    CHECK(edited(text, [](Splicer& d) { d.append({"tags"}, "{\"c\": [3]}"); }) ==
          "{\n  \"tags\": [\"a\", \"b\", {\"c\": [3]}],\n  \"p\": {\"x\": 1}\n}");
    CHECK(edited(text, [](Splicer& d) {
              d.set({"p", "y"}, "2");
          }) == "{\n  \"tags\": [\"a\", \"b\"],\n  \"p\": {\"x\": 1, \"y\": 2}\n}");
}

TEST_CASE("RFC 6902 add inserts into arrays before the index, or appends with -") {
    std::string text = "[\n  1,\n  2\n]";
    CHECK(edited(text, [](Splicer& d) { d.add({"1"}, "9"); }) == "[\n  1,\n  9,\n  2\n]");
    CHECK(edited(text, [](Splicer& d) { d.add({"0"}, "9"); }) == "[\n  9,\n  1,\n  2\n]");
    CHECK(edited(text, [](Splicer& d) { d.add({"-"}, "9"); }) == "[\n  1,\n  2,\n  9\n]");
    CHECK(edited(text, [](Splicer& d) { d.add({"2"}, "9"); }) == "[\n  1,\n  2,\n  9\n]");
    Splicer document(text);
    CHECK_THROWS_AS(document.add({"3"}, "9"), OperationError);
    CHECK_THROWS_AS(document.add({"01"}, "9"), OperationError);
}

TEST_CASE("JSONC comments are kept, and a member's trailing comment stays with it") {
    std::string text =
        "// settings\n{\n  \"a\": 1, // first\n  /* block */\n  \"b\": 2 // second\n}\n";
    CHECK(edited(text, [](Splicer& d) { d.set({"c"}, "3"); }) ==
          "// settings\n{\n  \"a\": 1, // first\n  /* block */\n  \"b\": 2, // second\n  \"c\": "
          "3\n}\n");
    CHECK(edited(text, [](Splicer& d) { d.remove({"b"}); }) ==
          "// settings\n{\n  \"a\": 1 // first\n  /* block */\n}\n");
    CHECK(edited(text, [](Splicer& d) { d.set({"a"}, "[]"); }) ==
          "// settings\n{\n  \"a\": [], // first\n  /* block */\n  \"b\": 2 // second\n}\n");
}

TEST_CASE("removing a last member never lets a kept line comment swallow the closing bracket") {
    std::string text = "[0.50,//\n \n //\n //\n {\"k\":\"v\"}]";
    std::string result = edited(text, [](Splicer& d) { d.remove({"1"}); });
    CHECK(result == "[0.50//\n \n //\n //\n]");
    CHECK(nlohmann::json::parse(result, nullptr, true, true) == nlohmann::json::parse("[0.5]"));
    std::string crlf = "{\"a\": 1, // one\r\n  \"b\": 2}";
    CHECK(edited(crlf, [](Splicer& d) { d.remove({"b"}); }) == "{\"a\": 1 // one\r\n}");
    std::string closed = "[1, // one\n  2\n]";
    CHECK(edited(closed, [](Splicer& d) { d.remove({"1"}); }) == "[1 // one\n]");
}

TEST_CASE("duplicate keys are reported, and any operation through one is ambiguous") {
    Splicer document("{\"a\": 1,\n \"a\": 2, \"b\": {\"c\": 0}}");
    REQUIRE(document.duplicates().size() == 1);
    CHECK(document.duplicates()[0].key == "a");
    CHECK_THROWS_WITH_AS(document.set({"a"}, "3"),
                         "ambiguous: the key \"a\" appears twice, at lines 1 and 2", AmbiguousKey);
    CHECK_THROWS_WITH_AS(document.get({"a"}),
                         "ambiguous: the key \"a\" appears twice, at lines 1 and 2", AmbiguousKey);
    CHECK_THROWS_AS(document.remove({"a"}), AmbiguousKey);
    CHECK_THROWS_AS(document.contains({"a", "x"}), AmbiguousKey);
    CHECK_FALSE(document.changed());
    document.set({"b", "c"}, "1");
    CHECK(document.text() == "{\"a\": 1,\n \"a\": 2, \"b\": {\"c\": 1}}");
}

TEST_CASE("setting a value to its own spelling changes nothing") {
    Splicer document("{\"a\": 1.50}");
    document.set({"a"}, "1.50");
    CHECK_FALSE(document.changed());
    document.set({"a"}, "2");
    CHECK(document.changed());
    document.set({"a"}, "1.50");
    CHECK_FALSE(document.changed());
    CHECK(document.text() == "{\"a\": 1.50}");
}

TEST_CASE("the result comes out as three pieces until a second edit needs the text") {
    Splicer document("{\"a\": 1, \"b\": 2}");
    document.replace({"b"}, "3");
    auto pieces = document.pieces();
    CHECK(std::string(pieces[0]) + std::string(pieces[1]) + std::string(pieces[2]) ==
          "{\"a\": 1, \"b\": 3}");
    CHECK(pieces[1] == "3");
}

TEST_CASE("get returns the value as written and print re-indents it to the margin") {
    Splicer document("{\n  \"a\": {\n    \"b\": [1.0, \"\\u00e9\"] // c\n  }\n}");
    CHECK(document.get({"a", "b"}) == "[1.0, \"\\u00e9\"]");
    CHECK(document.print({"a"}) == "{\n  \"b\": [\n    1.0,\n    \"\\u00e9\"\n  ]\n}");
    CHECK_THROWS_WITH_AS(document.get({"a", "x"}), "/a/x: no such value", OperationError);
    CHECK_THROWS_WITH_AS(document.get({"a", "b", "0", "z"}), "/a/b/0 is not an object or array",
                         OperationError);
    CHECK_THROWS_AS(document.append({"a"}, "1"), OperationError);
    CHECK_THROWS_AS(document.remove({}), OperationError);
}

// ---- differential tests: the spliced text, parsed, equals nlohmann's DOM -----------------------

namespace {

using nlohmann::json;

class Random {
  public:
    explicit Random(unsigned seed) : engine_(seed) {}
    int below(int n) { return std::uniform_int_distribution<int>(0, n - 1)(engine_); }
    bool chance(int percent) { return below(100) < percent; }

    json value(int depth) {
        static const char* strings[] = {"", "x", "caf\xC3\xA9", "a\"b", "line\nbreak", "\\"};
        int kind = below(depth >= 3 ? 4 : 6);
        if (kind == 0) return below(2000) - 1000;
        if (kind == 1) return below(400) * 0.25;
        if (kind == 2) return strings[below(6)];
        if (kind == 3) return below(3) == 0 ? json(nullptr) : json(chance(50));
        json container = kind == 4 ? json::object() : json::array();
        for (int i = below(5); i > 0; --i) {
            if (kind == 4)
                container[key()] = value(depth + 1);
            else
                container.push_back(value(depth + 1));
        }
        return container;
    }
    std::string key() {
        static const char* keys[] = {"a", "b", "c", "d", "e/f", "g~h", ""};
        return keys[below(7)];
    }
    // The document as a person might have written it: some indent, maybe CRLF, comments, BOM.
    std::string print(const json& value) {
        std::string text = value.dump(below(4) == 0 ? -1 : below(5));
        if (text.find('\n') != std::string::npos && chance(30)) {
            for (std::size_t nl = text.find('\n'); nl != std::string::npos;
                 nl = text.find('\n', nl + 1)) {
                if (chance(20)) text.insert(nl + 1, "// note\n"), nl += 8;
            }
        }
        if (chance(20)) text = "/* head */ " + text;
        if (chance(20)) {
            for (std::size_t nl = text.find('\n'); nl != std::string::npos;
                 nl = text.find('\n', nl + 2))
                text.insert(nl, "\r");
        }
        if (chance(10)) text = "\xEF\xBB\xBF" + text;
        return chance(50) ? text + "\n" : text;
    }

  private:
    std::mt19937 engine_;
};

void collect(const json& value, const json::json_pointer& at,
             std::vector<json::json_pointer>& out) {
    out.push_back(at);
    if (value.is_object())
        for (auto& [k, v] : value.items()) collect(v, at / k, out);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i) collect(value[i], at / i, out);
}

// A random RFC 6902 operation, mostly valid for dom.
json random_operation(Random& random, const json& dom) {
    std::vector<json::json_pointer> paths;
    collect(dom, json::json_pointer(), paths);
    auto any = [&] {
        return paths[static_cast<std::size_t>(random.below(static_cast<int>(paths.size())))];
    };
    auto target = [&] {
        json::json_pointer p = any();
        const json& v = dom.at(p);
        if (v.is_object()) return p / random.key();
        if (v.is_array())
            return random.chance(30)
                       ? p / "-"
                       : p / static_cast<std::size_t>(random.below(static_cast<int>(v.size()) + 1));
        return p;
    };
    static const char* ops[] = {"add", "remove", "replace", "move", "copy", "test"};
    std::string op = ops[random.below(6)];
    json operation = {{"op", op}};
    if (op == "add")
        operation["path"] = target().to_string();
    else
        operation["path"] = any().to_string();
    if (op == "add" || op == "replace") operation["value"] = random.value(1);
    if (op == "test")
        operation["value"] = random.chance(60)
                                 ? dom.at(json::json_pointer(operation["path"].get<std::string>()))
                                 : random.value(2);
    if (op == "move" || op == "copy") {
        operation["from"] = any().to_string();
        operation["path"] = target().to_string();
    }
    return operation;
}

bool parent_is_container(const json& dom, const std::string& path) {
    json::json_pointer pointer(path);
    if (pointer.empty()) return true;
    json::json_pointer parent = pointer.parent_pointer();
    return dom.contains(parent) && (dom.at(parent).is_object() || dom.at(parent).is_array());
}

bool is_prefix(const std::string& a, const std::string& b) {
    return a.size() < b.size() && b.compare(0, a.size(), a) == 0 && b[a.size()] == '/';
}

// Applies one random operation to both and checks they agree; false when it failed (a failed
// patch may leave the document half-edited: the command then writes nothing).
bool step(Random& random, Splicer& document, json& dom) {
    int kind = random.below(10);
    json before = dom;
    bool dom_failed = false, document_failed = false;
    std::string description;
    if (kind < 7) {
        json operation = random_operation(random, dom);
        if (operation.contains("from") && (is_prefix(operation["from"], operation["path"]) ||
                                           operation["from"] == operation["path"]))
            return true;
        description = operation.dump();
        json dom_patch = json::array({operation});
        if (operation["op"] == "move" &&
            dom.contains(json::json_pointer(operation["from"].get<std::string>())))
            dom_patch = {
                {{"op", "remove"}, {"path", operation["from"]}},
                {{"op", "add"},
                 {"path", operation["path"]},
                 {"value", dom.at(json::json_pointer(operation["from"].get<std::string>()))}}};
        try {
            // RFC 6902 defines move as remove then add; nlohmann adds first, so it is spelled out.
            // nlohmann also "adds" into null or scalar parents, which RFC 6902 calls an error.
            for (const json& one : dom_patch) {
                if (one["op"] != "remove" && !parent_is_container(dom, one["path"]))
                    throw std::runtime_error("no container");
                dom = dom.patch(json::array({one}));
            }
        } catch (const std::exception&) {
            dom = before;
            dom_failed = true;
        }
        try {
            apply_patch(document, json::array({operation}).dump());
        } catch (const OperationError&) {
            document_failed = true;
        }
    } else if (kind < 9) {
        json patch = random.value(0);
        if (patch.is_object() && random.chance(50)) patch[random.key()] = nullptr;
        description = "merge " + patch.dump();
        dom.merge_patch(patch);
        apply_merge_patch(document, {}, patch.dump());
    } else {
        std::string k1 = random.key(), k2 = random.key();
        json value = random.value(2);
        description = "set /" + k1 + "/" + k2 + " " + value.dump();
        try {
            if (!dom.is_object() || (dom.contains(k1) && !dom[k1].is_object()))
                throw std::runtime_error("type");
            dom[k1][k2] = value;
        } catch (const std::exception&) {
            dom = before;
            dom_failed = true;
        }
        try {
            document.set({k1, k2}, value.dump());
        } catch (const OperationError&) {
            document_failed = true;
        }
    }
    INFO(description);
    INFO(document.text());
    REQUIRE(dom_failed == document_failed);
    if (dom_failed) return false;
    json parsed = json::parse(document.text(), nullptr, true, true);
    REQUIRE(parsed == dom);
    REQUIRE(validate(document.text()).duplicates.empty());
    return true;
}

}  // namespace

TEST_CASE("no edit nests the document deeper than its max_depth, so it reads back") {
    Splicer document("{\"a\": [[1]]}", 4);
    CHECK_THROWS_WITH_AS(document.set({"a", "0", "0"}, "[[2]]"),
                         "the result would nest 5 levels deep, deeper than the maximum depth of 4",
                         OperationError);
    CHECK_THROWS_AS(document.set({"b", "c", "d"}, "[[]]"), OperationError);
    CHECK_THROWS_AS(document.add({"a", "-"}, "[[[]]]"), OperationError);
    CHECK_THROWS_AS(document.replace({"a", "0"}, "[[[]]]"), OperationError);
    CHECK_THROWS_AS(document.append({"a", "0"}, "[[]]"), OperationError);
    CHECK_FALSE(document.changed());
    document.set({"a", "0", "0"}, "[2]");
    document.append({"a"}, "[[3]]");
    CHECK(document.text() == "{\"a\": [[[2]], [[3]]]}");
    CHECK_NOTHROW(validate(document.text(), 4));
}

TEST_CASE("differential: random documents and operations agree with nlohmann's DOM") {
    for (unsigned seed = 1; seed <= 3000; ++seed) {
        Random random(seed);
        json dom = random.value(0);
        std::string text = random.print(dom);
        CAPTURE(seed);
        CAPTURE(text);
        Splicer document(text);
        for (int i = random.below(6) + 1; i > 0 && step(random, document, dom); --i) {
        }
    }
}

// RFC 6901 sections 5 and 6, every example.
TEST_CASE("RFC 6901 examples resolve to the values the RFC lists, in both notations") {
    std::string text = R"({
      "foo": ["bar", "baz"],
      "": 0,
      "a/b": 1,
      "c%d": 2,
      "e^f": 3,
      "g|h": 4,
      "i\\j": 5,
      "k\"l": 6,
      " ": 7,
      "m~n": 8
   })";
    Splicer document(text);
    CHECK(nlohmann::json::parse(document.get(parse_path(""))) == nlohmann::json::parse(text));
    CHECK(nlohmann::json::parse(document.get(parse_path("#"))) == nlohmann::json::parse(text));
    CHECK(document.get(parse_path("/foo")) == R"(["bar", "baz"])");
    CHECK(document.get(parse_path("#/foo")) == R"(["bar", "baz"])");
    CHECK(document.get(parse_path("/foo/0")) == R"("bar")");
    CHECK(document.get(parse_path("#/foo/0")) == R"("bar")");
    const char* pointers[][2] = {{"/", "#/"},          {"/a~1b", "#/a~1b"}, {"/c%d", "#/c%25d"},
                                 {"/e^f", "#/e%5Ef"},  {"/g|h", "#/g%7Ch"}, {"/i\\j", "#/i%5Cj"},
                                 {"/k\"l", "#/k%22l"}, {"/ ", "#/%20"},     {"/m~0n", "#/m~0n"}};
    for (int i = 0; i < 9; ++i) {
        CAPTURE(pointers[i][0]);
        CHECK(document.get(parse_path(pointers[i][0])) == std::to_string(i));
        CHECK(document.get(parse_path(pointers[i][1])) == std::to_string(i));
    }
}

TEST_CASE("a new key that is not valid UTF-8 is refused rather than written") {
    Splicer document("{\"a\": {}}");
    CHECK_THROWS_AS(document.set({"a", "\xD7"}, "1"), OperationError);
    CHECK_THROWS_AS(document.set({"\xD7", "b"}, "1"), OperationError);
    CHECK_THROWS_AS(document.add({"\xFF"}, "1"), OperationError);
    CHECK_FALSE(document.changed());
}

// ---- JSONC as tsc and VS Code write it --------------------------------------------------------

TEST_CASE("trailing commas are read and kept, and members inserted after them follow suit") {
    std::string pretty = "{\n  \"a\": 1,\n  \"b\": [\n    1,\n  ],\n}\n";
    CHECK(edited(pretty, [](Splicer& d) { d.set({"c"}, "true"); }) ==
          "{\n  \"a\": 1,\n  \"b\": [\n    1,\n  ],\n  \"c\": true,\n}\n");
    CHECK(edited(pretty, [](Splicer& d) { d.append({"b"}, "2"); }) ==
          "{\n  \"a\": 1,\n  \"b\": [\n    1,\n    2,\n  ],\n}\n");
    CHECK(edited("[1, 2,]", [](Splicer& d) { d.append({}, "3"); }) == "[1, 2, 3,]");
    CHECK(edited("{\"a\": 1,}", [](Splicer& d) { d.set({"b"}, "2"); }) == "{\"a\": 1, \"b\": 2,}");
    // A container without one gets none.
    CHECK(edited("[1, 2]", [](Splicer& d) { d.append({}, "3"); }) == "[1, 2, 3]");
}

TEST_CASE("a removed member takes its own trailing comma; the container keeps the style") {
    std::string pretty = "{\n  \"a\": 1,\n  \"b\": 2,\n}\n";
    CHECK(edited(pretty, [](Splicer& d) { d.remove({"b"}); }) == "{\n  \"a\": 1,\n}\n");
    CHECK(edited(pretty, [](Splicer& d) { d.remove({"a"}); }) == "{\n  \"b\": 2,\n}\n");
    CHECK(edited("[1, 2,]", [](Splicer& d) { d.remove({"1"}); }) == "[1,]");
    CHECK(edited("[1, 2,]", [](Splicer& d) { d.remove({"0"}); }) == "[2,]");
    CHECK(edited("[1,]", [](Splicer& d) { d.remove({"0"}); }) == "[]");
    CHECK(edited("{\n  \"a\": 1,\n}", [](Splicer& d) { d.remove({"a"}); }) == "{}");
}

TEST_CASE("a deleted member takes the comment on its line; comments on their own lines stay") {
    std::string text = "{\n  \"a\": 1, // why a is 1\n  // about b\n  \"b\": 2,\n  \"c\": 3\n}\n";
    CHECK(edited(text, [](Splicer& d) { d.remove({"a"}); }) ==
          "{\n  // about b\n  \"b\": 2,\n  \"c\": 3\n}\n");
    CHECK(edited(text, [](Splicer& d) { d.remove({"b"}); }) ==
          "{\n  \"a\": 1, // why a is 1\n  // about b\n  \"c\": 3\n}\n");
    CHECK(edited("{\n  \"a\": 1 // only\n}", [](Splicer& d) { d.remove({"a"}); }) == "{}");
    CHECK(edited("{\n  // keep\n  \"a\": 1\n}", [](Splicer& d) { d.remove({"a"}); }) ==
          "{\n  // keep\n}");
    CHECK(edited("{\r\n  \"a\": 1, // a\r\n  \"b\": 2\r\n}", [](Splicer& d) { d.remove({"a"}); }) ==
          "{\r\n  \"b\": 2\r\n}");
}

TEST_CASE("a member inserted after one with a trailing comment goes after the comment") {
    CHECK(edited("{\n  \"a\": 1 // note\n}", [](Splicer& d) { d.set({"b"}, "2"); }) ==
          "{\n  \"a\": 1, // note\n  \"b\": 2\n}");
    CHECK(edited("{\n  \"a\": 1, // note\n}", [](Splicer& d) { d.set({"b"}, "2"); }) ==
          "{\n  \"a\": 1, // note\n  \"b\": 2,\n}");
}

TEST_CASE("inserted values follow the style of the container they go into") {
    // A member merged into a one-line object stays on its line, however deep it goes.
    Splicer merged("{\n  \"server\": {\"host\": \"h\", \"port\": 80}\n}\n");
    apply_merge_patch(merged, {}, "{\"server\":{\"tls\":{\"on\":true}}}");
    CHECK(merged.text() ==
          "{\n  \"server\": {\"host\": \"h\", \"port\": 80, \"tls\": {\"on\": true}}\n}\n");
    // No spaces in the file, none in what is added.
    CHECK(edited("{\"a\":{\"b\":1}}", [](Splicer& d) {
              d.set({"a", "c"}, "1");
          }) == "{\"a\":{\"b\":1,\"c\":1}}");
    CHECK(edited("{\"a\":{}}", [](Splicer& d) {
              d.set({"a", "c"}, "[1,2]");
          }) == "{\"a\":{\"c\":[1,2]}}");
    // A one-line array replaced by a short one stays on one line; a long one does not.
    std::string text = "{\n  \"tags\": [\"a\", \"b\"]\n}";
    CHECK(edited(text, [](Splicer& d) { d.set({"tags"}, "[\"a\",\"b\",\"c\"]"); }) ==
          "{\n  \"tags\": [\"a\", \"b\", \"c\"]\n}");
    std::string long_value = "[\"" + std::string(40, 'x') + "\", \"" + std::string(40, 'y') + "\"]";
    CHECK(edited(text,
                 [](Splicer& d) {
                     d.set({"tags"},
                           "[\"" + std::string(40, 'x') + "\",\"" + std::string(40, 'y') + "\"]");
                 }) == "{\n  \"tags\": [\n    \"" + std::string(40, 'x') + "\",\n    \"" +
                           std::string(40, 'y') + "\"\n  ]\n}");
    // A trailing comma in a value is the argument's, not the container's: it goes.
    CHECK(edited("{\"a\": 1}", [](Splicer& d) { d.set({"b"}, "[1, 2,]"); }) ==
          "{\"a\": 1, \"b\": [1, 2]}");
}

// ---- paths as jq users type them --------------------------------------------------------------

TEST_CASE("set through a missing parent makes an array where the next step is [0] or -") {
    Path index_zero{"new", PathToken("0", true)};
    CHECK(edited("{}", [](Splicer& d) {
              d.set({"new", PathToken("0", true)}, "1");
          }) == "{\"new\": [1]}");
    CHECK(edited("{\"a\": 1}", [](Splicer& d) {
              d.set({"list", "-", "x"}, "1");
          }) == "{\"a\": 1, \"list\": [{\"x\": 1}]}");
    CHECK(edited("{\"list\": [0]}", [](Splicer& d) {
              d.set({"list", "-", "x"}, "1");
          }) == "{\"list\": [0, {\"x\": 1}]}");
    // A pointer's /new/0 names a member, as before: only [0] and - say "array".
    CHECK(edited("{}", [](Splicer& d) { d.set({"new", "0"}, "1"); }) == "{\"new\": {\"0\": 1}}");
    Splicer document("{}");
    CHECK_THROWS_WITH_AS(document.set({"new", PathToken("2", true)}, "1"),
                         "/new does not exist, and a new array starts at [0] or -, not [2]",
                         OperationError);
    CHECK_FALSE(document.changed());
}

TEST_CASE("append to a missing path creates the array") {
    CHECK(edited("{}", [](Splicer& d) { d.append({"a", "b"}, "1"); }) == "{\"a\": {\"b\": [1]}}");
    Splicer document("{\"s\": 1}");
    CHECK_THROWS_WITH_AS(document.append({"s"}, "1"), "/s is not an array", OperationError);
}

TEST_CASE("[-N] counts from the end of an array; a pointer's -1 is no index") {
    Splicer document("{\"a\": [1, 2, 3], \"o\": {\"-1\": true}}");
    CHECK(document.get({"a", PathToken("-1", true)}) == "3");
    CHECK(document.get({"a", PathToken("-3", true)}) == "1");
    CHECK_FALSE(document.contains({"a", PathToken("-4", true)}));
    CHECK_THROWS_WITH_AS(document.get({"a", PathToken("-4", true)}), ".a[-4]: no such value",
                         OperationError);
    CHECK_THROWS_WITH_AS(
        document.get({"a", "-1"}),
        "/a is an array, and \"-1\" is not an array index (a JSON Pointer has no negative "
        "indices; a dotted path does: [-1])",
        OperationError);
    CHECK(document.get({"o", "-1"}) == "true");
    CHECK_THROWS_WITH_AS(document.get({"o", PathToken("-1", true)}),
                         "/o is an object: [-1] counts positions in arrays only", OperationError);
    document.remove({"a", PathToken("-1", true)});
    document.set({"a", PathToken("-1", true)}, "9");
    CHECK(document.text() == "{\"a\": [1, 9], \"o\": {\"-1\": true}}");
}

// Found by fuzz_json_ops under ASan: type() read the text before locating, and locating after
// an edit rebuilds the text, so it read freed memory.
TEST_CASE("type describes the value at a path after edits, from the text as edited") {
    Splicer document("{\"a\": {\"b\": [1]}}");
    document.set({"p"}, "\"" + std::string(4096, 'x') + "\"");
    CHECK(document.type({"a"}) == JsonType::object);
    CHECK(document.type({"p"}) == JsonType::string);
    document.set({"a", "b"}, "true");
    CHECK(document.type({"a", "b"}) == JsonType::boolean);
}

TEST_CASE("type, member names and size describe the value at a path") {
    Splicer document(
        "{\"o\": {\"b\": 1, \"a\": 2}, \"l\": [1, 2], \"s\": \"x\", \"n\": -1.5, "
        "\"t\": true, \"z\": null}");
    CHECK(document.type({"o"}) == JsonType::object);
    CHECK(document.type({"l"}) == JsonType::array);
    CHECK(document.type({"s"}) == JsonType::string);
    CHECK(document.type({"n"}) == JsonType::number);
    CHECK(document.type({"t"}) == JsonType::boolean);
    CHECK(document.type({"z"}) == JsonType::null);
    CHECK(std::string(type_name(JsonType::boolean)) == "boolean");
    CHECK(document.member_names({"o"}) == std::vector<std::string>{"b", "a"});
    CHECK(document.size({"l"}) == 2);
    CHECK_THROWS_AS(document.size({"s"}), OperationError);
    CHECK_THROWS_AS(document.member_names({"l"}), OperationError);
    CHECK_FALSE(document.contains({"l", "x"}));  // a name in an array: no such value
    CHECK_FALSE(document.contains({"s", "x"}));
}

TEST_CASE("a 20,000-step path into a document 3 million levels deep is followed in one pass") {
    // Bounded by the test's timeout: following each step by listing its whole container took
    // time quadratic in the depth (over ten minutes for this document).
    const std::size_t depth = 3000000, steps = 20000;
    Splicer document(std::string(depth, '[') + std::string(depth, ']'), depth + 1);
    Path path(steps, PathToken("0", true));
    CHECK(document.type(path) == JsonType::array);
    CHECK(document.contains(path));
    Path past = path;
    past.emplace_back("1");
    CHECK_FALSE(document.contains(past));
    document.set(path, "1");
    CHECK(document.text() == std::string(steps, '[') + "1" + std::string(steps, ']'));
}

TEST_CASE(
    "a 20,000-step path of [-1] into a document 3 million levels deep is followed in one pass") {
    // Bounded by the test's timeout: counting each [-1] step's array from its first element
    // walked the whole rest of the document at every step.
    const std::size_t depth = 3000000, steps = 20000;
    Splicer document(std::string(depth, '[') + std::string(depth, ']'), depth + 1);
    Path path(steps, PathToken("-1", true));
    CHECK(document.type(path) == JsonType::array);
    CHECK(document.contains(path));
    Path past = path;
    past.emplace_back("-2", true);
    CHECK_FALSE(document.contains(past));
    document.set(path, "1");
    CHECK(document.text() == std::string(steps, '[') + "1" + std::string(steps, ']'));
}

TEST_CASE("[-N] steps and key steps of a document with duplicates follow indexed spans") {
    // The steps that list their whole container (from the end, or every occurrence of a key)
    // skip the values inside through an index of the bigger ones, and find what a walk finds.
    const std::string pad = "\"" + std::string(70, 'x') + "\"";
    const std::string inner = "{\"k\": [3, 4, " + pad + "], /* ]} */ \"k2\": 5}";
    Splicer document("[[1, [2, " + inner + "], [6, " + pad + "]], {\"d\": [" + pad +
                     "], \"d\": 2}, 7]");
    const PathToken last("-1", true), second_last("-2", true), first("0", true);
    CHECK(document.get({PathToken("-3", true), second_last, last}) == inner);
    CHECK(document.get({first, second_last, last, "k", second_last}) == "4");
    CHECK(document.get({first, last, last}) == pad);
    CHECK(document.get({last}) == "7");
    CHECK_FALSE(document.contains({PathToken("-4", true)}));
    CHECK_THROWS_AS(document.get({second_last, "d"}), AmbiguousKey);
    document.set({first, last, last}, "8");
    CHECK(document.get({PathToken("-3", true), last}) == "[6, 8]");
    CHECK(document.get({first, second_last, last, "k2"}) == "5");
    CHECK(document.get({first, second_last, last, "k", last}) == pad);
}
