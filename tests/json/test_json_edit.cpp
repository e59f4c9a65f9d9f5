#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <iterator>
#include <nlohmann/json.hpp>
#include <sstream>
#include <streambuf>
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

TEST_CASE("a failed directory sync after the rename exits 5: FILE replaced, and said so") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, pretty);
    int syncs = 0;
    {
        CallRecorder recorder;
        REQUIRE(edit({file.string(), "set", "/price", "2"}).code == 0);
        syncs = recorder.count(atomfile::platform::Call::fsync);
    }
    REQUIRE(syncs >= 2);  // the temp, then the directory
    Outcome r;
    {
        ScopedFault last(atomfile::platform::Call::fsync, EIO, syncs);
        r = edit({file.string(), "set", "/price", "3"});
    }
    CHECK(r.code == 5);
    CHECK(r.err.rfind("json-edit: ", 0) == 0);
    CHECK(r.err.find("sync directory after replace: Input/output error") != std::string::npos);
    CHECK(read_file(file).find("\"price\": 3,") != std::string::npos);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"a.json"});
}

TEST_CASE("the warning that the owner was not kept comes only once FILE was replaced") {
    if (!running_as_root()) {
        MESSAGE("skipped: making a file owned by someone else needs root");
        return;
    }
    using atomfile::platform::Call;
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\"a\": 1}\n");
    REQUIRE(::chown(file.c_str(), 1234, 5678) == 0);
    Outcome refused;
    {
        // fchown's EPERM: a user who may write the directory but not give files away.
        ScopedFault faults({{Call::fchown, EPERM, 0}, {Call::rename, EIO, 0}});
        refused = edit({file.string(), "set", "/a", "2"});
    }
    CHECK(refused.code == 4);
    CHECK(refused.err.find("not kept") == std::string::npos);
    CHECK(refused.err.find("Input/output error") != std::string::npos);
    CHECK(read_file(file) == "{\"a\": 1}\n");
    Outcome replaced;
    {
        ScopedFault refused_owner(Call::fchown, EPERM, 0);
        replaced = edit({file.string(), "set", "/a", "2"});
    }
    CHECK(replaced.code == 0);
    INFO(replaced.err);
    CHECK(replaced.err.find("warning: owner and group 1234:5678 not kept") != std::string::npos);
    CHECK(read_file(file) == "{\"a\": 2}\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"a.json"});
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

// A stream whose writes fail, as standard output on a full disk or a closed descriptor.
struct FailingBuffer : std::streambuf {
    int overflow(int) override { return traits_type::eof(); }
};

TEST_CASE("a --diff that cannot be written leaves the file untouched, with exit status 4") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\n  \"a\": 1\n}\n");
    struct stat before = stat_of(file);
    FailingBuffer failing;
    std::ostream out(&failing);
    std::istringstream in;
    std::ostringstream err;
    CHECK(run_json_edit({"--diff", file.string(), "set", "/a", "2"}, in, out, err) == 4);
    CHECK(err.str().find("json-edit: write error on standard output: ") == 0);
    CHECK(err.str().find("; nothing was changed\n") != std::string::npos);
    CHECK(read_file(file) == "{\n  \"a\": 1\n}\n");
    CHECK(stat_of(file).st_ino == before.st_ino);
    CHECK(std::distance(fs::directory_iterator(dir.path()), fs::directory_iterator()) == 1);
}

