#include <doctest/doctest.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>

#include "json_fast_validator.hpp"
#include "json_scanner.hpp"
#include "support/jsonc_oracle.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;
using atomfile::test::without_trailing_commas;
namespace fs = std::filesystem;

namespace {

// The fast path's vector width, forced for the guard's lifetime.
class ForcedVectorWidth {
  public:
#if defined(__SSE2__)
    explicit ForcedVectorWidth(VectorWidth width) {
        force_vector_width(width);
    }
    ~ForcedVectorWidth() {
        force_vector_width(std::nullopt);
    }
#endif
    ForcedVectorWidth(const ForcedVectorWidth&) = delete;
    ForcedVectorWidth& operator=(const ForcedVectorWidth&) = delete;
};

// Runs body once for each vector width the fast path has a version for on this CPU, so that
// every version of stage one is held to the same results.
template <class Body>
void for_each_vector_width(Body body) {
#if defined(__SSE2__)
    for (VectorWidth width : runnable_vector_widths()) {
        CAPTURE(static_cast<int>(width));
        ForcedVectorWidth forced(width);
        body();
    }
#else
    body();
#endif
}

bool nlohmann_accepts(const std::string& text) {
    return nlohmann::json::accept(without_trailing_commas(text), true);
}

bool nlohmann_accepts_strict(const std::string& text) {
    return nlohmann::json::accept(text);
}

bool strict_accepts(const std::string& text) {
    try {
        validate(text, default_max_depth, Dialect::strict);
        return true;
    } catch (const ParseError&) {
        return false;
    }
}

bool scanner_accepts(const std::string& text) {
    try {
        validate(text);
        return true;
    } catch (const ParseError&) {
        return false;
    }
}

ParseError error_of(const std::string& text, std::size_t max_depth = default_max_depth) {
    try {
        validate(text, max_depth);
    } catch (const ParseError& e) {
        return e;
    }
    FAIL("accepted: " << text);
    return ParseError("", 0, 0, 0);
}

}  // namespace

const char* const cases[] = {"{}",
                             "[]",
                             "0",
                             "-0",
                             "1.5e-3",
                             "\"x\"",
                             "true",
                             "null",
                             " [1, 2 ,3] ",
                             "{\"a\":{\"b\":[true,false,null]}}",
                             "// c\n{}",
                             "{/* c */\"a\"/**/:/**/1}",
                             "[1]// end",
                             "\xEF\xBB\xBF{}",
                             "\"\\u00e9\\ud83d\\ude00\"",
                             "\"\xC3\xA9\"",
                             "\"\xF0\x9F\x98\x80\"",
                             "",
                             " ",
                             "{",
                             "[1,]",
                             "{\"a\":1,}",
                             "01",
                             "1.",
                             ".5",
                             "-",
                             "1e",
                             "+1",
                             "tru",
                             "nul",
                             "[1 2]",
                             "{\"a\" 1}",
                             "{1:2}",
                             "\"\x01\"",
                             "\"\\x\"",
                             "\"\\ud800\"",
                             "\"\\udc00\"",
                             "\"\\ud800\\u0041\"",
                             "\"\xC0\xAF\"",
                             "\"\xED\xA0\x80\"",
                             "\"\xF4\x90\x80\x80\"",
                             "\"\xE2\x82\"",
                             "/* open",
                             "/x",
                             "{} {}",
                             "[] x",
                             "\xEF\xBB{}",
                             "[\"a\"]]",
                             "\"abc",
                             "\"\x7F\"",
                             "[1,\n2]\n",
                             "{\"\":\"\"}",
                             "[1, 2,]",
                             "[1, 2, // last\n]",
                             "{\"a\": [1,], \"b\": {\"c\": 1,},}",
                             "[1,/* c */]",
                             "[,]",
                             "{,}",
                             "[1,,]",
                             "[1,,2]",
                             "{\"a\":1,,}",
                             "{\"a\":,}",
                             "1,",
                             "[1] ,"};

