#include <doctest/doctest.h>

#include "json_format.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;

TEST_CASE("the indent unit, line ending and separators are detected from the document") {
    Style two = detect_style("{\n  \"a\": {\n    \"b\": 1\n  },\n  \"c\": [1, 2]\n}\n");
    CHECK(two.indent == "  ");
    CHECK(two.newline == "\n");
    CHECK(two.colon == ": ");
    Style tabs = detect_style("{\r\n\t\"a\":1\r\n}\r\n");
    CHECK(tabs.indent == "\t");
    CHECK(tabs.newline == "\r\n");
    CHECK(tabs.colon == ":");
    Style compact = detect_style("{\"a\":1,\"b\":2}");
    CHECK(compact.indent.empty());
    CHECK(compact.colon == ":");
    CHECK(compact.comma == ",");
    CHECK(detect_style("\xEF\xBB\xBF{\n    \"a\": 1\n}").indent == "    ");
}

TEST_CASE("separators inside strings are not mistaken for the document's") {
    Style style = detect_style("{\"a:b, c\":1,\"d\":2}");
    CHECK(style.colon == ":");
    CHECK(style.comma == ",");
}

TEST_CASE("reformat prints values in the style, keeping token spellings") {
    Style style;
    style.indent = "    ";
    std::string value = "{\"a\":[1.50, 1e400,{}], /* c */ \"b\" : \"\\u00e9\", \"c\": []}";
    CHECK(reformat(value, style, "  ", true) ==
          "{\n      \"a\": [\n          1.50,\n          1e400,\n          {}\n      ],\n"
          "      \"b\": \"\\u00e9\",\n      \"c\": []\n  }");
    CHECK(reformat(value, style, "", false) ==
          "{\"a\": [1.50, 1e400, {}], \"b\": \"\\u00e9\", \"c\": []}");
    CHECK(reformat(" 42 ", style, "", true) == "42");
}

TEST_CASE("quote escapes what JSON requires and nothing else") {
    CHECK(quote("a\"b\\c\n\x01\xC3\xA9/") == "\"a\\\"b\\\\c\\n\\u0001\xC3\xA9/\"");
}

TEST_CASE("line_indent is the leading whitespace of a position's line") {
    std::string text = "{\n  \"a\": [\n\t  1]}";
    CHECK(line_indent(text, text.find("\"a\"")) == "  ");
    CHECK(line_indent(text, text.find('1')) == "\t  ");
    CHECK(line_indent(text, 0).empty());
    CHECK(is_blank(" \r\n\t"));
    CHECK_FALSE(is_blank(" // x"));
}
