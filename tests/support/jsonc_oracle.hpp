// The tests' oracle for JSONC: nlohmann_json reads comments but no trailing commas, so the
// scanner's tests (tests/json) and fuzz targets (tests/fuzz) compare against nlohmann on the
// text with JSONC's trailing commas taken out.
#pragma once

#include <algorithm>
#include <string>

namespace atomfile::test {

// The text without the trailing commas JSONC allows (a comma after a value, before a closing
// bracket). Written apart from the scanner, so that it checks the scanner rather than repeats it.
inline std::string without_trailing_commas(const std::string& text) {
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
            // A space, not nothing, in its place: "1/,//" must not become the comment "1///".
            if (next < text.size() && (text[next] == ']' || text[next] == '}')) {
                out += ' ';
                continue;
            }
        }
        if (std::string(" \t\r\n").find(c) == std::string::npos) last = c;
        out += c;
    }
    return out;
}

}  // namespace atomfile::test