TEST_CASE(
    "JSONC: the scanner accepts exactly what nlohmann does with comments allowed and "
    "trailing commas taken out") {
    for (std::string text : cases) {
        CAPTURE(text);
        CHECK(scanner_accepts(text) == nlohmann_accepts(text));
    }
}

TEST_CASE("strict: the scanner accepts exactly what nlohmann does with no comments") {
    for (std::string text : cases) {
        CAPTURE(text);
        CHECK(strict_accepts(text) == nlohmann_accepts_strict(text));
    }
}

TEST_CASE("numbers beyond double range are accepted as written") {
    CHECK(scanner_accepts("1e400"));
    CHECK(scanner_accepts("[123456789012345678901234567890]"));
}

TEST_CASE("a syntax error names its line and column") {
    ParseError e = error_of("{\n  \"a\": 1,\n  \"b\" 2\n}");
    CHECK(e.line() == 3);
    CHECK(e.column() == 7);
    CHECK(std::string(e.what()) == "expected ':' after the key");
    ParseError end = error_of("[1,\n");
    CHECK(end.line() == 2);
    CHECK(end.column() == 1);
}

TEST_CASE("nesting deeper than max_depth is refused without recursion, even 100000 deep") {
    std::string deep(100000, '[');
    ParseError e = error_of(deep + std::string(100000, ']'));
    CHECK(std::string(e.what()).find("maximum depth of 1000") != std::string::npos);
    CHECK(e.column() == 1001);
    CHECK(scanner_accepts(std::string(1000, '[') + std::string(1000, ']')));
    CHECK_FALSE(scanner_accepts(std::string(1001, '[') + std::string(1001, ']')));
    std::string objects;
    for (int i = 0; i < 5; ++i) objects += "{\"a\":";
    CHECK(error_of(objects + "1}}}}}", 4).line() == 1);
}

TEST_CASE("nesting_depth counts containers, not brackets inside strings or comments") {
    CHECK(nesting_depth("1") == 0);
    CHECK(nesting_depth("\"[[\"") == 0);
    CHECK(nesting_depth("[]") == 1);
    CHECK(nesting_depth("{\"a\": [1, {\"b\": []}], \"c\": {}}") == 4);
    CHECK(nesting_depth("[\"]]]\", /* [[[ */ [2]]") == 2);
}

TEST_CASE("an escaped key is still compared after deeper nesting grows the scanner's stack") {
    std::string text = "{\"\\u0061\": {\"b\": {\"c\": {\"d\": {\"e\": {}}}}}, \"a\": 1}";
    ScanReport report = validate(text);
    REQUIRE(report.duplicates.size() == 1);
    CHECK(report.duplicates[0].key == "a");
    CHECK(report.duplicates[0].offset == text.rfind("\"a\""));
}

TEST_CASE("duplicate keys are reported with their unescaped name and position") {
    std::string text = "{\"a\": 1, \"b\": {\"a\": 2}, \"\\u0061\": 3}";
    ScanReport report = validate(text);
    REQUIRE(report.duplicates.size() == 1);
    CHECK(report.duplicates[0].key == "a");
    CHECK(report.duplicates[0].offset == text.find("\"\\u0061"));
}

TEST_CASE("duplicate detection still works in objects with many keys") {
    std::string text = "{";
    for (int i = 0; i < 100; ++i)
        text += "\"k" + std::to_string(i) + "\":" + std::to_string(i) + ",";
    text += "\"k50\":0}";
    ScanReport report = validate(text);
    REQUIRE(report.duplicates.size() == 1);
    CHECK(report.duplicates[0].key == "k50");
}

TEST_CASE("the root span excludes the BOM, whitespace and comments around it") {
    std::string text = "\xEF\xBB\xBF /* a */ [1, 2] // b\n";
    ScanReport report = validate(text);
    CHECK(text.substr(report.root_begin, report.root_end - report.root_begin) == "[1, 2]");
}