TEST_CASE("--indent sets the indentation of inserted values, and never mixes tabs and spaces") {
    Outcome r = edit({"--indent", "4", "-", "set", "/o", "{\"k\": [1]}"}, "{\n  \"a\": 1\n}");
    // Nested levels add the unit to the indentation of the line the value starts on.
    CHECK(r.out == "{\n  \"a\": 1,\n  \"o\": {\n      \"k\": [\n          1\n      ]\n  }\n}");
    // The old contract applied a tab under a space-indented line (mixed); now refused.
    Outcome mixed = edit({"--indent", "tab", "-", "set", "/o", "{\"k\": [1]}"}, "{\n  \"a\": 1\n}");
    CHECK(mixed.code == 2);
    CHECK(mixed.err ==
          "json-edit: --indent tab: - is indented with spaces; inserted values would mix tabs "
          "and spaces (leave --indent out to follow the file)\n");
    CHECK(mixed.out.empty());
    CHECK(edit({"--indent", "2", "-", "set", "/b", "1"}, "{\n\t\"a\": 1\n}").code == 2);
    Outcome tab = edit({"--indent", "tab", "-", "set", "/o", "{\"k\": 1}"}, "{\"a\": 1}");
    CHECK(tab.out == "{\"a\": 1, \"o\": {\"k\": 1}}");
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

TEST_CASE("JSONC files keep their comments and trailing commas") {
    // The old contract refused the trailing comma (exit 3); JSONC as VS Code writes it has them.
    Outcome r = edit({"-", "set", "/editor.fontSize", "14"},
                     "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 12, // px\n}");
    CHECK(r.code == 0);
    CHECK(r.out == "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 14, // px\n}");
    r = edit({"-", "set", "/editor.fontSize", "14"},
             "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 12 // px\n}");
    CHECK(r.out == "// VS Code settings\n{\n  /* size */ \"editor.fontSize\": 14 // px\n}");
}

TEST_CASE("duplicate keys: a warning names them; an operation addressing one is ambiguous") {
    std::string text = "{\n  \"a\": 1,\n  \"b\": 2,\n  \"a\": 3\n}";
    Outcome ok = edit({"-", "set", "/b", "5"}, text);
    CHECK(ok.code == 0);
    CHECK(ok.err == "json-edit: -: warning: duplicate key \"a\" at line 4, column 3\n");
    CHECK(ok.out == "{\n  \"a\": 1,\n  \"b\": 5,\n  \"a\": 3\n}");
    Outcome refused = edit({"-", "set", "/a", "5"}, text);
    CHECK(refused.code == 1);
    CHECK(refused.err ==
          "json-edit: -: warning: duplicate key \"a\" at line 4, column 3\n"
          "json-edit: -: set /a: ambiguous: the key \"a\" appears twice, at lines 2 "
          "and 4\n");
    CHECK(refused.out.empty());
    Outcome get = edit({"-", "get", "/a"}, text);
    CHECK(get.code == 1);
    CHECK(get.err.find("json-edit: -: get /a: ambiguous: the key \"a\" appears twice, at lines 2 "
                       "and 4\n") != std::string::npos);
    CHECK(get.err.find("refusing") == std::string::npos);
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

// ---- real files, edited by the built tool and compared byte for byte -------------------------

namespace {

fs::path data_dir() {
    return fs::path(ATOMFILE_SOURCE_DIR) / "tests" / "json" / "data";
}

struct RealEdit {
    const char* input;
    std::vector<std::string> operations;
    const char* expected;
};

}  // namespace

TEST_CASE("real JSONC files: each edit gives the expected file byte for byte") {
    const std::vector<RealEdit> edits = {
        // A stock tsconfig (trailing commas, comments): exit 3 before JSONC's trailing commas.
        {"tsconfig.json",
         {"set", "/compilerOptions/target", "\"es2022\""},
         "tsconfig.set-target.expected.json"},
        {"tsconfig.json",
         {"delete", "/compilerOptions/sourceMap", "append", ".include", "\"tests/**/*.ts\"", "set",
          ".compilerOptions.lib", "[\"dom\", \"es2022\"]", "set", ".compilerOptions.paths",
          "{\"@/*\": [\"src/*\"]}"},
         "tsconfig.edits.expected.json"},
        {"settings.json",
         {"set", ".\"editor.fontSize\"", "14", "set", ".[\"files.exclude\"].\"**/dist\"", "true",
          "delete", ".\"telemetry.telemetryLevel\"", "append", ".\"editor.rulers\"", "100"},
         "settings.edits.expected.json"},
        {"package.json",
         {"set", "/version", "\"1.3.0\"", "set", "/scripts/lint", "\"eslint .\"", "delete",
          "/devDependencies/mocha", "set", "/keywords", "[\"pad\", \"cli\"]"},
         "package.edits.expected.json"},
        {"devcontainer.json",
         {"set", "/customizations/vscode/extensions/-", "\"ms-python.python\"", "merge",
          R"({"features": {"ghcr.io/devcontainers/features/node:1": {"version": "20"}}})", "delete",
          "/forwardPorts/0", "delete", "/customizations/vscode/extensions/0"},
         "devcontainer.edits.expected.json"},
    };
    for (const RealEdit& real : edits) {
        CAPTURE(real.expected);
        ScratchDir dir;
        fs::path file = dir / real.input;
        fs::copy_file(data_dir() / real.input, file);
        std::vector<std::string> argv{tool_path("json-edit"), file.string()};
        argv.insert(argv.end(), real.operations.begin(), real.operations.end());
        CommandResult result = run_command(argv);
        CHECK(result.exit_status == 0);
        CHECK(result.err.empty());
        CHECK(read_file(file) == read_file(data_dir() / real.expected));
    }
}

TEST_CASE("--strict refuses every n_ file of the JSON parsing test suite and reads every y_") {
    // Without --strict, JSONC reads exactly the n_ files that hold comments or trailing commas.
    const std::vector<std::string> jsonc = {
        "n_array_extra_comma.json",
        "n_array_number_and_comma.json",
        "n_object_lone_continuation_byte_in_key_and_trailing_comma.json",  // see data README
        "n_object_trailing_comma.json",
        "n_object_trailing_comment.json",
        "n_object_trailing_comment_slash_open.json",
        "n_structure_object_with_comment.json"};
    int refused = 0, read = 0;
    for (const auto& entry : fs::directory_iterator(data_dir() / "json_test_suite")) {
        std::string name = entry.path().filename().string();
        if (entry.path().extension() != ".json") continue;
        CAPTURE(name);
        std::string path = entry.path().string();
        bool must_refuse = name.rfind("n_", 0) == 0;
        CHECK(edit({"--strict", path, "get", ""}).code == (must_refuse ? 3 : 0));
        bool read_as_jsonc = std::find(jsonc.begin(), jsonc.end(), name) != jsonc.end();
        if (must_refuse) CHECK(edit({path, "get", ""}).code == (read_as_jsonc ? 0 : 3));
        (must_refuse ? refused : read) += 1;
    }
    CHECK(refused == 188);
    CHECK(read == 95);
}

TEST_CASE("--strict: comments and trailing commas in FILE are refused with exit 3, saying which") {
    Outcome r = edit({"--strict", "-", "get", "/a"}, "{\n  \"a\": 1, // c\n}");
    CHECK(r.code == 3);
    CHECK(r.err ==
          "json-edit: -: line 2, column 11: a comment, which strict JSON (RFC 8259) does "
          "not allow\n");
    Outcome comma = edit({"-", "get", "/a"}, "[1,,2]");
    CHECK(comma.code == 3);
    CHECK(comma.err ==
          "json-edit: -: line 1, column 4: two commas in a row: a trailing comma is "
          "allowed only after the last member\n");
}

// ---- operations as jq users type them --------------------------------------------------------

TEST_CASE("get -r prints strings without quotes; --default answers a missing PATH") {
    std::string text = "{\"s\": \"a\\tb\\u00e9\", \"n\": 1}";
    CHECK(edit({"-r", "-", "get", "/s", "get", "/n"}, text).out == "a\tb\xC3\xA9\n1\n");
    CHECK(edit({"-", "get", "/s"}, text).out == "\"a\\tb\\u00e9\"\n");
    Outcome fallback = edit({"-", "get", "/missing", "--default", "[1,2]"}, text);
    CHECK(fallback.code == 0);
    CHECK(fallback.out == "[1, 2]\n");
    CHECK(edit({"-", "get", "/n", "--default", "0"}, text).out == "1\n");
    CHECK(edit({"-", "get", "/missing"}, text).code == 1);
}

TEST_CASE("--if-exists: get and delete of a missing PATH do nothing and succeed") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\"a\": 1}");
    struct stat before = stat_of(file);
    Outcome r = edit({file.string(), "--if-exists", "delete", "/nope", "get", "/nope"});
    CHECK(r.code == 0);
    CHECK(r.out.empty());
    CHECK(stat_of(file).st_ino == before.st_ino);
    CHECK(edit({file.string(), "delete", "/nope"}).code == 1);
    CHECK(edit({file.string(), "--if-exists", "test", "/nope", "1"}).code == 1);
    CHECK(edit({file.string(), "--if-exists", "delete", "/a"}).code == 0);
    CHECK(read_file(file) == "{}");
}

