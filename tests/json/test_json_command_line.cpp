#include <doctest/doctest.h>

#include <sstream>

#include "json/json_command_line.hpp"
#include "support/test_support.hpp"

using namespace atomfile::json;
using atomfile::test::ScratchDir;
using atomfile::test::write_file;

TEST_CASE("options come before FILE; everything after FILE is operations") {
    Settings s = parse_command_line(
        {"-n", "--indent", "4", "f.json", "set", "/x", "-1", "get", ".a[0]", "merge", "{}"});
    CHECK(s.dry_run);
    CHECK(s.indent == std::string("    "));
    CHECK(s.file == "f.json");
    REQUIRE(s.operations.size() == 3);
    CHECK(s.operations[0].name == "set");
    CHECK(s.operations[0].path == Path{"x"});
    CHECK(s.operations[0].argument == "-1");
    CHECK(s.operations[1].path == Path{"a", "0"});
    CHECK(s.operations[2].name == "merge");
    CHECK(s.operations[2].argument == "{}");
}

TEST_CASE("every option is read, with attached or separate values") {
    Settings s =
        parse_command_line({"--diff", "--create", "--no-lock", "-b", "-dnone", "--max-depth=7",
                            "--max-size", "2K", "--indent=tab", "--", "-weird-name", "get", ""});
    CHECK(s.diff);
    CHECK(s.create);
    CHECK_FALSE(s.lock);
    CHECK(s.backup_suffix == "~");
    CHECK(s.durability == atomfile::Durability::none);
    CHECK(s.max_depth == 7);
    CHECK(s.max_size == 2048u);
    CHECK(s.indent == std::string("\t"));
    CHECK(s.file == "-weird-name");
    CHECK(parse_command_line({"--backup=.bak", "f", "get", ""}).backup_suffix == ".bak");
    CHECK(parse_command_line({"-", "get", ""}).file == "-");
}

TEST_CASE("bad usage is refused with a message") {
    const std::vector<std::vector<std::string>> bad = {{},
                                                       {"f"},
                                                       {"--frob", "f", "get", ""},
                                                       {"f", "frob", "/a"},
                                                       {"f", "set", "/a"},
                                                       {"f", "get", "a/b"},
                                                       {"--indent", "x", "f", "get", ""},
                                                       {"-d", "sometimes", "f", "get", ""},
                                                       {"--max-depth", "0", "f", "get", ""},
                                                       {"--max-size", "-1", "f", "get", ""},
                                                       {"--dry-run=yes", "f", "get", ""},
                                                       {"--indent"}};
    for (const auto& args : bad) {
        CAPTURE(args.size());
        CHECK_THROWS_AS(parse_command_line(args), UsageError);
    }
}

TEST_CASE("@FILE and @- arguments are read; stdin only once") {
    ScratchDir dir;
    write_file(dir / "v.json", "{\"k\": 1}");
    Settings s = parse_command_line({"f", "set", "/a", "@" + (dir / "v.json").string(), "merge",
                                     "@-", "set-string", "/s", "@literal"});
    std::istringstream in("[2]");
    load_arguments(s, in);
    CHECK(s.operations[0].argument == "{\"k\": 1}");
    CHECK(s.operations[1].argument == "[2]");
    CHECK(s.operations[2].argument == "@literal");
    Settings twice = parse_command_line({"f", "set", "/a", "@-", "set", "/b", "@-"});
    CHECK_THROWS_AS(load_arguments(twice, in), UsageError);
    Settings piped = parse_command_line({"-", "set", "/a", "@-"});
    CHECK_THROWS_AS(load_arguments(piped, in), UsageError);
    Settings missing = parse_command_line({"f", "set", "/a", "@" + (dir / "none").string()});
    CHECK_THROWS_AS(load_arguments(missing, in), atomfile::Error);
}

TEST_CASE("JSON arguments are validated, trimmed, and refused with line and column") {
    Settings s = parse_command_line({"f", "set", "/a", " [1, 2] \n", "set-string", "/b", "x\"y"});
    prepare_values(s);
    CHECK(s.operations[0].value == "[1, 2]");
    CHECK(s.operations[1].value == "\"x\\\"y\"");
    Settings bad = parse_command_line({"f", "set", "/a", "{\n \"a\" 1}"});
    CHECK_THROWS_WITH_AS(
        prepare_values(bad),
        "argument of operation 1 (set): line 2, column 6: expected ':' after the key",
        ArgumentError);
    Settings duplicate = parse_command_line({"f", "merge", "{\"a\":1,\"a\":2}"});
    CHECK_THROWS_AS(prepare_values(duplicate), ArgumentError);
    Settings deep = parse_command_line({"--max-depth", "2", "f", "set", "/a", "[[[1]]]"});
    CHECK_THROWS_AS(prepare_values(deep), ArgumentError);
    Settings binary = parse_command_line({"f", "set-string", "/a", "\xFF"});
    CHECK_THROWS_AS(prepare_values(binary), ArgumentError);
}
