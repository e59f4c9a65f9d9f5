// The reference validator: one byte-by-byte pass that words every error, and reads whatever
// the fast path (json_fast_validator.cpp) gives up on. Apart from the walkers (json_scanner.cpp)
// and the fast path so that each stays short; validate() chooses between the two.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <forward_list>
#include <memory>
#include <string>
#include <unordered_set>
#include <vector>

#include "json_scan_support.hpp"
#include "json_scanner.hpp"

namespace atomfile::json::detail {

namespace {

constexpr Table space_or_slash_table = make_table(" \t\n\r/");
constexpr Table string_stop_table = make_table("\"\\", true);

// Where the byte-by-byte loops may start: at most a few bytes before the next string stop or
// the next non-space.
#if defined(__SSE2__)
inline unsigned not_space16(__m128i v) {
    __m128i space = _mm_or_si128(_mm_or_si128(equal16(v, ' '), equal16(v, '\n')),
                                 _mm_or_si128(equal16(v, '\r'), equal16(v, '\t')));
    return ~static_cast<unsigned>(_mm_movemask_epi8(space)) & 0xFFFF;
}
inline unsigned string_stops16(__m128i v) {
    // A signed compare below 0x20 also catches every byte >= 0x80 (UTF-8, checked one by one).
    __m128i controls_or_high = _mm_cmplt_epi8(v, _mm_set1_epi8(0x20));
    __m128i quote_or_escape = _mm_or_si128(equal16(v, '"'), equal16(v, '\\'));
    return static_cast<unsigned>(
        _mm_movemask_epi8(_mm_or_si128(controls_or_high, quote_or_escape)));
}
inline std::size_t skip_to_string_stop(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, string_stops16);
}
inline std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, not_space16);
}
#else
inline std::uint64_t string_stops(std::uint64_t v) {
    return bytes_equal(v, '"') | bytes_equal(v, '\\') | bytes_below(v, 0x20) | (v & highs);
}
inline std::size_t skip_to_string_stop(std::string_view text, std::size_t pos) {
    return skip_blocks(text, pos, string_stops);
}
inline std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos + 8 <= text.size() && load8(text.data() + pos) == ones * ' ') pos += 8;
    return pos;
}
#endif

inline bool is_digit(std::string_view text, std::size_t pos) {
    return pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
}

// Keys seen in one open object, for duplicate detection; a hash set once the object grows.
// Made only for objects and kept apart from Level, so that a document nested millions of levels
// deep costs a few words per array level (nothing here allocates until a key is added).
struct KeySet {
    bool indexed = false;
    std::vector<std::string_view> keys;
    std::unordered_set<std::string_view> index;
    std::forward_list<std::string> unescaped;  // never moves a string, whose keys view it

    void clear() {
        keys.clear();
        unescaped.clear();
        if (indexed) index = {};
        indexed = false;
    }
    bool add(std::string_view key) {
        if (keys.size() >= 16 && !indexed) {
            index.insert(keys.begin(), keys.end());
            indexed = true;
        }
        bool fresh = true;
        if (indexed) {
            fresh = index.insert(key).second;
        } else {
            for (auto seen : keys)
                if (seen.size() == key.size() &&
                    std::memcmp(seen.data(), key.data(), key.size()) == 0)
                    fresh = false;
        }
        keys.push_back(key);
        return fresh;
    }
};

struct Level {
    bool object = false;
    std::size_t open = 0;
    std::unique_ptr<KeySet> keys;  // objects only; reused when the level is
};

class Validator {
  public:
    Validator(std::string_view text, std::size_t max_depth, Dialect dialect)
        : t_(text), max_depth_(max_depth), strict_(dialect == Dialect::strict) {}
    ScanReport run();

  private:
    [[noreturn]] void fail(std::size_t offset, const std::string& what) const;
    void skip_ws() {
        if (p_ < t_.size() && space_or_slash_table[at(t_, p_)]) skip_ws_slow();
    }
    void skip_ws_slow();
    void scan_string();
    void scan_number();
    void scan_scalar();
    void scan_key();
    void open_level(bool object);
    void close_level();
    void after_comma(std::size_t comma);
    void refuse_misplaced_comma() const;

    std::string_view t_;
    std::size_t p_ = 0;
    std::size_t max_depth_;
    bool strict_;
    std::size_t depth_ = 0;
    bool escaped_ = false;  // the last string scanned held an escape
    std::vector<Level> levels_;
    ScanReport report_;
};

void Validator::fail(std::size_t offset, const std::string& what) const {
    std::size_t line = 0, column = 0;
    line_and_column(t_, offset, line, column);
    throw ParseError(what, offset, line, column);
}

void Validator::skip_ws_slow() {
    while (true) {
        p_ = skip_spaces(t_, p_);
        while (p_ < t_.size() && space_table[at(t_, p_)]) ++p_;
        if (p_ >= t_.size() || t_[p_] != '/') return;
        if (strict_) fail(p_, "a comment, which strict JSON (RFC 8259) does not allow");
        std::size_t end = comment_end(t_, p_);
        if (end == std::string_view::npos) fail(p_, "invalid or unterminated comment");
        p_ = end;
    }
}

void Validator::scan_string() {
    std::size_t p = p_ + 1;
    escaped_ = false;
    while (true) {
        p = skip_to_string_stop(t_, p);
        while (p < t_.size() && !string_stop_table[at(t_, p)]) ++p;
        if (p >= t_.size()) fail(p_, "unterminated string");
        unsigned char c = at(t_, p);
        std::size_t length = 1;
        long code_point = 0;
        if (c == '"') break;
        if (c == '\\') {
            length = escape_length(t_, p, code_point);
            escaped_ = true;
        } else if (c < 0x20) {
            fail(p, "control character in string (escape it)");
        } else {
            length = utf8_length(t_, p);
        }
        if (length == 0)
            fail(p, c == '\\' ? "invalid escape in string" : "invalid UTF-8 in string");
        p += length;
    }
    p_ = p + 1;
}