TEST_CASE("keys, length and type answer as jq does") {
    std::string text =
        "{\"b\": {\"z\": 1, \"\xC3\xA9\": 2, \"a\": 3}, \"l\": [1, 2, 3], "
        "\"s\": \"h\xC3\xA9llo\", \"n\": -2.50, \"z\": null, \"t\": true}";
    CHECK(edit({"-", "keys", "/b", "keys", "/l"}, text).out ==
          "[\"a\", \"z\", \"\xC3\xA9\"]\n[0, 1, 2]\n");
    CHECK(
        edit({"-", "length", "/b", "length", "/l", "length", "/s", "length", "/n", "length", "/z"},
             text)
            .out == "3\n3\n5\n2.50\n0\n");
    Outcome boolean = edit({"-", "length", "/t"}, text);
    CHECK(boolean.code == 1);
    CHECK(boolean.err == "json-edit: -: length /t: boolean (true) has no length\n");
    CHECK(edit({"-", "type", "/b", "type", "/n", "-r", "type", "/z"}, text).out ==
          "object\nnumber\nnull\n");
    CHECK(edit({"-", "type", "/t"}, text).out == "\"boolean\"\n");
    CHECK(edit({"-", "keys", "/s"}, text).code == 1);
}

TEST_CASE("jq paths: quoted keys, negative indices, arrays made by [0] and -") {
    std::string text = "{\"a.b\": 1, \"x\": {\"b c\": [1, 2, 3]}}";
    // The old parser read ."a.b" as the keys "\"a" and "b\"" and created them.
    CHECK(edit({"-", "set", ".\"a.b\"", "9"}, text).out ==
          "{\"a.b\": 9, \"x\": {\"b c\": [1, 2, 3]}}");
    CHECK(edit({"-", "get", ".x.\"b c\"[-1]", "get", ".[\"a.b\"]"}, text).out == "3\n1\n");
    CHECK(edit({"-", "set", ".new[0]", "1"}, "{}").out == "{\"new\": [1]}");
    CHECK(edit({"-", "set", "/new/-/x", "1"}, "{}").out == "{\"new\": [{\"x\": 1}]}");
    CHECK(edit({"-", "append", "/list", "1"}, "{}").out == "{\"list\": [1]}");
    Outcome pointer = edit({"-", "get", "/x/b c/-1"}, text);
    CHECK(pointer.code == 1);
    CHECK(pointer.err.find("a JSON Pointer has no negative indices") != std::string::npos);
}

