#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <nlohmann/json.hpp>
#include <sstream>
#include <string>
#include <vector>

#include "json/json_edit.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
using atomfile::json::run_json_edit;

namespace {

struct Outcome {
    int code;
    std::string out, err;
};

Outcome edit(const std::vector<std::string>& args, const std::string& input = {}) {
    std::istringstream in(input);
    std::ostringstream out, err;
    int code = run_json_edit(args, in, out, err);
    return {code, out.str(), err.str()};
}

struct stat stat_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::stat(path.c_str(), &st) == 0);
    return st;
}

const char* pretty =
    "{\n  \"name\": \"caf\\u00e9\",\n  \"price\": 1.50,\n\n  \"id\": 9007199254740993,\n"
    "  \"huge\": 1e400,\n  \"tags\": []\n}\n";

}  // namespace

TEST_CASE("set changes only the edited bytes and replaces the file") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, pretty);
    Outcome r = edit({file.string(), "set", "/price", "2", "append", "/tags", "\"x\""});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(read_file(file) ==
          "{\n  \"name\": \"caf\\u00e9\",\n  \"price\": 2,\n\n  \"id\": 9007199254740993,\n"
          "  \"huge\": 1e400,\n  \"tags\": [\n    \"x\"\n  ]\n}\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"a.json"});
}

TEST_CASE("a negative number after FILE is an argument, not an option") {
    ScratchDir dir;
    write_file(dir / "a.json", "{\"x\": 0}");
    CHECK(edit({(dir / "a.json").string(), "set", "/x", "-1"}).code == 0);
    CHECK(read_file(dir / "a.json") == "{\"x\": -1}");
}

TEST_CASE("exit status 1: a failed test, a missing path or a wrong type writes nothing") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, pretty);
    for (auto args : std::vector<std::vector<std::string>>{
             {"set", "/price", "3", "test", "/price", "4"},
             {"set", "/price", "3", "delete", "/nothing"},
             {"set", "/price", "3", "set", "/name/x", "1"},
             {"set", "/price", "3", "append", "/name", "1"},
             {"patch",
              "[{\"op\":\"add\",\"path\":\"/a\",\"value\":1},{\"op\":\"remove\",\"path\":\"/"
              "b\"}]"}}) {
        args.insert(args.begin(), file.string());
        Outcome r = edit(args);
        CHECK(r.code == 1);
        CHECK(r.err.rfind("json-edit: " + file.string() + ": ", 0) == 0);
        CHECK(read_file(file) == pretty);
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"a.json"});
    }
    CHECK(edit({file.string(), "test", "/price", "1.5"}).code == 0);
}

TEST_CASE("exit status 2: bad usage") {
    CHECK(edit({}).code == 2);
    Outcome r = edit({"f.json", "frobnicate", "/a"});
    CHECK(r.code == 2);
    CHECK(r.err.find("unknown operation 'frobnicate'") != std::string::npos);
    CHECK(edit({"f.json", "get", "no-slash"}).code == 2);
}

TEST_CASE("exit status 3: invalid JSON in the file or an argument, with line and column") {
    ScratchDir dir;
    fs::path file = dir / "bad.json";
    write_file(file, "{\n  \"a\": 1,\n  \"b\": tru\n}\n");
    Outcome r = edit({file.string(), "set", "/a", "2"});
    CHECK(r.code == 3);
    CHECK(r.err == "json-edit: " + file.string() + ": line 3, column 8: expected a value\n");
    write_file(file, "{}");
    Outcome arg = edit({file.string(), "set", "/a", "[1,"});
    CHECK(arg.code == 3);
    CHECK(arg.err.find("line 1, column 4") != std::string::npos);
    CHECK(read_file(file) == "{}");
}

TEST_CASE("nesting deeper than --max-depth is refused with exit 3, never a crash") {
    ScratchDir dir;
    fs::path file = dir / "deep.json";
    std::string deep = std::string(100000, '[') + std::string(100000, ']');
    write_file(file, deep);
    Outcome r = edit({file.string(), "set", "/0", "1"});
    CHECK(r.code == 3);
    CHECK(r.err.find("line 1, column 1001: nesting deeper than the maximum depth of 1000") !=
          std::string::npos);
    CHECK(read_file(file) == deep);
    CHECK(edit({"--max-depth", "200000", file.string(), "test", "/0/0", "[[[]]]"}).code == 1);
    CommandResult black_box = run_command({tool_path("json-edit"), "-", "get", ""}, deep);
    CHECK(black_box.exit_status == 3);
}

TEST_CASE("an edit that would nest deeper than --max-depth fails with exit 1, file kept") {
    ScratchDir dir;
    fs::path file = dir / "nested.json";
    write_file(file, "{\"a\": {\"b\": {}}}\n");
    Outcome r = edit({"--max-depth", "3", file.string(), "set", "/a/b/c", "[[1]]"});
    CHECK(r.code == 1);
    CHECK(r.err.find("the result would nest 5 levels deep, deeper than the maximum depth of 3") !=
          std::string::npos);
    CHECK(read_file(file) == "{\"a\": {\"b\": {}}}\n");
    CHECK(edit({"--max-depth", "3", file.string(), "patch",
                R"([{"op": "add", "path": "/a/b/c", "value": [1]}])"})
              .code == 1);
    CHECK(edit({"--max-depth", "3", file.string(), "set", "/a/b/c", "1"}).code == 0);
    CHECK(read_file(file) == "{\"a\": {\"b\": {\"c\": 1}}}\n");
}

