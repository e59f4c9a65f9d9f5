#include "json/json_path.hpp"

#include "json/json_scanner.hpp"

namespace atomfile::json {

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

// ["key"] with a JSON string inside, or [N]; pos is at '['. Returns the token, advances pos.
std::string bracket_segment(std::string_view text, std::size_t& pos) {
    std::size_t start = ++pos;
    std::string token;
    if (pos < text.size() && text[pos] == '"') {
        std::size_t end = pos + 1;
        while (end < text.size() && text[end] != '"') end += text[end] == '\\' ? 2u : 1u;
        if (end >= text.size()) throw PathError("unterminated string in brackets");
        if (!decode_json_string(text.substr(pos, end + 1 - pos), token))
            throw PathError("invalid JSON string in brackets");
        pos = end + 1;
    } else {
        while (pos < text.size() && text[pos] >= '0' && text[pos] <= '9') ++pos;
        if (pos == start) throw PathError("expected a number or a JSON string after '['");
        token = text.substr(start, pos - start);
    }
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
        std::size_t end = text.find_first_of(".[", pos);
        if (end == std::string_view::npos) end = text.size();
        if (end == pos) throw PathError("empty name at offset " + std::to_string(pos));
        path.emplace_back(text.substr(pos, end - pos));
        pos = end;
    }
    return path;
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
        path.push_back(unescape_token(text.substr(start, end - start)));
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
        for (char c : token) {
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

}  // namespace atomfile::json