TEST_CASE("list_members gives the spans of keys and values, comments skipped") {
    std::string text = "{ \"a\" : 1 , /* x */ \"b\\n\": [2, \"]\"] // y\n}";
    Container container = list_members(text, 0);
    CHECK(container.object);
    REQUIRE(container.members.size() == 2);
    const Member& a = container.members[0];
    CHECK(text.substr(a.key_begin, a.key_end - a.key_begin) == "\"a\"");
    CHECK(text.substr(a.value_begin, a.value_end - a.value_begin) == "1");
    const Member& b = container.members[1];
    CHECK(b.key == "b\n");
    CHECK(text.substr(b.value_begin, b.value_end - b.value_begin) == "[2, \"]\"]");
    CHECK(text[container.close] == '}');
    CHECK(list_members("[]", 0).members.empty());
}

TEST_CASE("skip_value steps over strings with brackets and escaped quotes") {
    std::string text = "[\"a]\\\"{\", {\"b\": [1, {}]}, /* ] */ 3] tail";
    CHECK(skip_value(text, 0) == text.size() - 5);
    CHECK(skip_value("-12.5e3,", 0) == 7);
}

TEST_CASE("decode_json_string unescapes to UTF-8 and refuses bad escapes") {
    std::string out;
    CHECK(decode_json_string("\"a\\\"\\\\\\/\\b\\f\\n\\r\\t\"", out));
    CHECK(out == "a\"\\/\b\f\n\r\t");
    CHECK(decode_json_string("\"\\u00e9\\ud83d\\ude00\"", out));
    CHECK(out == "\xC3\xA9\xF0\x9F\x98\x80");
    CHECK_FALSE(decode_json_string("\"\\q\"", out));
    CHECK_FALSE(decode_json_string("x", out));
}

TEST_CASE("the shallow index records where the top two levels of containers end") {
    std::string text = "{\"a\": [1, [2]], \"b\": {\"c\": {}}, \"d\": 3}";
    ScanReport report = validate(text);
    SpanIndex expected = {{0, text.size()},
                          {text.find('['), text.find("]]") + 2},
                          {text.find("{\"c"), text.find("}}") + 2}};
    CHECK(report.shallow == expected);
    Container with = list_members(text, 0, &report.shallow);
    Container without = list_members(text, 0);
    REQUIRE(with.members.size() == 3);
    for (std::size_t i = 0; i < 3; ++i)
        CHECK(with.members[i].value_end == without.members[i].value_end);
}

TEST_CASE("a comma where JSONC allows none is refused with a message saying where one may go") {
    CHECK(std::string(error_of("[1,,2]").what()) ==
          "two commas in a row: a trailing comma is allowed only after the last member");
    CHECK(std::string(error_of("{\"a\": 1,,}").what()) ==
          "two commas in a row: a trailing comma is allowed only after the last member");
    CHECK(std::string(error_of("[ ,]").what()) ==
          "a comma before the first member: a trailing comma is allowed only after the last "
          "member");
    CHECK(std::string(error_of("{} ,").what()) ==
          "a comma after the document: a trailing comma is allowed only inside an object or "
          "array");
    ParseError e = error_of("[\n  1,,\n]");
    CHECK(e.line() == 2);
    CHECK(e.column() == 5);
}

TEST_CASE("strict JSON refuses comments and trailing commas, saying which") {
    auto strict_error = [](const std::string& text) {
        try {
            validate(text, default_max_depth, Dialect::strict);
        } catch (const ParseError& e) {
            return std::string(e.what());
        }
        return std::string("accepted");
    };
    CHECK(strict_error("[1, 2,]") ==
          "a trailing comma, which strict JSON (RFC 8259) does not "
          "allow");
    CHECK(strict_error("{\"a\": 1 // c\n}") ==
          "a comment, which strict JSON (RFC 8259) does not "
          "allow");
    CHECK(strict_error("[1,,]") == "two commas in a row");
    CHECK(strict_error("\xEF\xBB\xBF[1, 2]") == "accepted");
}

