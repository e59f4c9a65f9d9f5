#include "json_path.hpp"

#include <algorithm>

#include "json_format.hpp"
#include "json_scanner.hpp"

namespace atomfile::json::detail {

namespace {

std::string unescape_token(std::string_view raw) {
    std::string token;
    for (std::size_t i = 0; i < raw.size(); ++i) {
        if (raw[i] != '~') {
            token += raw[i];
            continue;
        }
        char next = i + 1 < raw.size() ? raw[i + 1] : '\0';
        if (next != '0' && next != '1') throw PathError("'~' must be followed by '0' or '1'");
        token += next == '0' ? '~' : '/';
        ++i;
    }
    return token;
}

int hex_value(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

std::string percent_decode(std::string_view text) {
    std::string out;
    for (std::size_t i = 0; i < text.size(); ++i) {
        if (text[i] != '%') {
            out += text[i];
            continue;
        }
        int high = i + 2 < text.size() ? hex_value(text[i + 1]) : -1;
        int low = high >= 0 ? hex_value(text[i + 2]) : -1;
        if (low < 0) throw PathError("'%' must be followed by two hex digits");
        out += static_cast<char>(high * 16 + low);
        i += 2;
    }
    return out;
}

// A JSON string starting at pos (a quote); returns it decoded and advances pos past it.
std::string quoted_name(std::string_view text, std::size_t& pos) {
    std::size_t end = pos + 1;
    while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2u : 1u;
    if (end >= text.size()) throw PathError("unterminated string at offset " + std::to_string(pos));
    std::string name;
    if (!decode_json_string(text.substr(pos, end + 1 - pos), name))
        throw PathError("invalid JSON string at offset " + std::to_string(pos));
    pos = end + 1;
    return name;
}

// [N] or [-N], written as jq does; leading zeros mean nothing ([01] is [1]).
PathToken position(std::string_view text, std::size_t& pos) {
    std::size_t start = pos;
    bool negative = pos < text.size() && text[pos] == '-';
    if (negative) ++pos;
    std::size_t digits = pos;
    while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
    if (pos == digits) throw PathError("expected a number or a JSON string after '['");
    std::string_view number = text.substr(digits, pos - digits);
    number.remove_prefix(std::min(number.find_first_not_of('0'), number.size() - 1));
    if (number.size() > 18) throw PathError("index too large at offset " + std::to_string(start));
    if (negative && number == "0") throw PathError("[-0] names no element; the last one is [-1]");
    return PathToken((negative ? "-" : "") + std::string(number), true);
}

// ["key"] or [N] or [-N]; pos is at '['. Returns the token, advances pos.
PathToken bracket_segment(std::string_view text, std::size_t& pos) {
    ++pos;
    PathToken token;
    if (pos < text.size() && text[pos] == '"')
        token = PathToken(quoted_name(text, pos));
    else
        token = position(text, pos);
    if (pos >= text.size() || text[pos] != ']') throw PathError("expected ']'");
    ++pos;
    return token;
}

Path parse_dotted(std::string_view text) {
    Path path;
    if (text == ".") return path;
    std::size_t pos = 0;
    while (pos < text.size()) {
        if (text[pos] == '[') {
            path.push_back(bracket_segment(text, pos));
            continue;
        }
        if (text[pos] != '.')
            throw PathError("expected '.' or '[' at offset " + std::to_string(pos));
        ++pos;
        if (pos < text.size() && text[pos] == '[') continue;
        if (pos < text.size() && text[pos] == '"') {
            path.emplace_back(quoted_name(text, pos));
            if (pos < text.size() && text[pos] != '.' && text[pos] != '[')
                throw PathError("expected '.' or '[' after the quoted name, at offset " +
                                std::to_string(pos));
            continue;
        }
        std::size_t end = text.find_first_of(".[", pos);
        if (end == std::string_view::npos) end = text.size();
        if (end == pos) throw PathError("empty name at offset " + std::to_string(pos));
        path.emplace_back(std::string(text.substr(pos, end - pos)));
        pos = end;
    }
    return path;
}

bool is_plain_name(const std::string& name) {
    if (name.empty() || (name[0] >= '0' && name[0] <= '9')) return false;
    for (char c : name)
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_'))
            return false;
    return true;
}

}  // namespace

Path parse_pointer(std::string_view text) {
    Path path;
    if (text.empty()) return path;
    if (text.front() != '/') throw PathError("a JSON Pointer must be empty or start with '/'");
    std::size_t start = 1;
    while (true) {
        std::size_t end = text.find('/', start);
        if (end == std::string_view::npos) end = text.size();
        path.emplace_back(unescape_token(text.substr(start, end - start)));
        if (end == text.size()) return path;
        start = end + 1;
    }
}

Path parse_path(std::string_view text) {
    if (!text.empty() && (text.front() == '.' || text.front() == '[')) return parse_dotted(text);
    if (!text.empty() && text.front() == '#') return parse_pointer(percent_decode(text.substr(1)));
    return parse_pointer(text);
}

std::string to_pointer(const Path& path) {
    std::string pointer;
    for (const auto& token : path) {
        pointer += '/';
        for (char c : token.name) {
            if (c == '~')
                pointer += "~0";
            else if (c == '/')
                pointer += "~1";
            else
                pointer += c;
        }
    }
    return pointer;
}

std::string to_dotted(const Path& path) {
    if (path.empty()) return ".";
    std::string dotted;
    for (const auto& token : path) {
        if (token.index)
            dotted += "[" + token.name + "]";
        else if (is_plain_name(token.name))
            dotted += "." + token.name;
        else
            dotted += "[" + quote(token.name) + "]";
    }
    return dotted;
}

std::string describe_path(const Path& path) {
    for (const auto& token : path)
        if (token.from_end()) return to_dotted(path);
    return to_pointer(path);
}

std::optional<std::size_t> array_index(std::string_view token) {
    if (token.empty() || token.size() > 18) return std::nullopt;
    if (token.size() > 1 && token.front() == '0') return std::nullopt;
    std::size_t value = 0;
    for (char c : token) {
        if (c < '0' || c > '9') return std::nullopt;
        value = value * 10 + static_cast<std::size_t>(c - '0');
    }
    return value;
}

}  // namespace atomfile::json::detail
