#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "atomfile/error.hpp"
#include "atomfile/json.hpp"
#include "atomfile/transaction.hpp"
#include "platform/fault_seam.hpp"
#include "support/test_support.hpp"

using atomfile::test::CallRecorder;
using atomfile::test::list_dir;
using atomfile::test::read_file;
using atomfile::test::ScopedFault;
using atomfile::test::ScratchDir;
using atomfile::test::write_file;
namespace json = atomfile::json;

namespace {

const std::string settings_text =
    "// VS Code settings\n"
    "{\n"
    "  \"editor.fontSize\": 14, // points\n"
    "  \"window\": {\n"
    "    \"zoom\": 1,\n"
    "  },\n"
    "  /* left alone */\n"
    "  \"debug\": true,\n"
    "}\n";

}  // namespace

TEST_CASE(
    "a JSONC document is edited through pointers and dotted paths, keeping every other byte") {
    json::Document doc = json::Document::parse(settings_text);
    doc.set("/window/zoom", 2);
    doc.set(".window.title", "x");
    CHECK(doc.remove("/debug"));
    CHECK(doc.text() ==
          "// VS Code settings\n"
          "{\n"
          "  \"editor.fontSize\": 14, // points\n"
          "  \"window\": {\n"
          "    \"zoom\": 2,\n"
          "    \"title\": \"x\",\n"
          "  },\n"
          "  /* left alone */\n"
          "}\n");
    CHECK(doc.changed());
}

TEST_CASE("get converts a value, get_text keeps its spelling, and a missing path is nullopt") {
    json::Document doc =
        json::Document::parse("{\"a\": {\"b\": [1.50, \"x\",], /* c */}, \"n\": null}");
    CHECK(doc.get("/a/b/0") == nlohmann::json(1.5));
    CHECK(doc.get(".a") == nlohmann::json::parse("{\"b\": [1.5, \"x\"]}"));
    CHECK(doc.get_text("/a/b/0") == std::string("1.50"));
    CHECK(doc.get("/n") == nlohmann::json(nullptr));
    CHECK_FALSE(doc.get("/missing").has_value());
    CHECK_FALSE(doc.get_text("/a/b/9").has_value());
    CHECK_FALSE(doc.contains("/n/deeper"));
    CHECK(doc.contains("/a/b/1"));
    CHECK(doc.type("/a/b") == json::Type::array);
    CHECK(doc.size("/a/b") == 2);
    CHECK(doc.keys("") == std::vector<std::string>{"a", "n"});
    CHECK(doc.print("/a") == std::string("{\"b\": [1.50, \"x\"]}"));
    CHECK_THROWS_AS(doc.type("/missing"), json::OperationError);
    CHECK_FALSE(doc.changed());
}

TEST_CASE("a value nlohmann cannot hold is refused by get but kept by get_text") {
    json::Document doc = json::Document::parse("[1e400]");
    CHECK_THROWS_AS(doc.get("/0"), json::OperationError);
    CHECK(doc.get_text("/0") == std::string("1e400"));
}

namespace {

// How many arrays deep value nests, walked without recursion.
std::size_t array_depth(const nlohmann::json& value) {
    std::size_t depth = 0;
    for (const nlohmann::json* at = &value; at->is_array(); at = &at->back()) {
        ++depth;
        if (at->empty()) break;
    }
    return depth;
}

}  // namespace

TEST_CASE("values nested a million levels deep convert, compare, set, merge and patch") {
    // get, test, set, merge and apply_patch printed or compared nlohmann values recursively,
    // once per level, and overflowed the stack.
    const std::size_t depth = 1000000;
    const std::string deep = std::string(depth, '[') + std::string(depth, ']');
    json::ParseOptions options;
    options.max_depth = depth + 2;
    json::Document doc = json::Document::parse("{\"v\": " + deep + "}", options);
    std::optional<nlohmann::json> value = doc.get("/v");
    REQUIRE(value.has_value());
    CHECK(array_depth(*value) == depth);
    CHECK(doc.test("/v", *value));
    CHECK_FALSE(doc.test("/v", nlohmann::json::array()));
    doc.set("/s", *value);
    CHECK(doc.get_text("/s") == deep);
    nlohmann::json patch = nlohmann::json::object();
    patch["m"] = std::move(*value);
    doc.merge(patch);
    CHECK(doc.get_text("/m") == deep);
    nlohmann::json operations = nlohmann::json::array();
    operations.push_back({{"op", "test"}, {"path", "/m"}});
    operations.back()["value"] = std::move(patch["m"]);
    CHECK_NOTHROW(doc.apply_patch(operations));
    operations.back()["path"] = "/s/0";
    CHECK_THROWS_AS(doc.apply_patch(operations), json::OperationError);
    CHECK(doc.get_text("/s") == deep);
}