TEST_CASE("an unquoted word where JSON belongs suggests the string or set-string") {
    Outcome r = edit({"-", "set", "/name", "hello"}, "{}");
    CHECK(r.code == 3);
    CHECK(r.err ==
          "json-edit: argument of operation 1 (set): not JSON: did you mean '\"hello\"' "
          "or set-string?\n");
}

TEST_CASE("set-string PATH @FILE sets the file's text, verbatim") {
    ScratchDir dir;
    write_file(dir / "motd.txt", "Welcome,\n\"friend\"\n");
    Outcome r = edit({"-", "set-string", "/motd", "@" + (dir / "motd.txt").string()}, "{}");
    CHECK(r.code == 0);
    CHECK(r.out == "{\"motd\": \"Welcome,\\n\\\"friend\\\"\\n\"}");
}

TEST_CASE("options anywhere: after FILE and after operations, with -- ending them") {
    ScratchDir dir;
    fs::path file = dir / "a.json";
    write_file(file, "{\"a\": 0}");
    Outcome r = edit({file.string(), "set", "/a", "1", "-n"});
    CHECK(r.code == 0);
    CHECK(r.out == "{\"a\": 1}");
    CHECK(read_file(file) == "{\"a\": 0}");
    CHECK(edit({file.string(), "--", "set-string", "/a", "-n"}).code == 0);
    CHECK(read_file(file) == "{\"a\": \"-n\"}");
    CHECK(edit({file.string(), "set", "/a", "-1"}).code == 0);
    CHECK(read_file(file) == "{\"a\": -1}");
}