TEST_CASE("list_members records each comma; find_key and find_element stop at their member") {
    std::string text = "{\"a\": 1, \"b\\u0020c\": [2, 3,], \"d\": 4,}";
    Container object = list_members(text, 0);
    REQUIRE(object.members.size() == 3);
    CHECK(object.trailing_comma());
    CHECK(text[object.members[0].comma] == ',');
    Container array = list_members(text, object.members[1].value_begin);
    CHECK(array.trailing_comma());
    CHECK_FALSE(list_members("[1, 2]", 0).trailing_comma());
    CHECK(find_key(text, 0, "b c") == object.members[1].value_begin);
    CHECK(find_key(text, 0, "x") == no_position);
    CHECK(find_element(text, array.open, 1) == array.members[1].value_begin);
    CHECK(find_element(text, array.open, 2) == no_position);
    // Nothing after the member found is read: text cut there still finds it.
    std::string cut = "[[1], [2], {\"k\":";
    CHECK(find_element(cut, 0, 2) == 11);
}

TEST_CASE("a document nested 3 million levels deep validates with an explicit stack") {
    std::string deep = std::string(3000000, '[') + std::string(3000000, ']');
    CHECK_NOTHROW(validate(deep, 3000000));
    CHECK_THROWS_AS(validate(deep, 2999999), ParseError);
}

// ---- the fast path (a structural index) against the reference validator ---------------------

namespace {

std::optional<ScanReport> reference_report(const std::string& text, Dialect dialect) {
    try {
        return validate_reference(text, default_max_depth, dialect);
    } catch (const ParseError&) {
        return std::nullopt;
    }
}

bool same_report(const ScanReport& a, const ScanReport& b) {
    if (a.root_begin != b.root_begin || a.root_end != b.root_end || a.shallow != b.shallow ||
        a.duplicates.size() != b.duplicates.size())
        return false;
    for (std::size_t i = 0; i < a.duplicates.size(); ++i)
        if (a.duplicates[i].key != b.duplicates[i].key ||
            a.duplicates[i].offset != b.duplicates[i].offset)
            return false;
    return true;
}

// Whatever the fast path accepts, the reference accepts with the same report; and a document
// the reference accepts, with no comment and a container at the root, the fast path takes too
// (where it exists), so big data files never pay for two passes.
void check_paths_agree(const std::string& text) {
    for (Dialect dialect : {Dialect::jsonc, Dialect::strict}) {
        CAPTURE(static_cast<int>(dialect));
        ScanReport fast;
        bool fast_accepts = validate_fast(text, default_max_depth, dialect, fast);
        std::optional<ScanReport> reference = reference_report(text, dialect);
        if (fast_accepts) {
            REQUIRE(reference);
            CHECK(same_report(fast, *reference));
        }
#if defined(__SSE2__)
        bool comment_free = text.find('/') == std::string::npos;
        if (reference && comment_free && is_container(text, reference->root_begin))
            CHECK(fast_accepts);
#endif
    }
}

}  // namespace

TEST_CASE("the fast path accepts what the reference validator accepts, with the same report") {
    for_each_vector_width([&] {
        for (std::string text : cases) {
            CAPTURE(text);
            check_paths_agree(text);
        }
        fs::path data = fs::path(ATOMFILE_SOURCE_DIR) / "tests" / "json" / "data";
        std::size_t files = 0;
        for (const fs::path& directory : {data, data / "json_test_suite"})
            for (const auto& entry : fs::directory_iterator(directory)) {
                if (entry.path().extension() != ".json") continue;
                std::ifstream in(entry.path(), std::ios::binary);
                std::string text((std::istreambuf_iterator<char>(in)), {});
                CAPTURE(entry.path().filename().string());
                check_paths_agree(text);
                ++files;
            }
        CHECK(files > 250);
    });
}