TEST_CASE("remove of a missing path does nothing and says so") {
    json::Document doc = json::Document::parse("{\"a\": 1}\n");
    CHECK_FALSE(doc.remove("/b"));
    CHECK_FALSE(doc.remove("/a/b"));
    CHECK(doc.text() == "{\"a\": 1}\n");
    CHECK_FALSE(doc.changed());
}

TEST_CASE("merge and apply_patch edit in place, and a failing patch changes nothing") {
    json::Document doc = json::Document::parse("{\n  \"a\": 1, // one\n  \"b\": [1]\n}\n");
    doc.merge(nlohmann::json::parse("{\"a\": null, \"c\": {\"d\": true}}"));
    CHECK(doc.text() == "{\n  \"b\": [1],\n  \"c\": {\n    \"d\": true\n  }\n}\n");
    doc.apply_patch(nlohmann::json::parse(R"([{"op": "add", "path": "/b/-", "value": 2}])"));
    CHECK(doc.get("/b") == nlohmann::json::parse("[1, 2]"));
    const std::string before = doc.text();
    CHECK_THROWS_AS(doc.apply_patch(nlohmann::json::parse(
                        R"([{"op": "remove", "path": "/b"}, {"op": "test", "path": "/c/d",
                            "value": false}])")),
                    json::OperationError);
    CHECK(doc.text() == before);
    doc.merge_text("{\"e\": 1.0, /* kept as written */}");
    CHECK(doc.get_text("/e") == std::string("1.0"));
}

TEST_CASE("a failing patch or merge leaves an unedited document as parsed, still editable") {
    const std::string text =
        "{\n  \"a\": [1, 2], // list\n  \"b\": {\"c\": 1},\n  \"x\": 1,\n  \"x\": 2\n}\n";
    json::Document doc = json::Document::parse(text);
    CHECK_THROWS_AS(doc.apply_patch_text(R"([{"op": "remove", "path": "/a/0"},
                                             {"op": "add", "path": "/b/c/d", "value": 1},
                                             {"op": "remove", "path": "/a/0"}])"),
                    json::OperationError);
    CHECK(doc.text() == text);
    CHECK_FALSE(doc.changed());
    // "z" is added, then "x" is ambiguous.
    CHECK_THROWS_AS(doc.merge_text("{\"z\": 1, \"x\": 3}"), json::AmbiguousKey);
    CHECK(doc.text() == text);
    doc.set("/b/c", 2);
    CHECK(doc.text() ==
          "{\n  \"a\": [1, 2], // list\n  \"b\": {\"c\": 2},\n  \"x\": 1,\n  \"x\": 2\n}\n");
}

TEST_CASE("the text forms take JSON as written and refuse what is not JSON") {
    json::Document doc = json::Document::parse("{}");
    doc.set_text("/n", " 1.50 ");
    doc.append_text("/list", "\"x\"");
    CHECK(doc.text() == "{\"n\": 1.50, \"list\": [\"x\"]}");
    CHECK_THROWS_AS(doc.set_text("/n", "1.50,"), json::ParseError);
    CHECK_THROWS_AS(doc.set_text("/n", "{\"a\": 1, \"a\": 2}"), json::ParseError);
    CHECK(doc.test("/n", 1.5));
    CHECK(doc.test_text("/list", "[\"x\"]"));
    CHECK_FALSE(doc.test("/n", 2));
    CHECK(doc.text() == "{\"n\": 1.50, \"list\": [\"x\"]}");
}

TEST_CASE("parse errors carry line, column and offset, and the strict dialect refuses JSONC") {
    try {
        json::Document::parse("{\n  \"a\": 1,\n  ]\n}");
        FAIL("parsed");
    } catch (const json::ParseError& e) {
        CHECK(e.line() == 3);
        CHECK(e.column() == 3);
        CHECK(e.offset() == 14);
        CHECK(e.code() == json::errc::invalid_json);
        CHECK(e.path().empty());
    }
    CHECK_NOTHROW(json::Document::parse("[1,] // c"));
    CHECK_THROWS_AS(json::Document::parse("[1,]", {json::Dialect::strict, 100}), json::ParseError);
    CHECK_THROWS_AS(json::Document::parse("[[[1]]]", {json::Dialect::jsonc, 2}), json::ParseError);
    std::error_code ec;
    CHECK_FALSE(json::Document::parse("{", {}, ec).has_value());
    CHECK(ec == json::errc::invalid_json);
    CHECK(json::Document::parse("{}", {}, ec).has_value());
    CHECK_FALSE(ec);
}

