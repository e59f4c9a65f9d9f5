// Proves the installed atomfile::json works from another project: a JSONC settings file with
// comments and trailing commas is edited through atomfile/json.hpp, and every byte is checked.
#include <atomfile/atomfile.hpp>
#include <atomfile/json.hpp>

#include <fstream>
#include <iostream>
#include <sstream>
#include <string>

namespace {

const char* const original =
    "// settings, as an editor writes them\n"
    "{\n"
    "  \"window\": {\n"
    "    \"zoom\": 1, // percent / 100\n"
    "  },\n"
    "  /* on its own line: kept */\n"
    "  \"debug\": true, // goes with its member\n"
    "  \"files.exclude\": {\"**/.git\": true,},\n"
    "}\n";

const char* const expected =
    "// settings, as an editor writes them\n"
    "{\n"
    "  \"window\": {\n"
    "    \"zoom\": 2, // percent / 100\n"
    "    \"title\": \"consumer\",\n"
    "  },\n"
    "  /* on its own line: kept */\n"
    "  \"files.exclude\": {\"**/.git\": true, \"**/build\": true,},\n"
    "}\n";

std::string read(const char* path) {
    std::ifstream in(path);
    std::stringstream content;
    content << in.rdbuf();
    return content.str();
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: json_consumer FILE\n";
        return 2;
    }
    namespace json = atomfile::json;
    atomfile::write_atomic(argv[1], original);
    bool written = json::update(argv[1], [](json::Document& doc) {
        doc.set("/window/zoom", 2);
        doc.set(".window.title", "consumer");
        doc.remove("/debug");
        doc.set(".\"files.exclude\".\"**/build\"", true);
    });
    if (!written || read(argv[1]) != expected) {
        std::cerr << "json_consumer: unexpected content:\n" << read(argv[1]);
        return 1;
    }
    // The same edit again changes nothing, so nothing is written.
    if (json::update(argv[1], [](json::Document& doc) { doc.set("/window/zoom", 2); })) {
        std::cerr << "json_consumer: an edit that changed nothing was written\n";
        return 1;
    }
    std::error_code ec;
    json::Document::parse("{\"a\": }", {}, ec);
    if (ec != json::errc::invalid_json) {
        std::cerr << "json_consumer: a parse error gave '" << ec.message() << "'\n";
        return 1;
    }
    std::cout << "json_consumer: atomfile::json edits JSONC from an installed tree\n";
    return 0;
}
