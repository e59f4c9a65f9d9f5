// libFuzzer target: the span scanner and the splicer, with nlohmann_json as the oracle.
//
// The input is a document. The scanner must accept exactly what nlohmann accepts (comments
// allowed; numbers beyond double range and NUL bytes, which nlohmann takes for the end of the
// input, are the documented differences). An accepted document
// is then edited at every value it holds (replace, remove, insert), and each result, parsed,
// must equal what nlohmann's DOM gives for the same operation.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "json/json_document.hpp"
#include "json/json_scanner.hpp"

using namespace atomfile::json;
using nlohmann::json;

namespace {

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

void check(Document& document, const json& expected) {
    if (json::parse(document.text(), nullptr, true, true) != expected) std::abort();
    validate(document.text(), 100000);
}

void edit_everywhere(const std::string& text, const json& dom) {
    std::vector<json::json_pointer> paths;
    collect(dom, json::json_pointer(), paths);
    if (paths.size() > 64) paths.resize(64);
    for (const auto& pointer : paths) {
        Document replaced(text, 100000);
        replaced.replace(to_path(pointer), "[1.50, {\"k\": \"v\"}]");
        json expected = dom;
        expected.at(pointer) = json::parse("[1.5, {\"k\": \"v\"}]");
        check(replaced, expected);
        if (pointer.empty()) continue;
        Document removed(text, 100000);
        removed.remove(to_path(pointer));
        check(removed, dom.patch(json{{{"op", "remove"}, {"path", pointer.to_string()}}}));
        const json& value = dom.at(pointer);
        if (!value.is_object() && !value.is_array()) continue;
        Document added(text, 100000);
        json::json_pointer inside = pointer / (value.is_object() ? "new key" : "0");
        added.add(to_path(inside), "null");
        check(added,
              dom.patch(json{{{"op", "add"}, {"path", inside.to_string()}, {"value", nullptr}}}));
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    bool accepted = true;
    ScanReport report;
    try {
        report = validate(text, 100000);
    } catch (const SyntaxError&) {
        accepted = false;
    }
    // nlohmann stops reading at a NUL byte as if the input ended there; the scanner refuses it.
    if (text.find('\0') != std::string::npos) return 0;
    json dom;
    try {
        dom = json::parse(text, nullptr, true, true);
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
