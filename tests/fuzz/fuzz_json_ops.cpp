// libFuzzer target: json-edit's operation sequence, through the command itself.
//
// The input holds NUL-separated fields: the document, then operation names and arguments, run as
// `json-edit - FIELDS...` with the document on standard input. Whatever the input, the command
// returns one of its documented statuses, and a successful edit prints a valid document. Fields
// may be options, which json-edit reads anywhere (-n, -r, --strict, --if-exists, --default, --).
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "atomfile/json.hpp"
#include "json/json_edit.hpp"

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
        const std::string& field = fields[i];
        if (!field.empty() && field[0] == '@') return 0;  // no files from fuzz input
        // Options may come anywhere: those that change what is printed or the depth limit
        // the output is checked against are left out.
        for (const char* option :
             {"--diff", "-h", "--help", "--version", "--max-depth", "--max-size"})
            if (field.rfind(option, 0) == 0) return 0;
        modifies = modifies || field == "set" || field == "delete" || field == "append" ||
                   field == "merge" || field == "patch" || field == "set-string";
        args.push_back(field);
    }
    std::istringstream in(fields[0]);
    std::ostringstream out, err;
    int code = atomfile::json::run_json_edit(args, in, out, err);
    if (code < 0 || code > 3) std::abort();
    bool only_edits = true;  // a query's output would precede the document
    for (std::size_t i = 1; i < fields.size(); ++i)
        for (const char* query : {"get", "keys", "length", "type"})
            only_edits = only_edits && fields[i] != query;
    if (code == 0 && modifies && only_edits)
        atomfile::json::Document::parse(out.str(), {atomfile::json::Dialect::jsonc, 200});
    return 0;
}