// ---- input that cannot seek ------------------------------------------------------------------

TEST_CASE("a pipe, a FIFO and /dev/stdin are read; an edit of one is refused, pointing to -") {
    std::string text = "{\"a\": [1, 2]}";
    CommandResult piped = run_command(
        {"bash", "-c", "\"$0\" <(printf '%s' \"$1\") get /a", tool_path("json-edit"), text});
    CHECK(piped.exit_status == 0);
    CHECK(piped.out == "[1, 2]\n");
    CommandResult stdin_path =
        run_command({tool_path("json-edit"), "/dev/stdin", "get", "/a"}, text);
    CHECK(stdin_path.exit_status == 0);
    CHECK(stdin_path.out == "[1, 2]\n");
    ScratchDir dir;
    fs::path fifo = dir / "fifo";
    REQUIRE(::mkfifo(fifo.c_str(), 0600) == 0);
    CommandResult from_fifo =
        run_command({"bash", "-c", "printf '%s' \"$2\" > \"$1\" & \"$0\" \"$1\" get /a; wait",
                     tool_path("json-edit"), fifo.string(), text});
    CHECK(from_fifo.exit_status == 0);
    CHECK(from_fifo.out == "[1, 2]\n");
    CommandResult edited = run_command(
        {"bash", "-c", "\"$0\" <(printf '%s' \"$1\") set /a 1", tool_path("json-edit"), text});
    CHECK(edited.exit_status == 4);
    CHECK(edited.err.find("cannot edit in place: not a regular file") != std::string::npos);
    CHECK(edited.err.find("FILE '-'") != std::string::npos);
    Outcome fifo_edit = edit({fifo.string(), "set", "/a", "1"});
    CHECK(fifo_edit.code == 4);
    CHECK(fifo_edit.err == "json-edit: " + fifo.string() +
                               ": cannot edit in place: not a regular file; to edit what it "
                               "holds, read it as standard input with FILE '-' (json-edit - OPS "
                               "< " +
                               fifo.string() + " > NEW)\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"fifo"});
}

TEST_CASE("json-edit follows a 20,000-step path into a document 3 million levels deep") {
    // Bounded by the test's timeout: the old lookup took over ten minutes.
    ScratchDir dir;
    fs::path file = dir / "deep.json";
    write_file(file, std::string(3000000, '[') + std::string(3000000, ']'));
    std::string path;
    for (int i = 0; i < 20000; ++i) path += "/0";
    CommandResult type = run_command(
        {tool_path("json-edit"), "--max-depth", "3000000", file.string(), "type", path});
    CHECK(type.exit_status == 0);
    CHECK(type.out == "\"array\"\n");
    CommandResult set = run_command(
        {tool_path("json-edit"), "--max-depth", "3000000", file.string(), "set", path, "1"});
    CHECK(set.exit_status == 0);
    CHECK(read_file(file) == std::string(20000, '[') + "1" + std::string(20000, ']'));
}

namespace {

// A document of over 1 MiB, which json-edit validates on a second thread while it writes the
// edit: {"meta": {"version": 1}, "pad": "xxx...", <tail>}.
std::string big_document(const std::string& tail) {
    return "{\"meta\": {\"version\": 1}, \"pad\": \"" + std::string(3 << 19, 'x') + "\"" + tail +
           "}\n";
}

}  // namespace

TEST_CASE("a big file's edit written while it is validated is committed only when valid") {
    ScratchDir dir;
    fs::path file = dir / "big.json";
    write_file(file, big_document(", \"end\": [1,]"));
    Outcome r = edit({file.string(), "set", "/meta/version", "2"});
    CHECK(r.code == 0);
    CHECK(r.err.empty());
    CHECK(read_file(file) == "{\"meta\": {\"version\": 2}, \"pad\": \"" +
                                 std::string(3 << 19, 'x') + "\", \"end\": [1,]}\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"big.json"});

    // Invalid after the edited value: refused as before, exit 3, the file as it was.
    const std::string invalid = big_document(", \"end\": [1,,]");
    write_file(file, invalid);
    r = edit({file.string(), "set", "/meta/version", "3"});
    CHECK(r.code == 3);
    CHECK(r.err.find("big.json: line 1, column 1572911: ") != std::string::npos);
    // The message is the one of the plain way, which -n takes.
    CHECK(r.err == edit({"-n", file.string(), "set", "/meta/version", "3"}).err);
    CHECK(read_file(file) == invalid);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"big.json"});
    CHECK(edit({"--strict", file.string(), "set", "/meta/version", "3"}).code == 3);
    CHECK(read_file(file) == invalid);
}

