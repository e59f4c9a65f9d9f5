// libFuzzer target: json-edit's operation sequence, through the command itself.
//
// The input holds NUL-separated fields: the document, then operation names and arguments, run as
// `json-edit - FIELDS...` with the document on standard input. Whatever the input, the command
// returns one of its documented statuses, and a successful edit prints a valid document.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "json/json_edit.hpp"
#include "json/json_scanner.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> fields;
    for (std::size_t start = 0; start <= input.size();) {
        std::size_t end = std::min(input.find('\0', start), input.size());
        fields.push_back(input.substr(start, end - start));
        start = end + 1;
    }
    if (fields.size() < 2 || fields.size() > 16) return 0;
    std::vector<std::string> args{"--max-depth", "200", "-"};
    bool modifies = false;
    for (std::size_t i = 1; i < fields.size(); ++i) {
        if (!fields[i].empty() && fields[i][0] == '@') return 0;  // no files from fuzz input
        modifies = modifies || fields[i] == "set" || fields[i] == "delete" ||
                   fields[i] == "append" || fields[i] == "merge" || fields[i] == "patch" ||
                   fields[i] == "set-string";
        args.push_back(fields[i]);
    }
    std::istringstream in(fields[0]);
    std::ostringstream out, err;
    int code = atomfile::json::run_json_edit(args, in, out, err);
    if (code < 0 || code > 3) std::abort();
    bool only_edits = true;  // "get" output would precede the document
    for (std::size_t i = 1; i < fields.size(); ++i) only_edits = only_edits && fields[i] != "get";
    if (code == 0 && modifies && only_edits) atomfile::json::validate(out.str(), 200);
    return 0;
}