void Validator::scan_number() {
    std::size_t p = p_;
    if (t_[p] == '-') ++p;
    if (is_digit(t_, p) && t_[p] == '0') {
        ++p;
    } else {
        if (!is_digit(t_, p)) fail(p_, "invalid number");
        while (is_digit(t_, p)) ++p;
    }
    if (p < t_.size() && t_[p] == '.') {
        if (!is_digit(t_, ++p)) fail(p_, "invalid number: digits expected after '.'");
        while (is_digit(t_, p)) ++p;
    }
    if (p < t_.size() && (t_[p] == 'e' || t_[p] == 'E')) {
        ++p;
        if (p < t_.size() && (t_[p] == '+' || t_[p] == '-')) ++p;
        if (!is_digit(t_, p)) fail(p_, "invalid number: digits expected in the exponent");
        while (is_digit(t_, p)) ++p;
    }
    p_ = p;
}

void Validator::scan_scalar() {
    if (p_ >= t_.size()) fail(p_, "unexpected end of input, expected a value");
    char c = t_[p_];
    if (c == '"') return scan_string();
    if (c == '-' || (c >= '0' && c <= '9')) return scan_number();
    for (std::string_view word : {"true", "false", "null"}) {
        if (t_.substr(p_, word.size()) == word) {
            p_ += word.size();
            return;
        }
    }
    refuse_misplaced_comma();
    fail(p_, "expected a value");
}

void Validator::scan_key() {
    if (p_ >= t_.size() || t_[p_] != '"') {
        refuse_misplaced_comma();
        fail(p_, "expected a string key");
    }
    std::size_t begin = p_;
    scan_string();
    KeySet& keys = *levels_[depth_ - 1].keys;
    std::string_view key = t_.substr(begin + 1, p_ - begin - 2);
    if (escaped_) {
        keys.unescaped.emplace_front();
        decode_json_string(t_.substr(begin, p_ - begin), keys.unescaped.front());
        key = keys.unescaped.front();
    }
    if (!keys.add(key)) report_.duplicates.push_back({std::string(key), begin});
    skip_ws();
    if (p_ >= t_.size() || t_[p_] != ':') fail(p_, "expected ':' after the key");
    ++p_;
    skip_ws();
}

// A comma where a value or key was expected: say where JSONC allows one.
void Validator::refuse_misplaced_comma() const {
    if (p_ >= t_.size() || t_[p_] != ',' || depth_ == 0) return;
    bool first = skip_space(t_, levels_[depth_ - 1].open + 1) == p_;
    fail(p_, std::string(first ? "a comma before the first member" : "two commas in a row") +
                 (strict_ ? "" : ": a trailing comma is allowed only after the last member"));
}

void Validator::open_level(bool object) {
    if (depth_ >= max_depth_)
        fail(p_, "nesting deeper than the maximum depth of " + std::to_string(max_depth_));
    if (levels_.size() <= depth_) levels_.emplace_back();
    Level& level = levels_[depth_++];
    level.object = object;
    level.open = p_;
    if (object && level.keys)
        level.keys->clear();
    else if (object)
        level.keys = std::make_unique<KeySet>();
    ++p_;
    skip_ws();
}

void Validator::close_level() {
    ++p_;
    if (depth_ <= 2) report_.shallow.emplace_back(levels_[depth_ - 1].open, p_);
    --depth_;
}

// After a comma inside a container: the next member, or (JSONC) the closing bracket.
void Validator::after_comma(std::size_t comma) {
    bool object = levels_[depth_ - 1].object;
    if (p_ < t_.size() && t_[p_] == (object ? '}' : ']')) {
        if (strict_) fail(comma, "a trailing comma, which strict JSON (RFC 8259) does not allow");
        return close_level();
    }
    if (object) scan_key();
}

ScanReport Validator::run() {
    p_ = after_bom(t_);
    skip_ws();
    report_.root_begin = p_;
    bool need_value = true;
    while (true) {
        if (need_value) {
            char c = p_ < t_.size() ? t_[p_] : '\0';
            if (c == '{' || c == '[') {
                open_level(c == '{');
                char close = c == '{' ? '}' : ']';
                need_value = p_ >= t_.size() || t_[p_] != close;
                if (!need_value)
                    close_level();
                else if (c == '{')
                    scan_key();
            } else {
                scan_scalar();
                need_value = false;
            }
            continue;
        }
        if (depth_ == 0) break;
        skip_ws();
        bool object = levels_[depth_ - 1].object;
        char c = p_ < t_.size() ? t_[p_] : '\0';
        if (c == ',') {
            std::size_t comma = p_++;
            skip_ws();
            std::size_t depth = depth_;
            after_comma(comma);
            need_value = depth_ == depth;
        } else if (c == (object ? '}' : ']')) {
            close_level();
        } else {
            fail(p_, object ? "expected ',' or '}'" : "expected ',' or ']'");
        }
    }
    report_.root_end = p_;
    skip_ws();
    if (p_ < t_.size() && t_[p_] == ',')
        fail(p_,
             "a comma after the document: a trailing comma is allowed only inside an object "
             "or array");
    if (p_ != t_.size()) fail(p_, "unexpected content after the document");
    sort_spans(report_.shallow);
    return std::move(report_);
}

}  // namespace

ScanReport validate_reference(std::string_view text, std::size_t max_depth, Dialect dialect) {
    return Validator(text, max_depth, dialect).run();
}

}  // namespace atomfile::json::detail