TEST_CASE("exit status 4: a missing FILE, reported as PATH: what failed: reason") {
    ScratchDir dir;
    fs::path file = dir / "none.json";
    Outcome r = edit({file.string(), "set", "/a", "1"});
    CHECK(r.code == 4);
    CHECK(r.err == "json-edit: " + file.string() + ": open: No such file or directory\n");
    CHECK(list_dir(dir.path()).empty());
    Outcome directory = edit({dir.path().string(), "get", ""});
    CHECK(directory.code == 4);
    CHECK(directory.err == "json-edit: " + dir.path().string() + ": open: Is a directory\n");
    write_file(file, "{}");
    Outcome big = edit({"--max-size", "1", file.string(), "set", "/a", "1"});
    CHECK(big.code == 4);
    CHECK(big.err == "json-edit: " + file.string() + ": check size: File too large\n");
}

TEST_CASE("an I/O failure while publishing leaves FILE untouched and exits 4") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, pretty);
    for (auto call : {atomfile::platform::Call::fsync, atomfile::platform::Call::rename,
                      atomfile::platform::Call::write}) {
        CAPTURE(atomfile::platform::call_name(call));
        Outcome r;
        {
            ScopedFault fault(call, EIO, 0);
            r = edit({file.string(), "set", "/price", "9"});
        }
        CHECK(r.code == 4);
        CHECK(r.err.find("Input/output error") != std::string::npos);
        CHECK(r.err.rfind("json-edit: ", 0) == 0);
        CHECK(read_file(file) == pretty);
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"a.json"});
    }
}

TEST_CASE("no write at all when the result equals the input: inode and mtime unchanged") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, pretty);
    struct stat before = stat_of(file);
    ::usleep(20000);
    CHECK(edit({file.string(), "set", "/price", "1.50", "merge", "{\"id\": 9007199254740993}"})
              .code == 0);
    CHECK(edit({file.string(), "set", "/price", "7", "set", "/price", "1.50"}).code == 0);
    struct stat after = stat_of(file);
    CHECK(after.st_ino == before.st_ino);
    CHECK(after.st_mtim.tv_sec == before.st_mtim.tv_sec);
    CHECK(after.st_mtim.tv_nsec == before.st_mtim.tv_nsec);
    CHECK(edit({file.string(), "set", "/price", "7"}).code == 0);
    CHECK(stat_of(file).st_ino != before.st_ino);
}

TEST_CASE("FILE - reads standard input and writes the result to standard output") {
    Outcome r = edit({"-", "set", ".a", "2"}, "{\"a\": 1}\n");
    CHECK(r.code == 0);
    CHECK(r.out == "{\"a\": 2}\n");
    Outcome get = edit({"-", "get", "/a"}, "{\"a\": {\"b\": [1]}}");
    CHECK(get.out == "{\"b\": [1]}\n");
    CommandResult black_box = run_command({tool_path("json-edit"), "-", "delete", "/a"},
                                          "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    CHECK(black_box.exit_status == 0);
    CHECK(black_box.out == "{\n  \"b\": 2\n}\n");
}

TEST_CASE("@FILE and @- read JSON arguments") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{}");
    write_file(dir / "patch.json", "[{\"op\": \"add\", \"path\": \"/p\", \"value\": 1}]");
    CHECK(edit({file.string(), "patch", "@" + (dir / "patch.json").string(), "set", "/q", "@-"},
               "[true]")
              .code == 0);
    CHECK(nlohmann::json::parse(read_file(file)) == nlohmann::json::parse(R"({"p":1,"q":[true]})"));
    Outcome missing = edit({file.string(), "set", "/r", "@" + (dir / "nope").string()});
    CHECK(missing.code == 4);
    CHECK(missing.err.find((dir / "nope").string() + ": read argument: No such file") !=
          std::string::npos);
}

TEST_CASE("--dry-run prints the new document and writes nothing") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\"a\": 1}\n");
    struct stat before = stat_of(file);
    Outcome r = edit({"-n", file.string(), "set", "/a", "2"});
    CHECK(r.code == 0);
    CHECK(r.out == "{\"a\": 2}\n");
    CHECK(read_file(file) == "{\"a\": 1}\n");
    CHECK(stat_of(file).st_ino == before.st_ino);
}

TEST_CASE("--diff prints a unified diff of the change") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    Outcome r = edit({"--diff", "-n", file.string(), "set", "/b", "3"});
    std::string label = file.string();
    CHECK(r.out == "--- " + label + "\n+++ " + label +
                       "\n@@ -1,4 +1,4 @@\n {\n   \"a\": 1,\n-  \"b\": 2\n+  \"b\": 3\n }\n");
    CHECK(read_file(file) == "{\n  \"a\": 1,\n  \"b\": 2\n}\n");
    CHECK(edit({"--diff", file.string(), "set", "/b", "3"}).code == 0);
    CHECK(read_file(file) == "{\n  \"a\": 1,\n  \"b\": 3\n}\n");
}

