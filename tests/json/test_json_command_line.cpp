#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <system_error>

#include "json/json_command_line.hpp"
#include "support/test_support.hpp"

using namespace atomfile::json;
using atomfile::test::ScratchDir;
using atomfile::test::write_file;

TEST_CASE("before FILE every dash word is an option; after it only option names are") {
    Settings s = parse_command_line(
        {"-n", "--indent", "4", "f.json", "set", "/x", "-1", "get", ".a[0]", "merge", "{}"});
    CHECK(s.dry_run);
    CHECK(s.indent == std::string("    "));
    CHECK(s.file == "f.json");
    REQUIRE(s.operations.size() == 3);
    CHECK(s.operations[0].name == "set");
    CHECK(s.operations[0].path_text == "/x");
    CHECK(s.operations[0].argument == "-1");
    CHECK(s.operations[1].path_text == ".a[0]");
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

TEST_CASE("--in-place-fallback and --undo-dir are read anywhere; --undo-dir needs the fallback") {
    Settings s = parse_command_line({"f", "set", "/a", "1", "--in-place-fallback", "--undo-dir=u"});
    CHECK(s.in_place_fallback);
    CHECK(s.undo_directory == "u");
    REQUIRE(s.operations.size() == 1);
    CHECK(s.operations[0].argument == "1");
    s = parse_command_line({"--undo-dir", "u", "--in-place-fallback", "f", "get", ""});
    CHECK(s.in_place_fallback);
    CHECK(s.undo_directory == "u");
    CHECK_FALSE(parse_command_line({"f", "get", ""}).in_place_fallback);
    CHECK_THROWS_AS(parse_command_line({"--undo-dir", "u", "f", "set", "/a", "1"}), UsageError);
    CHECK_THROWS_AS(parse_command_line({"--in-place-fallback", "--undo-dir=", "f", "get", ""}),
                    UsageError);
}

TEST_CASE("--indent takes a number of spaces from 0 to 16 or tab") {
    auto indent = [](const std::string& value) {
        return parse_command_line({"--indent", value, "f", "get", ""}).indent;
    };
    CHECK(indent("4") == std::string("    "));
    CHECK(indent("0") == std::string());
    CHECK(indent("16") == std::string(16, ' '));
    CHECK(indent("tab") == std::string("\t"));
    CHECK_THROWS_AS(indent("17"), UsageError);
    CHECK_THROWS_AS(indent("x"), UsageError);
    CHECK_THROWS_AS(indent(""), UsageError);
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

TEST_CASE("a backup suffix that is empty or holds '/' is bad usage, as for atomic-write") {
    CHECK_THROWS_WITH_AS(parse_command_line({"--backup=/x", "f", "set", "/a", "1"}),
                         "invalid backup suffix '/x' (a suffix cannot contain '/')", UsageError);
    CHECK_THROWS_WITH_AS(parse_command_line({"--backup=", "f", "set", "/a", "1"}),
                         "the backup suffix must not be empty", UsageError);
    CHECK(parse_command_line({"-b", "f", "set", "/a", "1"}).backup_suffix == "~");
}

TEST_CASE("@FILE and @- arguments are read; stdin only once") {
    ScratchDir dir;
    write_file(dir / "v.json", "{\"k\": 1}");
    write_file(dir / "text", "two\nlines\n");
    Settings s = parse_command_line({"f", "set", "/a", "@" + (dir / "v.json").string(), "merge",
                                     "@-", "set-string", "/s", "@" + (dir / "text").string()});
    std::istringstream in("[2]");
    load_arguments(s, in);
    CHECK(s.operations[0].argument == "{\"k\": 1}");
    CHECK(s.operations[1].argument == "[2]");
    CHECK(s.operations[2].argument == "two\nlines\n");  // set-string @FILE: the text, verbatim
    Settings twice = parse_command_line({"f", "set", "/a", "@-", "set", "/b", "@-"});
    CHECK_THROWS_AS(load_arguments(twice, in), UsageError);
    Settings piped = parse_command_line({"-", "set", "/a", "@-"});
    CHECK_THROWS_AS(load_arguments(piped, in), UsageError);
    Settings missing = parse_command_line({"f", "set", "/a", "@" + (dir / "none").string()});
    CHECK_THROWS_AS(load_arguments(missing, in), atomfile::Error);
}

TEST_CASE("a standard input that cannot be read is reported with its reason, not as empty") {
    // A directory as standard input fails each read, as a closed one does (EISDIR, EBADF); the
    // file buffer's own exception would say only "basic_filebuf::underflow error".
    ScratchDir dir;
    std::ifstream in(dir.path());
    REQUIRE(in.is_open());
    Settings s = parse_command_line({"f", "set-string", "/a", "@-"});
    std::string step, path;
    std::error_code code;
    try {
        load_arguments(s, in);
    } catch (const atomfile::Error& e) {
        step = e.step();
        path = e.path();
        code = e.code();
    }
    CHECK(step == "read standard input");
    CHECK(path == "-");
    CHECK(code == std::errc::is_a_directory);
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

TEST_CASE("options may come anywhere; -- ends them, for values that are option names") {
    Settings s = parse_command_line({"f.json", "set", "/a", "1", "-n", "get", "/b", "--raw",
                                     "--default=0", "--if-exists", "--strict"});
    CHECK(s.dry_run);
    CHECK(s.raw);
    CHECK(s.default_value == std::string("0"));
    CHECK(s.if_exists);
    CHECK(s.strict);
    REQUIRE(s.operations.size() == 2);
    CHECK(s.operations[0].argument == "1");
    Settings ended = parse_command_line({"f.json", "--", "set-string", "/a", "-n"});
    CHECK_FALSE(ended.dry_run);
    CHECK(ended.operations[0].argument == "-n");
    Settings value = parse_command_line({"f.json", "--default", "-1", "get", "/a", "-d", "none"});
    CHECK(value.default_value == std::string("-1"));
    CHECK(value.durability == atomfile::Durability::none);
    CHECK_THROWS_WITH_AS(parse_command_line({"f.json", "get", "/a", "--frob"}),
                         "unknown option '--frob'", UsageError);
}

TEST_CASE("keys, length and type take a PATH and read only") {
    Settings s = parse_command_line({"f", "keys", ".", "length", "/a", "type", "/b"});
    REQUIRE(s.operations.size() == 3);
    for (const Operation& operation : s.operations) {
        CHECK_FALSE(operation.modifies());
        CHECK(operation.reads_only());
    }
    CHECK_THROWS_AS(parse_command_line({"f", "keys"}), UsageError);
}

TEST_CASE("a bare word where JSON belongs is refused with the string it may have meant") {
    Settings s = parse_command_line({"f", "set", "/name", "hello"});
    CHECK_THROWS_WITH_AS(prepare_values(s),
                         "argument of operation 1 (set): not JSON: did you mean '\"hello\"' or "
                         "set-string?",
                         ArgumentError);
    Settings number = parse_command_line({"f", "set", "/n", "1x"});
    CHECK_THROWS_WITH_AS(prepare_values(number),
                         "argument of operation 1 (set): line 1, column 2: unexpected content "
                         "after the document",
                         ArgumentError);
}

TEST_CASE("--strict holds the arguments to RFC 8259 too; --default is validated") {
    Settings strict = parse_command_line({"--strict", "f", "set", "/a", "[1,]"});
    CHECK_THROWS_AS(prepare_values(strict), ArgumentError);
    Settings jsonc = parse_command_line({"f", "set", "/a", "[1,]"});
    prepare_values(jsonc);
    CHECK(jsonc.operations[0].value == "[1,]");
    Settings fallback = parse_command_line({"--default", " {\"a\": 1} ", "f", "get", "/x"});
    prepare_values(fallback);
    CHECK(fallback.default_value == std::string("{\"a\": 1}"));
    Settings bad = parse_command_line({"--default", "{", "f", "get", "/x"});
    CHECK_THROWS_AS(prepare_values(bad), ArgumentError);
}