TEST_CASE("errors are system errors of the json category, with error_code overloads") {
    json::Document doc = json::Document::parse("{\"a\": {\"x\": 1, \"x\": 2}, \"s\": 1}");
    CHECK_THROWS_AS(json::validate_path(".a["), json::PathError);
    CHECK_NOTHROW(json::validate_path(".a[\"x.y\"][-1]"));
    CHECK_THROWS_AS(doc.get("/a/x"), json::AmbiguousKey);
    CHECK(doc.duplicates().size() == 1);
    CHECK(doc.duplicates()[0].key == "x");
    CHECK(doc.duplicates()[0].line == 1);
    CHECK(doc.duplicates()[0].column == 16);
    std::error_code ec;
    doc.set("/s/t", 1, ec);
    CHECK(ec == json::errc::operation_failed);
    CHECK(std::string(ec.category().name()) == "atomfile.json");
    doc.set("/a/x", 1, ec);
    CHECK(ec == json::errc::ambiguous_key);
    CHECK_FALSE(doc.remove("/a/x/", ec));
    CHECK(ec == json::errc::ambiguous_key);
    doc.set("/b", 1, ec);
    CHECK_FALSE(ec);
    try {
        doc.set("/s/t", 1);
        FAIL("set through a number");
    } catch (const std::system_error& e) {
        // what() is the message alone, without the category's words appended.
        CHECK(std::string(e.what()) == "/s is not an object or array");
    }
}

TEST_CASE("a copy is independent, and format prints a value in the document's style") {
    json::Document doc = json::Document::parse("{\n\t\"a\": 1\n}\n");
    json::Document copy = doc;
    copy.set("/b", nlohmann::json::array({1, 2}));
    CHECK_FALSE(doc.changed());
    CHECK(copy.text() == "{\n\t\"a\": 1,\n\t\"b\": [\n\t\t1,\n\t\t2\n\t]\n}\n");
    CHECK(doc.indent() == "\t");
    CHECK(doc.indented());
    CHECK(doc.format("{\"x\": [1]}") == "{\n\t\"x\": [\n\t\t1\n\t]\n}");
    doc.set_indent("");
    doc.set("/c", nlohmann::json::object({{"d", 1}}));
    CHECK(doc.text() == "{\n\t\"a\": 1,\n\t\"c\": {\"d\": 1}\n}\n");
}

TEST_CASE("a value that is not UTF-8 is refused and the document is unchanged") {
    json::Document doc = json::Document::parse("{}");
    CHECK_THROWS_AS(doc.set("/a", std::string("\xff")), json::OperationError);
    CHECK(doc.text() == "{}");
}

TEST_CASE("update edits a file in place, keeping comments, and writes nothing when unchanged") {
    ScratchDir dir;
    const std::string path = (dir / "settings.json").string();
    write_file(path, settings_text);
    CHECK(json::update(path, [](json::Document& d) { d.set("/window/zoom", 2); }));
    const std::string edited = read_file(path);
    CHECK(edited.find("\"zoom\": 2,") != std::string::npos);
    CHECK(edited.find("// points") != std::string::npos);
    struct stat before {};
    REQUIRE(::stat(path.c_str(), &before) == 0);
    CHECK_FALSE(json::update(path, [](json::Document& d) { d.set("/window/zoom", 2); }));
    struct stat after {};
    REQUIRE(::stat(path.c_str(), &after) == 0);
    CHECK(after.st_ino == before.st_ino);
    CHECK(read_file(path) == edited);
}

TEST_CASE("update starts a missing file as {} and creates it only when the edit changes it") {
    ScratchDir dir;
    const std::string path = (dir / "new.json").string();
    CHECK_FALSE(json::update(path, [](json::Document& d) { d.get("/a"); }));
    struct stat status {};
    CHECK(::stat(path.c_str(), &status) != 0);
    CHECK(json::update(path, [](json::Document& d) { d.set("/a", 1); }));
    CHECK(read_file(path) == "{\n  \"a\": 1\n}\n");
    const std::string missing = (dir / "missing.json").string();
    CHECK_THROWS_AS(
        json::update(
            missing, [](json::Document&) {}, atomfile::ReplaceOptions().with_missing_ok(false)),
        atomfile::Error);
}