TEST_CASE("a big file's duplicate keys and failed operations are reported as for a small one") {
    ScratchDir dir;
    fs::path file = dir / "big.json";
    const std::string duplicated = big_document(", \"meta\": 2");
    write_file(file, duplicated);
    Outcome r = edit({file.string(), "set", "/meta/version", "2"});
    CHECK(r.code == 1);
    CHECK(r.err.find("warning: duplicate key \"meta\" at line 1, column 1572901") !=
          std::string::npos);
    CHECK(r.err.find("ambiguous: the key \"meta\" appears twice, at lines 1 and 1") !=
          std::string::npos);
    CHECK(read_file(file) == duplicated);
    const std::string plain = big_document("");
    write_file(file, plain);
    r = edit({file.string(), "delete", "/missing"});
    CHECK(r.code == 1);
    CHECK(r.err.find("delete /missing: /missing: no such value") != std::string::npos);
    CHECK(read_file(file) == plain);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"big.json"});
}

TEST_CASE("an I/O failure while a big file's edit is written during validation exits 4") {
    // Reported as the plain way reports it, not retried: a failed write (the first to the temp,
    // the second write call) or kernel copy of the unchanged bytes (before and after the edited
    // value) fails the edit even when the next one would succeed.
    ScratchDir dir;
    fs::path file = dir / "big.json";
    const std::string big = big_document("");
    write_file(file, big);
    using Call = atomfile::platform::Call;
    for (const auto& rule :
         {std::pair{Call::write, 2}, std::pair{Call::write, 0}, std::pair{Call::copy, 1},
          std::pair{Call::copy, 2}, std::pair{Call::rename, 0}}) {
        const Call call = rule.first;
        const int nth = rule.second;
        CAPTURE(atomfile::platform::call_name(call));
        CAPTURE(nth);
        Outcome r;
        {
            ScopedFault fault(call, EIO, nth);
            r = edit({file.string(), "set", "/meta/version", "9"});
            CHECK(fault.fired());
        }
        CHECK(r.code == 4);
        CHECK(r.err.find("Input/output error") != std::string::npos);
        CHECK((read_file(file) == big));
        CHECK(list_dir(dir.path()) == std::vector<std::string>{"big.json"});
    }
}
