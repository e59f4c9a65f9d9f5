// libFuzzer target: the span scanner and the splicer, with nlohmann_json as the oracle.
//
// The input is a document. The scanner must accept exactly what nlohmann accepts: in the JSONC
// dialect with comments allowed and JSONC's trailing commas taken out (nlohmann 3.11 reads none),
// in the strict dialect with neither (numbers beyond double range and NUL bytes, which nlohmann
// takes for the end of the input, are the documented differences). An accepted document is then
// edited at every value it holds (replace, remove, insert, and set and append through missing
// paths), and each result, parsed, must equal what nlohmann's DOM gives for the same operation.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "json_document.hpp"
#include "json_scanner.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;
using nlohmann::json;

namespace {

// The text without the trailing commas JSONC allows (a comma after a value, before a closing
// bracket). Written apart from the scanner, so that it checks the scanner rather than repeats it.
std::string without_trailing_commas(const std::string& text) {
    std::string out;
    char last = 0;  // the last significant character copied
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (c == '"') {
            std::size_t end = i + 1;
            while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2 : 1;
            out += text.substr(i, end + 1 - i);
            i = end;
            last = '"';
            continue;
        }
        if (c == '/' && i + 1 < text.size() && (text[i + 1] == '/' || text[i + 1] == '*')) {
            bool line = text[i + 1] == '/';
            std::size_t end = line ? text.find_first_of("\n\r", i) : text.find("*/", i + 2);
            end = end == std::string::npos ? text.size() : end + (line ? 0 : 2);
            out += text.substr(i, end - i);
            i = end - 1;
            continue;
        }
        if (c == ',' && last != '[' && last != '{' && last != ',' && last != ':' && last != 0) {
            std::size_t next = i + 1;
            while (next < text.size()) {
                if (std::string(" \t\r\n").find(text[next]) != std::string::npos) {
                    ++next;
                } else if (text.compare(next, 2, "//") == 0) {
                    next = std::min(text.find_first_of("\n\r", next), text.size());
                } else if (text.compare(next, 2, "/*") == 0) {
                    std::size_t end = text.find("*/", next + 2);
                    next = end == std::string::npos ? text.size() : end + 2;
                } else {
                    break;
                }
            }
            if (next < text.size() && (text[next] == ']' || text[next] == '}')) continue;
        }
        if (std::string(" \t\r\n").find(c) == std::string::npos) last = c;
        out += c;
    }
    return out;
}

json parse_jsonc(const std::string& text) {
    return json::parse(without_trailing_commas(text), nullptr, true, true);
}

void collect(const json& value, const json::json_pointer& at,
             std::vector<json::json_pointer>& out) {
    out.push_back(at);
    if (value.is_object())
        for (auto& item : value.items()) collect(item.value(), at / item.key(), out);
    if (value.is_array())
        for (std::size_t i = 0; i < value.size(); ++i) collect(value[i], at / i, out);
}

Path to_path(const json::json_pointer& pointer) {
    return parse_pointer(pointer.to_string());
}

void check(Splicer& document, const json& expected) {
    if (parse_jsonc(document.text()) != expected) std::abort();
    validate(document.text(), 100000);
}

void edit_everywhere(const std::string& text, const json& dom) {
    std::vector<json::json_pointer> paths;
    collect(dom, json::json_pointer(), paths);
    if (paths.size() > 64) paths.resize(64);
    for (const auto& pointer : paths) {
        Splicer replaced(text, 100000);
        replaced.replace(to_path(pointer), "[1.50, {\"k\": \"v\"}]");
        json expected = dom;
        expected.at(pointer) = json::parse("[1.5, {\"k\": \"v\"}]");
        check(replaced, expected);
        if (pointer.empty()) continue;
        Splicer removed(text, 100000);
        removed.remove(to_path(pointer));
        check(removed, dom.patch(json{{{"op", "remove"}, {"path", pointer.to_string()}}}));
        const json& value = dom.at(pointer);
        if (!value.is_object() && !value.is_array()) continue;
        Splicer added(text, 100000);
        json::json_pointer inside = pointer / (value.is_object() ? "new key" : "0");
        added.add(to_path(inside), "null");
        check(added,
              dom.patch(json{{{"op", "add"}, {"path", inside.to_string()}, {"value", nullptr}}}));
        if (!value.is_array()) continue;
        Splicer appended(text, 100000);
        appended.append(to_path(pointer), "{\"k\": [1,]}");
        json grown = dom;
        grown.at(pointer).push_back(json{{"k", {1}}});
        check(appended, grown);
        Splicer created(text, 100000);
        Path through = to_path(pointer);
        through.emplace_back(PathToken("-1", true));
        if (value.empty()) continue;
        created.set(through, "[]");
        json last = dom;
        last.at(pointer).back() = json::array();
        check(created, last);
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    bool accepted = true, strict = true;
    ScanReport report;
    try {
        report = validate(text, 100000);
    } catch (const ParseError&) {
        accepted = false;
    }
    try {
        validate(text, 100000, Dialect::strict);
    } catch (const ParseError&) {
        strict = false;
    }
    // nlohmann stops reading at a NUL byte as if the input ended there; the scanner refuses it.
    if (text.find('\0') != std::string::npos) return 0;
    bool nlohmann_strict = true;
    try {
        static_cast<void>(json::parse(text));
    } catch (const json::out_of_range&) {
        return 0;  // a number nlohmann cannot hold: the scanner keeps it as written
    } catch (const json::parse_error&) {
        nlohmann_strict = false;
    }
    if (strict != nlohmann_strict || (strict && !accepted)) std::abort();
    json dom;
    try {
        dom = parse_jsonc(text);
    } catch (const json::out_of_range&) {
        return 0;  // a number nlohmann cannot hold: the scanner keeps it as written
    } catch (const json::parse_error&) {
        if (accepted) std::abort();
        return 0;
    }
    if (!accepted) std::abort();
    if (report.duplicates.empty()) edit_everywhere(text, dom);
    return 0;
}