TEST_CASE("--indent sets the indentation of inserted values") {
    Outcome r = edit({"--indent", "tab", "-", "set", "/o", "{\"k\": [1]}"}, "{\n  \"a\": 1\n}");
    // Nested levels add the unit to the indentation of the line the value starts on.
    CHECK(r.out == "{\n  \"a\": 1,\n  \"o\": {\n  \t\"k\": [\n  \t\t1\n  \t]\n  }\n}");
}

TEST_CASE("--create starts a missing FILE as {} and writes it hand-typed") {
    ScratchDir dir;
    fs::path file = dir / "new.json";
    CHECK(edit({"--create", file.string(), "set", "/a/b", "1"}).code == 0);
    CHECK(read_file(file) == "{\n  \"a\": {\n    \"b\": 1\n  }\n}\n");
}

TEST_CASE("--backup keeps the previous content") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\"a\": 1}");
    CHECK(edit({"-b", file.string(), "set", "/a", "2"}).code == 0);
    CHECK(read_file(file) == "{\"a\": 2}");
    CHECK(read_file(dir / "a.json~") == "{\"a\": 1}");
    CHECK(edit({"--backup=.old", file.string(), "set", "/a", "3"}).code == 0);
    CHECK(read_file(dir / "a.json.old") == "{\"a\": 2}");
}

TEST_CASE("the file's mode and a symlink to it are kept") {
    ScratchDir dir;
    fs::path file = dir / "real.json";
    write_file(file, "{\"a\": 1}");
    fs::permissions(file, fs::perms(0640));
    fs::create_symlink("real.json", dir / "link.json");
    CHECK(edit({(dir / "link.json").string(), "set", "/a", "2"}).code == 0);
    CHECK(fs::is_symlink(dir / "link.json"));
    CHECK(read_file(file) == "{\"a\": 2}");
    CHECK(file_mode(file) == 0640);
}

TEST_CASE("JSONC files keep their comments") {
    Outcome r = edit({"-", "set", "/editor.fontSize", "14"},
                     "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 12, // px\n}");
    CHECK(r.code == 3);  // a trailing comma is not JSONC as json-edit reads it
    r = edit({"-", "set", "/editor.fontSize", "14"},
             "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 12 // px\n}");
    CHECK(r.out == "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 14 // px\n}");
}

TEST_CASE("duplicate keys: a warning names them; an edit addressing one is refused") {
    std::string text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}";
    Outcome ok = edit({"-", "set", "/b", "5"}, text);
    CHECK(ok.code == 0);
    CHECK(ok.err == "json-edit: -: warning: duplicate key \"a\" at line 4, column 3\n");
    CHECK(ok.out == "{\n  \"a\": 1,\n  \"b\": 5,\n  \"a\": 3\n}");
    Outcome refused = edit({"-", "set", "/a", "5"}, text);
    CHECK(refused.code == 1);
    CHECK(refused.err.find("the key \"a\" appears more than once; refusing to edit it") !=
          std::string::npos);
    CHECK(refused.out.empty());
}

TEST_CASE("RFC 6902 A.13: a patch with a repeated member is invalid JSON for json-edit") {
    Outcome r =
        edit({"-", "patch", R"([{ "op": "add", "path": "/baz", "value": "qux", "op": "remove" }])"},
             R"({"foo": "bar"})");
    CHECK(r.code == 3);
    CHECK(r.err.find("duplicate key \"op\"") != std::string::npos);
}

TEST_CASE("concurrent json-edit runs setting different keys of one file all survive") {
    ScratchDir dir;
    fs::path file = dir / "shared.json";
    write_file(file, "{\n  \"keep\": true\n}\n");
    constexpr int processes = 8, rounds = 5;
    std::vector<pid_t> children;
    for (int p = 0; p < processes; ++p) {
        pid_t pid = ::fork();
        REQUIRE(pid >= 0);
        if (pid == 0) {
            int failures = 0;
            for (int r = 0; r < rounds; ++r) {
                std::string key = "/p" + std::to_string(p) + "_" + std::to_string(r);
                failures += run_command({tool_path("json-edit"), "-dnone", file.string(), "set",
                                         key, std::to_string(r)})
                                .exit_status != 0;
            }
            ::_exit(failures);
        }
        children.push_back(pid);
    }
    CHECK(count_failed_children(children) == 0);
    nlohmann::json result = nlohmann::json::parse(read_file(file));
    CHECK(result.size() == processes * rounds + 1);
    for (int p = 0; p < processes; ++p)
        for (int r = 0; r < rounds; ++r)
            CHECK(result.at("p" + std::to_string(p) + "_" + std::to_string(r)) == r);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"shared.json"});
}

TEST_CASE("--help and --version answer without a FILE") {
    CHECK(edit({"--help"}).out.rfind("Usage: json-edit", 0) == 0);
    CHECK(edit({"--version"}).out.find("json-edit (atomfile)") == 0);
}