TEST_CASE("the fast path reads escapes, surrogate pairs and UTF-8 that cross its 64-byte blocks") {
    for_each_vector_width([&] {
        // Every offset of a string against the block edge, with each kind of content at its end.
        for (std::string content : {"\\\\", "\\\"", "\\u00e9", "\\ud83d\\ude00", "\xC3\xA9",
                                    "\xF0\x9F\x98\x80", "\\n\\\\\\\"", "/\\/"}) {
            for (std::size_t pad = 0; pad < 70; ++pad) {
                std::string key = std::string(pad, 'k') + content;
                std::string text = "{\"" + key + "\": [\"" + std::string(pad, 'v') + content +
                                   "\", 1.5e3, true], \"" + key + "\": {\"x\": null}}";
                CAPTURE(text);
                ScanReport fast;
                REQUIRE(validate_fast(text, default_max_depth, Dialect::strict, fast));
                CHECK(same_report(fast,
                                  validate_reference(text, default_max_depth, Dialect::strict)));
                REQUIRE(fast.duplicates.size() == 1);  // the escaped key, compared unescaped
            }
        }
        // Broken ones inside long strings: each is refused by both.
        for (std::string bad : {"\\x", "\\u12", "\\ud83d", "\xC3", "\xED\xA0\x80", "\x01"}) {
            for (std::size_t pad = 58; pad < 66; ++pad) {
                std::string text = "[\"" + std::string(pad, 'a') + bad + "\"]";
                CAPTURE(text);
                ScanReport fast;
                CHECK_FALSE(validate_fast(text, default_max_depth, Dialect::jsonc, fast));
                CHECK_FALSE(reference_report(text, Dialect::jsonc));
            }
        }
    });
}

namespace {

// validate_halves at every possible split of text: whatever it accepts, the reference accepts
// with the same report. Returns how many splits it accepted.
std::size_t check_halves(const std::string& text, Dialect dialect,
                         std::size_t max_depth = default_max_depth) {
    std::optional<ScanReport> reference;
    try {
        reference = validate_reference(text, max_depth, dialect);
    } catch (const ParseError&) {
    }
    std::size_t accepted = 0;
    for (std::size_t from = 0; from < text.size(); ++from) {
        ScanReport halves;
        if (!validate_halves(text, max_depth, dialect, from, halves)) continue;
        CAPTURE(from);
        REQUIRE(reference);
        CHECK(same_report(halves, *reference));
        ++accepted;
    }
    return accepted;
}

}  // namespace

TEST_CASE("validating two halves at once gives the one-pass report, whatever the split") {
    for_each_vector_width([&] {
        // Records split between elements at every depth, an object's keys on both sides, and the
        // root closed right after the split or well after it.
        for (std::string text :
             {"[\n  {\"a\": 1},\n  {\"a\": 2},\n  [3]\n]\n",
              "{\"meta\": {\"v\": 1}, \"records\": [\n  {\"id\": 1, \"t\": [\"x\"]},\n  "
              "{\"id\": 2, \"t\": []},\n  {\"id\": 3}\n], \"after\": {\"k\": [1,\n {}]}}",
              "[[[\n1,\n[2],\n{\"x\": [3,\n[4]]}]],\n[5]]",
              "{\"a\": [1,\n[2]], \"b\": \"s\", \"c\": {\"d\": [\n{}, \n{\"e\": 1, \"e\": 2}]}, "
              "\"f\": "
              "0}",
              "\xEF\xBB\xBF[1,\n{\"\\u0061\": 1, \"a\": 2},\n[\"\\\"\", \"\xC3\xA9\"]]",
              // A root object after a BOM and space: what closes directly in the records is
              // never shallow, what closes in the root after them is.
              "\xEF\xBB\xBF \n{\"r\": [\n{\"a\": [1]},\n{}], \"s\": {\"t\": [\n1]}, \"u\": []}"}) {
            CAPTURE(text);
            CHECK(check_halves(text, Dialect::strict) > 0);
            CHECK(check_halves(text, Dialect::jsonc) > 0);
        }
        // JSONC's trailing commas on both sides of the split, refused by strict.
        std::string trailing = "{\"r\": [\n{\"a\": 1,},\n[2,],\n], \"s\": {\"x\": [1,\n[2],],},}";
        CHECK(check_halves(trailing, Dialect::jsonc) > 0);
        CHECK(check_halves(trailing, Dialect::strict) == 0);
    });
}

