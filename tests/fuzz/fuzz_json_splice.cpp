// libFuzzer target: the span scanner and the splicer, with nlohmann_json as the oracle.
//
// The input is a document. The scanner must accept exactly what nlohmann accepts: in the JSONC
// dialect with comments allowed and JSONC's trailing commas taken out (nlohmann 3.11 reads none),
// in the strict dialect with neither (numbers beyond double range and NUL bytes, which nlohmann
// takes for the end of the input, are the documented differences). An accepted document is then
// edited at every value it holds (replace, remove, insert, and set and append through missing
// paths), and each result, parsed, must equal what nlohmann's DOM gives for the same operation.
// The scanner's fast path is checked against its reference validator on every input.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "json_document.hpp"
#include "json_fast_validator.hpp"
#include "json_scanner.hpp"
#include "support/jsonc_oracle.hpp"

using namespace atomfile::json;
using namespace atomfile::json::detail;
using atomfile::test::without_trailing_commas;
using nlohmann::json;

namespace {

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

bool same_report(const ScanReport& a, const ScanReport& b) {
    bool same = a.root_begin == b.root_begin && a.root_end == b.root_end &&
                a.shallow == b.shallow && a.duplicates.size() == b.duplicates.size();
    for (std::size_t i = 0; same && i < a.duplicates.size(); ++i)
        same = a.duplicates[i].key == b.duplicates[i].key &&
               a.duplicates[i].offset == b.duplicates[i].offset;
    return same;
}

// validate()'s fast path (a structural index) must accept only what the reference validator
// accepts, with the same report, and take every comment-free document with a container root.
void check_fast_path(const std::string& text, Dialect dialect) {
    ScanReport fast, reference;
    bool fast_accepts = validate_fast(text, 100000, dialect, fast), accepted = true;
    try {
        reference = validate_reference(text, 100000, dialect);
    } catch (const ParseError&) {
        accepted = false;
    }
    // The two-thread path, split at the first line break it may use from the middle on (and
    // from the start): it too accepts only what the reference accepts, with the same report.
    for (std::size_t from : {text.size() / 2, std::size_t(0)}) {
        ScanReport halves;
        if (!validate_halves(text, 100000, dialect, from, halves)) continue;
        if (!accepted || !same_report(halves, reference)) std::abort();
    }
    if (fast_accepts && !accepted) std::abort();
    if (!accepted) return;
#if defined(__SSE2__)
    if (!fast_accepts && text.find('/') == std::string::npos &&
        is_container(text, reference.root_begin))
        std::abort();
#endif
    if (!fast_accepts) return;
    bool same = fast.root_begin == reference.root_begin && fast.root_end == reference.root_end &&
                fast.shallow == reference.shallow &&
                fast.duplicates.size() == reference.duplicates.size();
    for (std::size_t i = 0; same && i < fast.duplicates.size(); ++i)
        same = fast.duplicates[i].key == reference.duplicates[i].key &&
               fast.duplicates[i].offset == reference.duplicates[i].offset;
    if (!same) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    std::string text(reinterpret_cast<const char*>(data), size);
    // Each version of the fast path this CPU runs (SSE2, AVX2, AVX-512BW) is held to the same.
#if defined(__SSE2__)
    for (VectorWidth width : runnable_vector_widths()) {
        force_vector_width(width);
        check_fast_path(text, Dialect::jsonc);
        check_fast_path(text, Dialect::strict);
    }
    force_vector_width(std::nullopt);
#else
    check_fast_path(text, Dialect::jsonc);
    check_fast_path(text, Dialect::strict);
#endif
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