TEST_CASE("update leaves the file untouched when the file or the edit fails") {
    ScratchDir dir;
    const std::string path = (dir / "bad.json").string();
    write_file(path, "{\n  \"a\": 1\n  \"b\": 2\n}\n");
    try {
        json::update(path, [](json::Document& d) { d.set("/a", 2); });
        FAIL("parsed");
    } catch (const json::ParseError& e) {
        CHECK(e.path() == path);
        CHECK(e.line() == 3);
        CHECK(std::string(e.what()).find("'" + path + "': line 3, column 3: ") !=
              std::string::npos);
    }
    std::error_code ec;
    CHECK_FALSE(json::update(
        path, [](json::Document& d) { d.set("/a", 2); }, ec));
    CHECK(ec == json::errc::invalid_json);
    write_file(path, "{\"a\": 1}");
    CHECK_THROWS_AS(json::update(path,
                                 [](json::Document& d) {
                                     d.set("/a", 2);
                                     throw std::runtime_error("changed my mind");
                                 }),
                    std::runtime_error);
    CHECK(read_file(path) == "{\"a\": 1}");
    CHECK_FALSE(json::update((dir / "no/such/dir/x.json").string(),
                             [](json::Document& d) { d.set("/a", 2); }, ec));
    CHECK(ec == std::errc::no_such_file_or_directory);
}

TEST_CASE("update replaces durably with the caller's options, and a failed sync changes nothing") {
    ScratchDir dir;
    const std::string path = (dir / "app.json").string();
    write_file(path, "{\"v\": 1}\n");
    {
        CallRecorder recorder;
        CHECK(json::update(
            path, [](json::Document& d) { d.set("/v", 2); },
            atomfile::ReplaceOptions().with_backup_suffix(".bak")));
        CHECK(recorder.count(atomfile::platform::Call::fsync) +
                  recorder.count(atomfile::platform::Call::fdatasync) >=
              2);  // the file, then its directory
    }
    CHECK(read_file(path) == "{\"v\": 2}\n");
    CHECK(read_file(path + ".bak") == "{\"v\": 1}\n");
    std::error_code ec;
    {
        ScopedFault fault(atomfile::platform::Call::fsync, EIO);
        CHECK_FALSE(json::update(
            path, [](json::Document& d) { d.set("/v", 3); }, ec));
        CHECK(fault.fired());
    }
    CHECK(ec == std::errc::io_error);
    CHECK(atomfile::step_of(ec) == atomfile::Step::sync_temp);
    CHECK(read_file(path) == "{\"v\": 2}\n");
}

