// Guide, "Keeping your users' config files": change a user's JSONC settings from a program,
// keeping their comments, layout and trailing commas.
#include <atomfile/atomfile.hpp>
#include <atomfile/json.hpp>

#include <filesystem>
#include <iostream>
#include <string>

namespace fs = std::filesystem;
namespace json = atomfile::json;

int main() {
    atomfile::TemporaryDirectory work;
    fs::path settings = fs::path(work.path()) / "settings.json";
    atomfile::write_atomic(settings,
                           "// My editor settings. Hands off my comments!\n"
                           "{\n"
                           "  \"window\": {\n"
                           "    \"zoom\": 1, // bigger on the laptop\n"
                           "  },\n"
                           "  \"debug\": true, // TODO: remove\n"
                           "}\n");

    // Read, edit and replace under the update lock: atomic, durable, and no write at all when
    // the edit changes nothing. Paths are JSON Pointers or jq-style dotted paths.
    json::update(settings, [](json::Document& doc) {
        doc.set("/window/zoom", 2);
        doc.set(".window.theme", "dark");  // new members follow their neighbours' layout
        doc.remove("/debug");              // with the comment on its line
    });

    // Reading: get() converts with nlohmann::json, get_text() keeps the bytes as written.
    json::Document doc = json::Document::parse(atomfile::read_file(settings));
    int zoom = doc.get("/window/zoom").value_or(1).get<int>();
    std::cout << doc.text() << "zoom: " << zoom << '\n';

    // Errors say where: a ParseError carries the line and column.
    try {
        json::Document::parse("{\"zoom\": 2,,}");
    } catch (const json::ParseError& e) {
        std::cout << "line " << e.line() << ", column " << e.column() << ": " << e.what() << '\n';
    }

    return doc.text() ==
                   "// My editor settings. Hands off my comments!\n"
                   "{\n"
                   "  \"window\": {\n"
                   "    \"zoom\": 2, // bigger on the laptop\n"
                   "    \"theme\": \"dark\",\n"
                   "  },\n"
                   "}\n"
               ? 0
               : 1;
}
