#include "json_format.hpp"

#include <optional>

#include "json_scan_support.hpp"
#include "json_scanner.hpp"

namespace atomfile::json::detail {

namespace {

constexpr std::size_t style_window = 64 * 1024;

// The smallest indentation among the indented lines; a tab if the first one starts with one.
std::string detect_indent(std::string_view head, bool& found) {
    std::size_t smallest = std::string_view::npos;
    for (std::size_t nl = head.find('\n'); nl != std::string_view::npos;
         nl = head.find('\n', nl + 1)) {
        std::size_t start = nl + 1;
        std::size_t end = head.find_first_not_of(" \t", start);
        if (end == std::string_view::npos) break;
        if (end == start || head[end] == '\r' || head[end] == '\n') continue;
        found = true;
        if (head[start] == '\t' && smallest == std::string_view::npos) return "\t";
        smallest = std::min(smallest, end - start);
    }
    return smallest == std::string_view::npos ? "  " : std::string(smallest, ' ');
}

// The spacing after the first ':' or ',' that separates tokens on one line, as written.
std::optional<std::string> detect_separator(std::string_view head, char separator) {
    std::size_t p = skip_space(head, 0);
    while (p < head.size()) {
        char c = head[p];
        if (c == '"') {
            p = skip_value(head, p);
            continue;
        }
        if (c == separator) {
            std::size_t end = head.find_first_not_of(" \t", p + 1);
            // Not a line end, a comment, or the close after a trailing comma.
            if (end != std::string_view::npos &&
                std::string_view("\n\r/]}").find(head[end]) == std::string_view::npos)
                return std::string(head.substr(p, end - p));
        }
        p = skip_space(head, p + 1);
    }
    return std::nullopt;
}

// Emits the next token of a validated value and says what it was.
class TokenReader {
  public:
    explicit TokenReader(std::string_view text) : text_(text) {}
    bool next(std::string_view& token) {
        pos_ = skip_space(text_, pos_);
        if (pos_ >= text_.size()) return false;
        char c = text_[pos_];
        std::size_t end = pos_ + 1;
        if (c == '"' || (c != '{' && c != '}' && c != '[' && c != ']' && c != ':' && c != ','))
            end = skip_value(text_, pos_);
        token = text_.substr(pos_, end - pos_);
        pos_ = end;
        return true;
    }
    bool peek_is_close() {
        pos_ = skip_space(text_, pos_);
        return pos_ < text_.size() && (text_[pos_] == '}' || text_[pos_] == ']');
    }

  private:
    std::string_view text_;
    std::size_t pos_ = 0;
};

}  // namespace

Style detect_style(std::string_view text) {
    Style style;
    std::string_view head = text.substr(0, style_window);
    std::size_t nl = head.find('\n');
    if (nl != std::string_view::npos && nl > 0 && head[nl - 1] == '\r') style.newline = "\r\n";
    std::size_t root = skip_space(head, after_bom(head));
    bool multiline = head.find('\n', root) < skip_value(head, root);
    style.indent = multiline ? detect_indent(head, style.indented) : "";
    style.colon = detect_separator(head, ':').value_or(": ");
    style.comma = detect_separator(head, ',').value_or(style.colon == ":" ? "," : ", ");
    return style;
}

std::string reformat(std::string_view value, const Style& style, std::string_view base,
                     bool multiline) {
    std::string out;
    std::string indent(base);
    TokenReader reader(value);
    std::string_view token;
    while (reader.next(token)) {
        char c = token.front();
        if (c == '{' || c == '[') {
            out += c;
            if (reader.peek_is_close()) {
                reader.next(token);
                out += token;
            } else if (multiline) {
                indent += style.indent;
                out += style.newline + indent;
            }
        } else if (c == '}' || c == ']') {
            if (multiline) {
                indent.resize(indent.size() - style.indent.size());
                out += style.newline + indent;
            }
            out += c;
        } else if (c == ',') {
            if (reader.peek_is_close())
                continue;  // a trailing comma: the container's style decides
            out += multiline ? "," + style.newline + indent : style.comma;
        } else if (c == ':') {
            out += style.colon;
        } else {
            out += token;
        }
    }
    return out;
}

std::string quote(std::string_view text) {
    static constexpr char hex[] = "0123456789abcdef";
    std::string out = "\"";
    for (char c : text) {
        auto byte = static_cast<unsigned char>(c);
        if (c == '"' || c == '\\') {
            out += '\\';
            out += c;
        } else if (c == '\n') {
            out += "\\n";
        } else if (c == '\t') {
            out += "\\t";
        } else if (c == '\r') {
            out += "\\r";
        } else if (byte < 0x20) {
            out += "\\u00";
            out += hex[byte >> 4];
            out += hex[byte & 15];
        } else {
            out += c;
        }
    }
    return out + '"';
}

std::string_view line_indent(std::string_view text, std::size_t pos) {
    std::size_t start = pos == 0 ? std::string_view::npos : text.rfind('\n', pos - 1);
    start = start == std::string_view::npos ? 0 : start + 1;
    if (text.substr(start, 3) == "\xEF\xBB\xBF") start += 3;
    std::size_t end = text.find_first_not_of(" \t", start);
    if (end == std::string_view::npos || end > pos) end = pos;
    return text.substr(start, end - start);
}

bool is_blank(std::string_view text) {
    return text.find_first_not_of(" \t\r\n") == std::string_view::npos;
}

}  // namespace atomfile::json::detail