TEST_CASE("update whose directory sync fails after the rename says the file was replaced") {
    ScratchDir dir;
    const std::string path = (dir / "app.json").string();
    write_file(path, "{\"v\": 1}\n");
    int syncs = 0;
    {
        CallRecorder recorder;
        CHECK(json::update(path, [](json::Document& d) { d.set("/v", 2); }));
        syncs = recorder.count(atomfile::platform::Call::fsync);
    }
    REQUIRE(syncs >= 2);  // the file, then its directory
    std::error_code ec;
    {
        ScopedFault last(atomfile::platform::Call::fsync, EIO, syncs);
        CHECK_FALSE(json::update(
            path, [](json::Document& d) { d.set("/v", 3); }, ec));
        CHECK(last.fired());
    }
    CHECK(ec == atomfile::errc::replaced_not_durable);
    CHECK(ec == std::errc::io_error);
    CHECK(atomfile::step_of(ec) == atomfile::Step::directory_sync);
    CHECK(read_file(path) == "{\"v\": 3}\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"app.json"});
    try {
        ScopedFault last(atomfile::platform::Call::fsync, EIO, syncs);
        json::update(path, [](json::Document& d) { d.set("/v", 4); });
        FAIL("update did not throw");
    } catch (const atomfile::Error& e) {
        CHECK(atomfile::is_replaced(e));
    }
    CHECK(read_file(path) == "{\"v\": 4}\n");
}

TEST_CASE("concurrent updates of one file lose no edit") {
    ScratchDir dir;
    const std::string path = (dir / "counter.json").string();
    write_file(path, "{\"n\": 0} // counted\n");
    std::vector<std::thread> threads;
    for (int t = 0; t < 4; ++t)
        threads.emplace_back([&] {
            for (int i = 0; i < 10; ++i)
                json::update(path,
                             [](json::Document& d) { d.set("/n", d.get("/n")->get<int>() + 1); });
        });
    for (auto& thread : threads) thread.join();
    CHECK(read_file(path) == "{\"n\": 40} // counted\n");
}

TEST_CASE("update below a crashed, committed transaction edits the rolled-forward file") {
    ScratchDir root;
    const std::string path = (root / "settings.json").string();
    write_file(path, "{}\n");
    // A transaction writing {"a": 1}, killed at its first rename: committed, not published.
    pid_t pid = ::fork();
    if (pid == 0) {
        atomfile::platform::FaultScope crash([](atomfile::platform::Call call) {
            if (call == atomfile::platform::Call::rename) ::raise(SIGKILL);
            return 0;
        });
        atomfile::Transaction tx(root.path().string());
        tx.write("settings.json", "{\"a\": 1}\n");
        tx.commit();
        ::_exit(0);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    REQUIRE(WIFSIGNALED(status));
    REQUIRE(read_file(path) == "{}\n");
    CHECK(json::update(path, [](json::Document& d) { d.set("/b", 2); }));
    // Nothing left for a later recovery to roll forward over the edit.
    CHECK(atomfile::recover(root.path().string()) == atomfile::Recovery::nothing);
    CHECK(read_file(path) == "{\"a\": 1, \"b\": 2}\n");
}

TEST_CASE("parse_external edits a text held elsewhere without copying it") {
    auto owned =
        std::make_shared<std::string>("{\n  \"a\": 1, // keep\n  \"a\": 2,\n  \"b\": [1]\n}\n");
    std::string_view text = *owned;
    json::Document doc = json::Document::parse_external(text, owned);
    CHECK(doc.pieces()[0].data() == owned->data());  // the same bytes, not a copy
    REQUIRE(doc.duplicates().size() == 1);
    CHECK(doc.duplicates()[0].line == 3);
    CHECK(doc.get_text("/b") == "[1]");
    json::Document copy = doc;
    doc.set("/b/-", 2);
    CHECK(doc.pieces()[0].data() == owned->data());  // one edit: still pieces of the original
    CHECK(doc.text() == "{\n  \"a\": 1, // keep\n  \"a\": 2,\n  \"b\": [1, 2]\n}\n");
    doc.set("/c", true);  // a second edit lays the text out anew
    CHECK(doc.text() ==
          "{\n  \"a\": 1, // keep\n  \"a\": 2,\n  \"b\": [1, 2],\n  \"c\": true\n}\n");
    CHECK(copy.text() == *owned);  // the copy shares the original and saw no edit
    CHECK_FALSE(copy.changed());
    std::weak_ptr<std::string> watch = owned;
    owned.reset();
    CHECK_FALSE(watch.expired());  // the documents hold it
    std::error_code ec;
    CHECK_FALSE(json::Document::parse_external("[1,,]", nullptr, {}, ec));
    CHECK(ec == json::errc::invalid_json);
}

TEST_CASE("parse_external_concurrently edits at once and says afterwards whether to keep it") {
    auto owner = std::make_shared<std::string>("{\"a\": [1, 2,], // c\n \"b\": {}}");
    json::Document doc = json::Document::parse_external_concurrently(*owner, owner);
    doc.set("/b/c", 3);
    CHECK(doc.validated());
    json::Document checked = json::Document::parse_external(*owner, owner);
    checked.set("/b/c", 3);
    CHECK(doc.text() == checked.text());
    CHECK(doc.validated());  // asked again: the same answer
    CHECK(json::Document::parse("{}").validated());

    for (const char* refused : {"{\"a\": [1,,]}", "{\"a\": 1, \"a\": 2}", "[1 }", "{\"a\""}) {
        CAPTURE(refused);
        auto text = std::make_shared<std::string>(refused);
        json::Document unchecked = json::Document::parse_external_concurrently(*text, text);
        try {
            unchecked.set("/x", 1);  // unspecified, but it ends
        } catch (const json::JsonError&) {
        }
        CHECK_FALSE(unchecked.validated());
    }
    json::ParseOptions strict;
    strict.dialect = json::Dialect::strict;
    CHECK_FALSE(json::Document::parse_external_concurrently(*owner, owner, strict).validated());
}