TEST_CASE("validating two halves refuses what the one-pass path refuses, across the split") {
    for_each_vector_width([&] {
        // Each is invalid only through what lies on both sides of a split: a bracket closing the
        // other kind, a missing or extra bracket, text after the root, a string as a key or a key
        // as a value, and a value where a key must be.
        for (std::string text : {"{\"a\": [1,\n[2]}", "[1,\n[2]}", "[[1,\n[2]]", "[1,\n[2]]]",
                                 "[1,\n[2]] 3", "[1,\n[2]],", "{\"a\": [1,\n[2]], 3}",
                                 "[1,\n[2], \"k\": 3]", "{\"a\": [0,\n{}], \"b\"}",
                                 "[\"a\",\n[1], \"b\" \"c\"]", "{\"a\": [1,\n{}],,\"b\": 1}",
                                 "[1,\n[2], \"s\n\"]", "[\"x,\n[\"]", "[1,\n[2] // c\n]"}) {
            CAPTURE(text);
            CHECK(check_halves(text, Dialect::jsonc) == 0);
            CHECK(check_halves(text, Dialect::strict) == 0);
        }
        // Depth counted across the split: [[[ before it and [[ after it make five levels.
        std::string deep = "[[[1,\n[[2]]]]]";
        CHECK(check_halves(deep, Dialect::jsonc, 5) > 0);
        CHECK(check_halves(deep, Dialect::jsonc, 4) == 0);
        // A key repeated across the split is left to the one-pass path, which reports it.
        std::string repeated = "{\"a\": 1, \"r\": [1,\n[2]], \"a\": 2}";
        CHECK(check_halves(repeated, Dialect::jsonc) == 0);
        CHECK(validate(repeated).duplicates.size() == 1);
    });
}

TEST_CASE("spans recorded as containers close are sorted by where they begin") {
    auto sorted = [](SpanIndex spans) {
        std::sort(spans.begin(), spans.end());
        return spans;
    };
    // A root array of records closes after them; a split's levels close after what they hold.
    SpanIndex root_last;
    for (std::size_t i = 0; i < 1000; ++i) root_last.emplace_back(10 + 20 * i, 25 + 20 * i);
    root_last.emplace_back(0, 30000);
    SpanIndex spans = root_last;
    sort_spans(spans);
    CHECK(spans == sorted(root_last));
    SpanIndex cut = {{5, 9}, {12, 20}, {3, 40}, {44, 50}, {60, 70}, {1, 80}, {0, 90}};
    spans = cut;
    sort_spans(spans);
    CHECK(spans == sorted(cut));
    // Many out of order, and none, and nothing.
    SpanIndex reversed;
    for (std::size_t i = 100; i > 0; --i) reversed.emplace_back(i, i + 1);
    spans = reversed;
    sort_spans(spans);
    CHECK(spans == sorted(reversed));
    spans = sorted(cut);
    sort_spans(spans);
    CHECK(spans == sorted(cut));
    spans.clear();
    sort_spans(spans);
    CHECK(spans.empty());
}

TEST_CASE("looking for a split costs time in proportion to the text, blank lines or not") {
    // Each line break of a long run of them is a candidate; reading the whole run again for
    // each made a few MiB of blank lines take hours.
    const std::string text = "[1,\n" + std::string(std::size_t(128) << 10, '\n') + "2]";
    ScanReport report;
    const auto start = std::chrono::steady_clock::now();
    CHECK_FALSE(validate_halves(text, default_max_depth, Dialect::jsonc, 0, report));
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(1));
}

TEST_CASE("a big document is validated in two halves with the one-pass report") {
    for_each_vector_width([&] {
        std::string text = "{\"meta\": {\"version\": 1}, \"records\": [\n";
        for (std::size_t i = 0; text.size() < halves_from + 4096; ++i)
            text += "  {\"id\": " + std::to_string(i) + ", \"name\": \"u" + std::to_string(i) +
                    "\", \"id\": 0, \"tags\": [\"a\", {\"b\": null}]},\n";
        text += "  []\n], \"end\": true}\n";
        ScanReport halves, fast;
        REQUIRE(validate_halves(text, default_max_depth, Dialect::strict, text.size() / 2, halves));
        REQUIRE(validate_fast(text, default_max_depth, Dialect::strict, fast));
        CHECK(same_report(halves, fast));
        CHECK(same_report(validate(text, default_max_depth, Dialect::strict), fast));
        CHECK(fast.duplicates.size() > 1000);  // each record repeats "id"
    });
}

