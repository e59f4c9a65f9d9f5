// libFuzzer target: the public API (atomfile/json.hpp), as a program calls it.
//
// The input holds NUL-separated fields: a document, then pairs of a path and a JSON value. The
// document is parsed as JSONC; a refused one must report a position inside it. Each pair is
// then set, read back and removed on the parsed document. Whatever the input, only the
// documented exceptions come out (PathError, OperationError and its AmbiguousKey; nothing else,
// no crash), a failed edit leaves the text byte for byte as it was, a value set is read back
// equal by get() and test(), and every text the document ever holds parses again. The same
// edits made by parse_external_concurrently's document before validation ends, whatever the text
// holds, end with JSON errors alone, and validated() is true exactly when parse accepts the
// text and finds no duplicate keys.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/json.hpp"

namespace json = atomfile::json;

namespace {

constexpr std::size_t max_depth = 64;

std::vector<std::string> split_fields(const std::uint8_t* data, std::size_t size) {
    std::string input(reinterpret_cast<const char*>(data), size);
    std::vector<std::string> fields;
    for (std::size_t start = 0; start <= input.size();) {
        std::size_t end = std::min(input.find('\0', start), input.size());
        fields.push_back(input.substr(start, end - start));
        start = end + 1;
    }
    return fields;
}

void require(bool condition) {
    if (!condition) std::abort();
}

void check_reparses(const json::Document& document) {
    json::Document::parse(document.text(), {json::Dialect::jsonc, max_depth});
}

// set(path, value): refused with the text unchanged, or done and read back.
void set_and_read_back(json::Document& document, const std::string& path,
                       const nlohmann::json& value) {
    const std::string before = document.text();
    try {
        document.set(path, value);
    } catch (const json::OperationError&) {
        require(document.text() == before);
        return;
    }
    check_reparses(document);
    if (!document.contains(path)) return;  // "-" appended: the path names the end, not it
    require(document.get(path) == value);
    require(document.test(path, value));
}

void remove(json::Document& document, const std::string& path) {
    const std::string before = document.text();
    try {
        if (!document.remove(path)) require(document.text() == before);
    } catch (const json::OperationError&) {
        require(document.text() == before);  // the root, or an ambiguous key
    }
    check_reparses(document);
}

// The pairs set on a document not yet validated; returns validated().
bool set_before_validation(const std::vector<std::string>& fields) {
    auto text = std::make_shared<const std::string>(fields[0]);
    json::Document document =
        json::Document::parse_external_concurrently(*text, text, {json::Dialect::jsonc, max_depth});
    for (std::size_t i = 1; i + 1 < fields.size(); i += 2) {
        try {
            document.set_text(fields[i], fields[i + 1]);
        } catch (const json::JsonError&) {
            // unspecified on an invalid text, but one of the documented errors
        } catch (const std::logic_error&) {
            require(!document.validated());  // documented for an invalid text only
        }
    }
    return document.validated();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::vector<std::string> fields = split_fields(data, size);
    if (fields.size() > 17) return 0;
    std::optional<json::Document> document;
    bool kept = set_before_validation(fields);
    try {
        document = json::Document::parse(fields[0], {json::Dialect::jsonc, max_depth});
    } catch (const json::ParseError& e) {
        require(e.line() >= 1 && e.column() >= 1 && e.offset() <= fields[0].size());
        require(e.code() == json::errc::invalid_json);
        require(!kept);
        return 0;
    }
    require(kept == document->duplicates().empty());
    for (std::size_t i = 1; i + 1 < fields.size(); i += 2) {
        const std::string& path = fields[i];
        try {
            json::validate_path(path);
        } catch (const json::PathError&) {
            continue;
        }
        nlohmann::json value = nlohmann::json::parse(fields[i + 1], nullptr, false);
        if (value.is_discarded()) continue;
        try {
            set_and_read_back(*document, path, value);
            remove(*document, path);
        } catch (const json::OperationError&) {
            // get() of a number nlohmann cannot hold, elsewhere in the value: documented.
        }
    }
    return 0;
}