TEST_CASE("the fast path gives up on comments, errors and depth, leaving them to the reference") {
    for_each_vector_width([&] {
        for (std::string text : {"{\"a\": 1 // why\n}", "[1, /* c */ 2]", "[1 2]", "{\"a\" 1}",
                                 "[tru]", "[01]", "[1]]", "{\"a\": 1", "[\"a\"x]", "\"scalar\""}) {
            CAPTURE(text);
            ScanReport fast;
            CHECK_FALSE(validate_fast(text, default_max_depth, Dialect::jsonc, fast));
        }
        ScanReport fast;
        CHECK_FALSE(validate_fast("[[[[1]]]]", 3, Dialect::jsonc, fast));
        CHECK_THROWS_AS(validate("[[[[1]]]]", 3), ParseError);
#if defined(__SSE2__)
        CHECK(validate_fast("[[[1]]]", 3, Dialect::jsonc, fast));
#endif
        CHECK_THROWS_AS(validate("[1, 2,]", default_max_depth, Dialect::strict), ParseError);
        CHECK_NOTHROW(validate("[1, 2,]"));
    });
}

TEST_CASE("literals are compared word by word, at every block offset and cut short at the end") {
    for_each_vector_width([&] {
        for (std::string word : {"true", "false", "null", "tru", "fals", "nul", "falsy", "truex",
                                 "nulll", "falsee", "TRUE", "nan"}) {
            for (std::size_t pad = 0; pad < 66; ++pad) {
                const std::string spaces(pad, ' ');
                for (std::string text : {"[" + spaces + word + "]", "{\"k\":" + spaces + word + "}",
                                         "[" + spaces + word, "[1," + spaces + word + ",2]"}) {
                    CAPTURE(text);
                    check_paths_agree(text);
                }
            }
        }
        ScanReport fast;
        CHECK_FALSE(validate_fast("[fals]", default_max_depth, Dialect::jsonc, fast));
        CHECK_FALSE(validate_fast("[falsey]", default_max_depth, Dialect::jsonc, fast));
        CHECK_FALSE(validate_fast("[tru", default_max_depth, Dialect::jsonc, fast));
#if defined(__SSE2__)
        CHECK(validate_fast("[true,false,null]", default_max_depth, Dialect::jsonc, fast));
#endif
    });
}

TEST_CASE("a raw control character in a string is refused where whitespace fills the block") {
    for_each_vector_width([&] {
        // Blocks whose only unusual bytes are line breaks and tabs take the fast classification:
        // those bytes must still lie outside strings.
        for (std::string control : {"\t", "\n", "\r", "\x01", "\x1f"}) {
            for (std::size_t pad = 0; pad < 70; ++pad) {
                std::string text = "[\n\t\"" + std::string(pad, 'a') + control + "\",\r\n 1\n]";
                CAPTURE(text);
                ScanReport fast;
                CHECK_FALSE(validate_fast(text, default_max_depth, Dialect::jsonc, fast));
                CHECK_FALSE(reference_report(text, Dialect::jsonc));
            }
        }
        // The same whitespace outside strings, and a slash inside one, are read by the fast path.
        for (std::size_t pad = 0; pad < 70; ++pad) {
            std::string text =
                "{\r\n\t\"" + std::string(pad, 'k') + "\":\t\"a/b\",\n\t\"u\": [\n\t\t1\r\n\t]\n}";
            CAPTURE(text);
            check_paths_agree(text);
        }
        // A control byte outside strings is no whitespace.
        check_paths_agree("[1,\x01 2]");
        ScanReport fast;
        CHECK_FALSE(validate_fast("[1,\x01 2]", default_max_depth, Dialect::jsonc, fast));
    });
}

TEST_CASE("after a container closes, a comma follows the kind of the level it closed into") {
    for_each_vector_width([&] {
        // Objects in arrays in objects, closed with and without JSONC's trailing commas: what a
        // comma may be followed by is the enclosing level's, never the closed one's.
        for (std::string text :
             {"{\"a\": [1, {\"b\": [2,],},], \"c\": 3,}", "[{\"a\": 1}, 2, {\"b\": [3]}, [4],]",
              "{\"a\": [1], \"b\": 2}", "[{\"a\": 1}, \"b\": 2]", "{\"a\": {}, 1}", "[[], {},]",
              "{\"a\": [1], }", "[{\"a\": 1},,]"}) {
            CAPTURE(text);
            check_paths_agree(text);
        }
    });
}

namespace {

std::string joined(const std::vector<std::string>& tokens, std::size_t from, std::size_t to) {
    std::string text;
    for (std::size_t i = from; i < to; ++i) text += tokens[i];
    return text;
}

}  // namespace

TEST_CASE("the fast path keeps its place in the grammar across block edges, in every state") {
    for_each_vector_width([&] {
        // Whitespace of every length before each token puts each pair of neighbouring tokens across
        // a 64-byte edge: whatever was expected at the end of a block (a key, a colon, a value, a
        // comma or a close, after an opening bracket or a comma) is still expected in the next.
        const std::vector<std::vector<std::string>> documents = {
            {"{", "\"a\"", ":",     "[",    "1",     ",",     "-2.5e3", ",", "true",  ",",
             "{", "\"b\"", ":",     "null", ",",     "\"c\"", ":",      "[", "[",     "]",
             ",", "{",     "}",     "]",    "}",     ",",     "\"s\"",  "]", ",",     "\"d\"",
             ":", "{",     "\"e\"", ":",    "false", ",",     "}",      ",", "\"f\"", ":",
             "[", "0",     ",",     "]",    ",",     "}"},
            {"[", "{", "\"k\"", ":", "\"v\"", ",", "\"n\"", ":", "[", "1", ",", "2",
             "]", "}", ",",     "[", "]",     ",", "{",     "}", ",", "3", "]"},
            {"{", "\"a\"", ":", "1", "\"b\"", ":", "2", "}"},  // a comma missing: refused by both
            {"[", "1", ",", "[", "2", "}", "]"},               // mismatched brackets
        };
        for (const auto& tokens : documents) {
            for (std::size_t at = 0; at <= tokens.size(); ++at) {
                for (std::size_t pad = 0; pad < 66; ++pad) {
                    std::string text = joined(tokens, 0, at) + std::string(pad, ' ') +
                                       joined(tokens, at, tokens.size());
                    CAPTURE(text);
                    check_paths_agree(text);
                }
            }
        }
    });
}

TEST_CASE("the second half reads a level of unknown kind across block edges") {
    for_each_vector_width([&] {
        // The tail closes the array opened before the split; the object around it, whose kind it
        // learns only from a colon, is padded so each of its tokens starts a block somewhere.
        for (std::size_t pad = 0; pad < 66; ++pad) {
            const std::string spaces(pad, ' '), some(pad % 7, ' ');
            for (std::string text :
                 {"{\"a\": [{\"x\": 1},\n {\"y\": 2}]," + spaces + "\"b\"" + some + ":" + spaces +
                      "[1]," + spaces + "\"c\": 2}",
                  "[[{\"x\": 1},\n {\"y\": 2}]," + spaces + "3" + some + "," + spaces + "\"s\"" +
                      spaces + "]",
                  "[[{\"x\": 1},\n {\"y\": 2}]," + spaces + "\"s\"" + some + "," + spaces + "{}]",
                  "{\"a\": [{\"x\": 1},\n {\"y\": 2}]," + spaces + "}"}) {
                CAPTURE(text);
                ScanReport halves;
                bool accepted = validate_halves(text, default_max_depth, Dialect::jsonc, 1, halves);
#if defined(__SSE2__)
                REQUIRE(accepted);
#endif
                if (accepted)
                    CHECK(same_report(halves,
                                      validate_reference(text, default_max_depth, Dialect::jsonc)));
            }
        }
    });
}
