#include "json_scanner.hpp"

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <deque>
#include <forward_list>
#include <future>
#include <memory>
#include <system_error>
#include <unordered_set>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace atomfile::json::detail {

namespace {

using Table = std::array<bool, 256>;

constexpr Table make_table(std::string_view members, bool controls_and_high = false) {
    Table table{};
    for (char c : members) table[static_cast<unsigned char>(c)] = true;
    for (std::size_t i = 0; controls_and_high && i < 256; ++i)
        if (i < 0x20 || i >= 0x80) table[i] = true;
    return table;
}

constexpr Table space_table = make_table(" \t\n\r");
constexpr Table space_or_slash_table = make_table(" \t\n\r/");
constexpr Table string_stop_table = make_table("\"\\", true);
constexpr Table quote_or_escape_table = make_table("\"\\");
constexpr Table structure_table = make_table("\"{}[]/");
constexpr Table scalar_end_table = make_table(" \t\n\r,]}/");

// Word-at-a-time search: each mask has the high bit set in every byte that matches, and its
// lowest set bit is exact, so the first match in 8 bytes is found without a byte loop.
constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;

inline std::uint64_t load8(const char* p) {
    std::uint64_t v;
    std::memcpy(&v, p, 8);
    return v;
}
inline std::uint64_t bytes_below(std::uint64_t v, unsigned char n) {
    return (v - ones * n) & ~v & highs;
}
inline std::uint64_t bytes_equal(std::uint64_t v, char c) {
    return bytes_below(v ^ (ones * static_cast<unsigned char>(c)), 1);
}
inline std::uint64_t quotes_or_escapes(std::uint64_t v) {
    return bytes_equal(v, '"') | bytes_equal(v, '\\');
}
#if !defined(__SSE2__)
inline std::uint64_t string_stops(std::uint64_t v) {
    return bytes_equal(v, '"') | bytes_equal(v, '\\') | bytes_below(v, 0x20) | (v & highs);
}
inline std::uint64_t structure(std::uint64_t v) {
    std::uint64_t folded = v | (ones * 0x20);  // '[' -> '{', ']' -> '}'
    return bytes_equal(folded, '{') | bytes_equal(folded, '}') | bytes_equal(v, '"') |
           bytes_equal(v, '/');
}
#endif

// The first position from pos whose 8-byte block has a match (exact when one is found).
template <class Mask>
inline std::size_t skip_blocks(std::string_view text, std::size_t pos, Mask mask) {
    while (pos + 8 <= text.size()) {
        std::uint64_t found = mask(load8(text.data() + pos));
        if (found) return pos + static_cast<std::size_t>(__builtin_ctzll(found) / 8);
        pos += 8;
    }
    return pos;
}

#if defined(__SSE2__)
// Sixteen bytes at a time where SSE2 exists (all of x86-64); the word-at-a-time masks above
// serve everywhere else. Each returns one bit per byte that stops the search.
inline __m128i load16(const char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline __m128i equal16(__m128i v, char c) {
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
}
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
inline unsigned structure16(__m128i v) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    __m128i brackets = _mm_or_si128(equal16(folded, '{'), equal16(folded, '}'));
    __m128i other = _mm_or_si128(equal16(v, '"'), equal16(v, '/'));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(brackets, other)));
}

template <class Mask16>
inline std::size_t skip_vectors(std::string_view text, std::size_t pos, Mask16 mask) {
    while (pos + 16 <= text.size()) {
        unsigned found = mask(load16(text.data() + pos));
        if (found) return pos + static_cast<std::size_t>(__builtin_ctz(found));
        pos += 16;
    }
    return pos;
}
#endif

// Where the byte-by-byte loops of the scanners may start: at most a few bytes before the
// next stop (string stops, structure) or the next non-space.
#if defined(__SSE2__)
inline std::size_t skip_to_string_stop(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, string_stops16);
}
inline std::size_t skip_to_structure(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, structure16);
}
inline std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, not_space16);
}
#else
inline std::size_t skip_to_string_stop(std::string_view text, std::size_t pos) {
    return skip_blocks(text, pos, string_stops);
}
inline std::size_t skip_to_structure(std::string_view text, std::size_t pos) {
    return skip_blocks(text, pos, structure);
}
inline std::size_t skip_spaces(std::string_view text, std::size_t pos) {
    while (pos + 8 <= text.size() && load8(text.data() + pos) == ones * ' ') pos += 8;
    return pos;
}
#endif

inline unsigned char at(std::string_view text, std::size_t pos) {
    return static_cast<unsigned char>(text[pos]);
}

inline bool is_digit(std::string_view text, std::size_t pos) {
    return pos < text.size() && text[pos] >= '0' && text[pos] <= '9';
}

int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The code unit of "\uXXXX" at pos (pointing at the backslash), or -1.
long unicode_escape(std::string_view text, std::size_t pos) {
    if (pos + 6 > text.size() || text[pos] != '\\' || text[pos + 1] != 'u') return -1;
    long value = 0;
    for (std::size_t i = pos + 2; i < pos + 6; ++i) {
        int digit = hex_digit(text[i]);
        if (digit < 0) return -1;
        value = value * 16 + digit;
    }
    return value;
}

// Length of the escape at pos (a backslash) and its code point; 0 when invalid. A high
// surrogate must be followed by an escaped low one, as nlohmann requires.
std::size_t escape_length(std::string_view text, std::size_t pos, long& code_point) {
    if (pos + 1 >= text.size()) return 0;
    static constexpr std::string_view simple = "\"\\/bfnrt";
    static constexpr std::string_view meaning = "\"\\/\b\f\n\r\t";
    std::size_t which = simple.find(text[pos + 1]);
    if (which != std::string_view::npos) {
        code_point = static_cast<unsigned char>(meaning[which]);
        return 2;
    }
    long unit = unicode_escape(text, pos);
    if (unit < 0 || (unit >= 0xDC00 && unit <= 0xDFFF)) return 0;
    if (unit < 0xD800 || unit > 0xDBFF) {
        code_point = unit;
        return 6;
    }
    long low = unicode_escape(text, pos + 6);
    if (low < 0xDC00 || low > 0xDFFF) return 0;
    code_point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    return 12;
}

void append_utf8(std::string& out, long cp) {
    if (cp < 0x80) {
        out += static_cast<char>(cp);
    } else if (cp < 0x800) {
        out += static_cast<char>(0xC0 | (cp >> 6));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        out += static_cast<char>(0xE0 | (cp >> 12));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    } else {
        out += static_cast<char>(0xF0 | (cp >> 18));
        out += static_cast<char>(0x80 | ((cp >> 12) & 0x3F));
        out += static_cast<char>(0x80 | ((cp >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (cp & 0x3F));
    }
}

// Length of the well-formed UTF-8 sequence at pos (Unicode table 3-7), or 0.
std::size_t utf8_length(std::string_view text, std::size_t pos) {
    unsigned char lead = at(text, pos);
    std::size_t length = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : 2;
    unsigned char low = 0x80, high = 0xBF;
    if (lead < 0xC2 || lead > 0xF4) return 0;
    if (lead == 0xE0) low = 0xA0;
    if (lead == 0xED) high = 0x9F;
    if (lead == 0xF0) low = 0x90;
    if (lead == 0xF4) high = 0x8F;
    if (pos + length > text.size()) return 0;
    if (at(text, pos + 1) < low || at(text, pos + 1) > high) return 0;
    for (std::size_t i = 2; i < length; ++i)
        if ((at(text, pos + i) & 0xC0) != 0x80) return 0;
    return length;
}

// What ends a `//` comment (the stop belongs to the comment).
constexpr std::string_view line_comment_stops("\n\r\0", 3);
inline bool line_comment_stop(char c) {
    return line_comment_stops.find(c) != std::string_view::npos;
}

// The end of the comment at pos (a '/'), or npos when it is not a well-formed comment.
std::size_t comment_end(std::string_view text, std::size_t pos) {
    if (pos + 1 >= text.size()) return std::string_view::npos;
    if (text[pos + 1] == '/') {
        std::size_t end = text.find_first_of(line_comment_stops, pos + 2);
        return end == std::string_view::npos ? text.size() : end + 1;
    }
    if (text[pos + 1] != '*') return std::string_view::npos;
    for (std::size_t end = text.find('*', pos + 2); end != std::string_view::npos;
         end = text.find('*', end + 1)) {
        if (std::memchr(text.data() + pos + 2, '\0', end - pos - 2)) break;
        if (end + 1 < text.size() && text[end + 1] == '/') return end + 2;
    }
    return std::string_view::npos;
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
    if (t_.substr(0, 3) == "\xEF\xBB\xBF") p_ = 3;
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
    std::sort(report_.shallow.begin(), report_.shallow.end());
    return std::move(report_);
}

#if defined(__SSE2__)
// The keys of the fast path's open objects: a vector whose push_back is inlined (GCC leaves
// std::vector's out of line, a call per key).
class KeyStack {
  public:
    std::size_t size() const { return size_; }
    void push_back(std::string_view key) {
        if (size_ == capacity_) grow();
        data_[size_++] = key;
    }
    void resize(std::size_t size) { size_ = std::min(size, size_); }  // shrinks only
    void clear() { size_ = 0; }
    const std::string_view* begin() const { return data_.get(); }
    const std::string_view* end() const { return data_.get() + size_; }
    const std::string_view& operator[](std::size_t i) const { return data_[i]; }

  private:
    [[gnu::noinline]] void grow() {
        capacity_ = std::max<std::size_t>(64, capacity_ * 2);
        auto bigger = std::make_unique<std::string_view[]>(capacity_);
        std::copy(begin(), end(), bigger.get());
        data_ = std::move(bigger);
    }
    std::unique_ptr<std::string_view[]> data_;
    std::size_t size_ = 0, capacity_ = 0;
};

// The fast path of validate(), a structural index in the manner of simdjson: stage one
// classifies the 64 bytes of a block at once (quotes that are not escaped, the inside of strings
// as a prefix XOR of those quotes, whitespace, brackets and separators) and checks what needs
// no context (escapes, UTF-8, control characters in strings); stage two steps only from one
// token to the next (a bracket, comma, colon, opening quote, or the first byte of a number or
// literal), so whitespace and the inside of strings cost a few vector instructions per 64 bytes
// instead of a branch per byte. It accepts only what Validator accepts, with the same report;
// anything else (a comment, any error, nesting past max_depth, a scalar document) makes it give
// up, and Validator reads the text from the start: comments and errors are rare in big files
// and cost little in small ones, and Validator alone words the messages.
class FastValidator {
  public:
    FastValidator(std::string_view text, std::size_t max_depth, Dialect dialect)
        : t_(text), max_depth_(max_depth), strict_(dialect == Dialect::strict) {}
    // False when the fast path gives up; report is then unspecified.
    bool run(ScanReport& report);
    // The two halves of validate_halves(): run_head reads [0, split), which must leave it just
    // after a comma or opening bracket inside an array; run_tail reads [split, end) as if it
    // began there, with the levels opened before split unknown. join() checks that each agrees
    // with the other and makes the report of the whole text.
    bool run_head(ScanReport& report, std::size_t split);
    bool run_tail(ScanReport& report, std::size_t split);
    static bool join(const FastValidator& head, const FastValidator& tail, ScanReport& report);

  private:
    // One open container. The keys of every open object share one stack (keys_), each object's
    // from keys_begin; a 64-bit filter of their hashes spares comparing a new key with the
    // others unless its bit is set, and an object past 16 keys gets a hash set.
    struct FastLevel {
        bool object = false;
        // The tail's bottom level, opened before the split; until a colon or a bracket tells,
        // its kind may be unknown.
        bool before_split = false, kind_known = true;
        std::size_t open = 0;
        std::size_t keys_begin = 0, decoded_begin = 0;
        std::uint64_t filter = 0;
        std::unique_ptr<std::unordered_set<std::string_view>> index;
    };

    enum class Expect {
        value,
        value_or_close,
        key,
        key_or_close,
        colon,
        after_value,
        done,
        any_member,           // after a comma in a level of unknown kind (the tail's)
        colon_or_after_value  // after a string there: a key if a colon follows
    };
    // A level opened before the split that the tail closed: its kind, the closing bracket's
    // position and (objects) the keys the tail saw in it.
    struct TailClose {
        bool object = false;
        std::size_t close = 0;
        std::vector<std::string> keys;
    };
    // A container the tail opened and closed directly inside a level opened before the split,
    // the `closed`-th level (from the innermost) that the tail closed: shallow if that one is.
    struct TailChild {
        std::size_t open = 0, close = 0, closed = 0;
    };
    struct Block {
        std::uint64_t quote = 0, backslash = 0, space = 0, op = 0, slash = 0, high = 0, control = 0;
    };
    bool check_block(std::size_t base, const Block& block, std::uint64_t in_string,
                     std::uint64_t escaped);
    [[gnu::noinline]] static Block exact_block(const char* p);
    bool scan(std::size_t from, std::size_t to);
    // Stage one of one block: false when the fast path gives up on it.
    bool classify_block(std::size_t base, std::size_t to, std::uint64_t& escape_carry,
                        std::uint64_t& in_string_carry, std::uint64_t& scalar_carry,
                        std::uint64_t& tokens);
    // One token in the state expect_, for scan()'s rare states (the tail's level of unknown
    // kind, after the root); its common states are labels of their own.
    bool step(std::size_t pos);
    [[gnu::noinline]] bool step_unknown(std::size_t pos);  // the tail's rare path
    bool close_before_split(std::size_t pos);
    void know_kind(bool object) {
        levels_[0].object = object;
        levels_[0].kind_known = true;
        if (depth_ == 1) note_innermost();
    }
    // What a comma in the innermost level is followed by, kept at hand for the commonest step.
    void note_innermost() {
        const FastLevel& level = levels_[depth_ - 1];
        if (!level.kind_known)
            after_comma_ = Expect::any_member;
        else if (level.object)
            after_comma_ = strict_ ? Expect::key : Expect::key_or_close;
        else
            after_comma_ = strict_ ? Expect::value : Expect::value_or_close;
    }
    [[gnu::always_inline]] bool scalar(std::size_t pos);
    [[gnu::always_inline]] bool open(std::size_t pos, bool object);
    [[gnu::always_inline]] bool close(std::size_t pos, char c);
    [[gnu::always_inline]] void add_key(std::size_t colon);
    [[gnu::noinline]] std::string_view decoded_key(std::size_t end);  // rare paths of add_key
    [[gnu::noinline]] void note_duplicate(std::string_view key);
    bool escape_since(std::size_t begin, std::size_t end) const;
    bool fresh_key(FastLevel& level, const char* data, std::size_t size);
    [[gnu::noinline]] bool known_key(const FastLevel& level, std::string_view key) const;
    [[gnu::noinline]] void index_keys(FastLevel& level, std::string_view key);
    void value_done(std::size_t end) {
        if (depth_ > 0) {
            expect_ = Expect::after_value;
            return;
        }
        report_->root_end = end;
        expect_ = Expect::done;
    }

    std::string_view t_;
    std::size_t max_depth_;
    bool strict_;
    std::size_t depth_ = 0;
    std::vector<FastLevel> levels_;
    KeyStack keys_;
    std::deque<std::string> decoded_;  // escaped keys, unescaped (a deque never moves them)
    std::size_t decoded_count_ = 0;    // decoded_.size(), which a deque computes at some cost
    Expect expect_ = Expect::value;
    Expect after_comma_ = Expect::value;
    std::size_t key_begin_ = 0;  // the opening quote of the key whose colon comes next
    std::size_t escape_resume_ = 0, utf8_resume_ = 0;  // where the last escape or sequence ended
    // The escapes that begin in the current block (one bit each), and where the last one before
    // it began (none: no_position), so a key knows whether it needs decoding.
    std::size_t block_base_ = 0;
    std::uint64_t block_escapes_ = 0;
    std::size_t last_escape_ = no_position;
    ScanReport* report_ = nullptr;
    // The tail's: levels opened before the split and closed in it, containers directly inside
    // them, and how deep beyond the split's level it went (relative to the levels it closed).
    bool tail_ = false;
    std::vector<TailClose> tail_closes_;
    std::vector<TailChild> tail_children_;
    std::ptrdiff_t deepest_ = 0;
};

constexpr Table scalar_run_end_table = make_table(" \t\n\r,:[]{}\"/");

inline std::uint64_t bits16(__m128i mask, int i) {
    return static_cast<std::uint64_t>(static_cast<unsigned>(_mm_movemask_epi8(mask))) << (16 * i);
}

// Stage one's common case, 16 bytes: quotes, whitespace, brackets and separators, and in out[3]
// every byte that may need a closer look (slash, backslash, control characters, whitespace's
// among them, and non-ASCII bytes). A block whose only such bytes are whitespace needs nothing
// else; the others are classified again by classify_exact16.
[[gnu::always_inline]] inline void classify16(__m128i v, int i, std::uint64_t* out) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    out[0] |= bits16(equal16(v, '"'), i);
    out[1] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, ' '), equal16(v, '\n')),
                                  _mm_or_si128(equal16(v, '\r'), equal16(v, '\t'))),
                     i);
    out[2] |= bits16(_mm_or_si128(_mm_or_si128(equal16(folded, '{'), equal16(folded, '}')),
                                  _mm_or_si128(equal16(v, ','), equal16(v, ':'))),
                     i);
    out[3] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, '/'), equal16(v, '\\')),
                                  _mm_cmplt_epi8(v, _mm_set1_epi8(0x20))),  // and every high byte
                     i);
}

// Every class apart: quote, backslash, space, bracket or separator, slash, high, control.
[[gnu::always_inline]] inline void classify_exact16(__m128i v, int i, std::uint64_t* out) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    out[0] |= bits16(equal16(v, '"'), i);
    out[1] |= bits16(equal16(v, '\\'), i);
    out[2] |= bits16(_mm_or_si128(_mm_or_si128(equal16(v, ' '), equal16(v, '\n')),
                                  _mm_or_si128(equal16(v, '\r'), equal16(v, '\t'))),
                     i);
    out[3] |= bits16(_mm_or_si128(_mm_or_si128(equal16(folded, '{'), equal16(folded, '}')),
                                  _mm_or_si128(equal16(v, ','), equal16(v, ':'))),
                     i);
    out[4] |= bits16(equal16(v, '/'), i);
    out[5] |= bits16(v, i);
    out[6] |= bits16(_mm_cmplt_epi8(v, _mm_set1_epi8(0x20)), i);  // and every high byte
}

// The classes of 64 bytes apart, for the blocks classify16 leaves in doubt.
FastValidator::Block FastValidator::exact_block(const char* p) {
    std::uint64_t bits[7] = {};
    classify_exact16(load16(p), 0, bits);
    classify_exact16(load16(p + 16), 1, bits);
    classify_exact16(load16(p + 32), 2, bits);
    classify_exact16(load16(p + 48), 3, bits);
    return Block{bits[0], bits[1], bits[2], bits[3], bits[4], bits[5], bits[6] & ~bits[5]};
}

// The characters that backslashes escape; carry says the block starts with one.
inline std::uint64_t escaped_by(std::uint64_t backslashes, std::uint64_t& carry) {
    std::uint64_t escaped = carry;
    backslashes &= ~carry;
    carry = 0;
    while (backslashes) {
        unsigned i = static_cast<unsigned>(__builtin_ctzll(backslashes));
        if (i == 63) {
            carry = 1;
            break;
        }
        escaped |= std::uint64_t{2} << i;
        backslashes &= ~(std::uint64_t{3} << i);
    }
    return escaped;
}

// Unrolled by hand: GCC's -O2 keeps the loop, a branch per shift.
inline std::uint64_t prefix_xor(std::uint64_t bits) {
    bits ^= bits << 1;
    bits ^= bits << 2;
    bits ^= bits << 4;
    bits ^= bits << 8;
    bits ^= bits << 16;
    bits ^= bits << 32;
    return bits;
}

// What must hold of the bytes of a block, tokens aside: no comment, stray backslash or non-ASCII
// byte outside strings, no control character inside one, valid escapes and UTF-8.
bool FastValidator::check_block(std::size_t base, const Block& block, std::uint64_t in_string,
                                std::uint64_t escaped) {
    std::uint64_t outside = ~(in_string | block.quote);
    if ((block.slash | block.high | block.backslash) & outside) return false;
    if (block.control & in_string) return false;
    block_escapes_ = block.backslash & ~escaped & in_string;
    for (std::uint64_t starts = block_escapes_; starts; starts &= starts - 1) {
        std::size_t pos = base + static_cast<std::size_t>(__builtin_ctzll(starts));
        if (pos < escape_resume_) continue;  // the second half of a surrogate pair
        long code_point = 0;
        std::size_t length = escape_length(t_, pos, code_point);
        if (length == 0) return false;
        escape_resume_ = pos + length;
    }
    for (std::uint64_t high = block.high; high; high &= high - 1) {
        std::size_t pos = base + static_cast<std::size_t>(__builtin_ctzll(high));
        if (pos < utf8_resume_) continue;
        std::size_t length = utf8_length(t_, pos);
        if (length == 0) return false;
        utf8_resume_ = pos + length;
    }
    return true;
}

bool FastValidator::run(ScanReport& report) {
    report_ = &report;
    std::size_t start = t_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    if (!scan(start, t_.size()) || expect_ != Expect::done) return false;
    std::sort(report.shallow.begin(), report.shallow.end());
    return true;
}

bool FastValidator::run_head(ScanReport& report, std::size_t split) {
    report_ = &report;
    std::size_t start = t_.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
    if (!scan(start, split) || depth_ == 0 || levels_[depth_ - 1].object) return false;
    return expect_ == Expect::value || expect_ == Expect::value_or_close;
}

bool FastValidator::run_tail(ScanReport& report, std::size_t split) {
    report_ = &report;
    tail_ = true;
    levels_.emplace_back();
    levels_[0].before_split = true;  // an array, as the head must confirm
    depth_ = 1;
    note_innermost();
    expect_ = strict_ ? Expect::value : Expect::value_or_close;
    // Ends having closed the levels before the split, and nothing it opened.
    return scan(split, t_.size()) && depth_ == 1 && !tail_closes_.empty() &&
           expect_ == Expect::after_value;
}

// Stage one and two over [from, to): false when the fast path gives up or to lies in a string.
// Stage two is threaded: each state is a label that takes the next token and jumps to the state
// it leads to, so the state lives in the program counter (expect_ is written only when a block
// runs out of tokens) and each state's test of the character is a branch of its own, which the
// predictor learns apart, rather than one indirect jump per token.
bool FastValidator::scan(std::size_t from, std::size_t to) {
    std::uint64_t escape_carry = 0, in_string_carry = 0, scalar_carry = 0;
    std::size_t pos = 0;
    char c = 0;
    const char* const data = t_.data();  // kept in a register: the steps store to members
    for (std::size_t base = from; base < to; base += 64) {
        // The last escape of the block before, now that its tokens are done with.
        if (block_escapes_)
            last_escape_ =
                block_base_ + 63 - static_cast<std::size_t>(__builtin_clzll(block_escapes_));
        std::uint64_t tokens = 0;
        if (!classify_block(base, to, escape_carry, in_string_carry, scalar_carry, tokens))
            return false;
        block_base_ = base;
// The next token of this block into pos and c; when there is none, the state is kept in expect_
// for the next block.
#define ATOMFILE_NEXT_TOKEN(state)                               \
    if (!tokens) {                                               \
        expect_ = state;                                         \
        continue;                                                \
    }                                                            \
    pos = base + static_cast<unsigned>(__builtin_ctzll(tokens)); \
    tokens &= tokens - 1;                                        \
    c = data[pos]
        switch (expect_) {
            case Expect::after_value:
                goto after_value;
            case Expect::key_or_close:
                goto key_or_close;
            case Expect::key:
                goto key;
            case Expect::colon:
                goto colon;
            case Expect::value_or_close:
                goto value_or_close;
            case Expect::value:
                goto value;
            default:
                goto rare;
        }
    after_value:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (after_comma_ == Expect::key_or_close) goto key_or_close;
        if (after_comma_ == Expect::value_or_close) goto value_or_close;
        if (after_comma_ == Expect::key) goto key;
        if (after_comma_ == Expect::value) goto element;
        expect_ = after_comma_;
        goto rare;
    // After a value whose level the jump to here tells: a comma needs no look at the level.
    member_done:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (strict_) goto key;
        goto key_or_close;
    element_done:
        ATOMFILE_NEXT_TOKEN(Expect::after_value);
        if (c != ',') goto close_token;
        if (strict_) goto element;
        goto value_or_close;
    key_or_close:
        ATOMFILE_NEXT_TOKEN(Expect::key_or_close);
        if (c == '}') goto close_token;
        goto key_token;
    key:
        ATOMFILE_NEXT_TOKEN(Expect::key);
    key_token:
        if (c != '"') return false;
        key_begin_ = pos;
    colon:
        ATOMFILE_NEXT_TOKEN(Expect::colon);
        if (c != ':') return false;
        add_key(pos);
        ATOMFILE_NEXT_TOKEN(Expect::value);
    member_value_token:
        if (c == '"') goto member_done;
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        if (!scalar(pos)) return false;
        goto member_done;
    value_or_close:
        ATOMFILE_NEXT_TOKEN(Expect::value_or_close);
        if (c == ']') goto close_token;
        goto element_token;
    element:
        ATOMFILE_NEXT_TOKEN(Expect::value);
    element_token:
        if (c == '"') goto element_done;
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        if (!scalar(pos)) return false;
        goto element_done;
    value:  // the state a block began in: the root's value, or a member's or an element's
        ATOMFILE_NEXT_TOKEN(Expect::value);
        if (depth_ > 0) {
            if (levels_[depth_ - 1].object) goto member_value_token;
            goto element_token;
        }
        if (c == '{') goto open_object;
        if (c == '[') goto open_array;
        return false;  // a scalar document: Validator's
    open_object:
        if (!open(pos, true)) return false;
        goto key_or_close;
    open_array:
        if (!open(pos, false)) return false;
        goto value_or_close;
    close_token:
        if (!close(pos, c)) return false;
        if (expect_ == Expect::after_value) goto after_value;
        goto rare;  // the root closed
    rare:           // the tail's level of unknown kind, and after the root
        ATOMFILE_NEXT_TOKEN(expect_);
        if (!step(pos)) return false;
        switch (expect_) {
            case Expect::after_value:
                goto after_value;
            case Expect::key_or_close:
                goto key_or_close;
            case Expect::key:
                goto key;
            case Expect::colon:
                goto colon;
            case Expect::value_or_close:
                goto value_or_close;
            case Expect::value:
                goto value;
            default:
                goto rare;
        }
#undef ATOMFILE_NEXT_TOKEN
    }
    if (block_escapes_)
        last_escape_ = block_base_ + 63 - static_cast<std::size_t>(__builtin_clzll(block_escapes_));
    return in_string_carry == 0;
}

// Stage one for the block at base: the positions of its tokens as bits.
inline bool FastValidator::classify_block(std::size_t base, std::size_t to,
                                          std::uint64_t& escape_carry,
                                          std::uint64_t& in_string_carry,
                                          std::uint64_t& scalar_carry, std::uint64_t& tokens) {
    std::uint64_t bits[4] = {};
    const char* p = t_.data() + base;
    char padded[64];
    if (base + 64 > to) {
        std::memset(padded, ' ', sizeof padded);
        std::memcpy(padded, p, to - base);
        p = padded;
    }
    // Unrolled by hand: constant shifts, and GCC's -O2 leaves such a loop rolled.
    classify16(load16(p), 0, bits);
    classify16(load16(p + 16), 1, bits);
    classify16(load16(p + 32), 2, bits);
    classify16(load16(p + 48), 3, bits);
    Block block;
    std::uint64_t in_string = 0;
    if ((bits[3] & ~bits[1]) == 0 && escape_carry == 0) {
        // No escape, comment, non-ASCII or control byte but whitespace: nothing to check
        // but that the whitespace lies outside strings.
        block.quote = bits[0];
        block.space = bits[1];
        block.op = bits[2];
        in_string = prefix_xor(block.quote) ^ in_string_carry;
        if (bits[3] & in_string) return false;
        block_escapes_ = 0;
    } else {
        block = exact_block(p);
        std::uint64_t escaped =
            block.backslash | escape_carry ? escaped_by(block.backslash, escape_carry) : 0;
        block.quote &= ~escaped;
        in_string = prefix_xor(block.quote) ^ in_string_carry;
        if (!check_block(base, block, in_string, escaped)) return false;
    }
    in_string_carry = static_cast<std::uint64_t>(static_cast<std::int64_t>(in_string) >> 63);
    std::uint64_t outside = ~(in_string | block.quote);
    std::uint64_t scalar_bytes = outside & ~block.space & ~block.op;
    std::uint64_t scalar_starts = scalar_bytes & ~(scalar_bytes << 1 | scalar_carry);
    scalar_carry = scalar_bytes >> 63;
    // Opening quotes only: a string's end needs no step (stage one checked its inside).
    tokens = (block.op & outside) | (block.quote & in_string) | scalar_starts;
    return true;
}

bool FastValidator::step(std::size_t pos) {
    char c = t_[pos];
    switch (expect_) {
        case Expect::after_value:
            if (c != ',') return close(pos, c);
            expect_ = after_comma_;
            return true;
        case Expect::key_or_close:
            if (c == '}') return close(pos, c);
            [[fallthrough]];
        case Expect::key:
            key_begin_ = pos;
            expect_ = Expect::colon;
            return c == '"';
        case Expect::colon:
            if (c != ':') return false;
            add_key(pos);
            expect_ = Expect::value;
            return true;
        case Expect::value_or_close:
            if (c == ']') return close(pos, c);
            [[fallthrough]];
        case Expect::value:
            if (c == '"') {
                if (depth_ == 0) return false;  // a string document: Validator's
                expect_ = Expect::after_value;
                return true;
            }
            if (c == '{' || c == '[') return open(pos, c == '{');
            if (depth_ == 0 || !scalar(pos)) return false;
            expect_ = Expect::after_value;
            return true;
        case Expect::any_member:
        case Expect::colon_or_after_value:
            return step_unknown(pos);
        case Expect::done:
            break;
    }
    return false;
}

// The tail's level opened before the split, of a kind not known yet (after it closed one such
// level, the next is as unknown): the first member after a comma tells, or its closing bracket.
bool FastValidator::step_unknown(std::size_t pos) {
    char c = t_[pos];
    if (expect_ == Expect::colon_or_after_value) {  // the string was a key, or a value
        know_kind(c == ':');
        if (c != ':') {
            expect_ = Expect::after_value;
            return step(pos);
        }
        add_key(pos);
        expect_ = Expect::value;
        return true;
    }
    if (c == '"') {
        key_begin_ = pos;
        expect_ = Expect::colon_or_after_value;
        return true;
    }
    if (c == '}' || c == ']') {  // JSONC's trailing comma
        if (strict_) return false;
        know_kind(c == '}');
        return close(pos, c);
    }
    know_kind(false);  // a value that is not a string: an array
    expect_ = Expect::value;
    return step(pos);
}

// Where true, false or null ends if one starts at p (pos in the text), with 5 bytes readable
// there; no_position if none does. Four bytes compared at once rather than through memcmp.
inline std::size_t literal_end(const char* p, std::size_t pos) {
    std::uint32_t word;
    std::memcpy(&word, p, 4);
    std::uint32_t want_true, want_null, want_fals;
    std::memcpy(&want_true, "true", 4);
    std::memcpy(&want_null, "null", 4);
    std::memcpy(&want_fals, "fals", 4);
    if (word == want_true || word == want_null) return pos + 4;
    if (word == want_fals && p[4] == 'e') return pos + 5;
    return no_position;
}

// The end of the number at p as RFC 8259 spells it (Validator::scan_number's grammar), or
// nullptr. Over pointers and inlined: numbers are most of a data file's scalars.
[[gnu::always_inline]] inline const char* number_end(const char* p, const char* end) {
    auto digit = [end](const char* q) {
        return q < end && static_cast<unsigned char>(*q - '0') < 10;
    };
    if (*p == '-') ++p;
    if (!digit(p)) return nullptr;
    if (*p == '0') {
        ++p;
    } else {
        do ++p;
        while (digit(p));
    }
    if (p < end && *p == '.') {
        if (!digit(++p)) return nullptr;
        do ++p;
        while (digit(p));
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        ++p;
        if (p < end && (*p == '+' || *p == '-')) ++p;
        if (!digit(p)) return nullptr;
        do ++p;
        while (digit(p));
    }
    return p;
}

// A number or literal: its bytes up to the next delimiter must be exactly one.
inline bool FastValidator::scalar(std::size_t pos) {
    std::size_t end = no_position;
    char c = t_[pos];
    if (c == '-' || (c >= '0' && c <= '9')) {
        const char* number = t_.data() + pos;
        const char* after = number_end(number, t_.data() + t_.size());
        if (after) end = pos + static_cast<std::size_t>(after - number);
    } else if (t_.size() - pos >= 5) {  // a word and at least one byte after it
        end = literal_end(t_.data() + pos, pos);
    } else {
        using namespace std::literals;
        std::string_view word = c == 't' ? "true"sv : c == 'f' ? "false"sv : "null"sv;
        if (t_.compare(pos, word.size(), word) == 0) end = pos + word.size();
    }
    return end != no_position && (end == t_.size() || scalar_run_end_table[at(t_, end)]);
}

inline bool FastValidator::open(std::size_t pos, bool object) {
    if (depth_ >= max_depth_) return false;
    if (tail_)
        deepest_ = std::max(deepest_, static_cast<std::ptrdiff_t>(depth_) -
                                          static_cast<std::ptrdiff_t>(tail_closes_.size()));
    if (depth_ == 0) report_->root_begin = pos;
    if (levels_.size() <= depth_) levels_.emplace_back();
    FastLevel& level = levels_[depth_++];
    level.object = object;
    level.open = pos;
    if (object) {
        level.keys_begin = keys_.size();
        level.decoded_begin = decoded_count_;
        level.filter = 0;
        level.index.reset();
    }
    expect_ = object ? Expect::key_or_close : Expect::value_or_close;
    note_innermost();
    return true;
}

inline bool FastValidator::close(std::size_t pos, char c) {
    if (depth_ == 0) return false;
    if (!levels_[depth_ - 1].kind_known) know_kind(c == '}');
    if (c != (levels_[depth_ - 1].object ? '}' : ']')) return false;
    FastLevel& level = levels_[depth_ - 1];
    if (level.before_split) return close_before_split(pos);
    if (tail_ && depth_ == 2)
        tail_children_.push_back({level.open, pos + 1, tail_closes_.size()});
    else if (!tail_ && depth_ <= 2)
        report_->shallow.emplace_back(level.open, pos + 1);
    if (level.object) {
        keys_.resize(level.keys_begin);
        if (decoded_count_ != level.decoded_begin) {
            decoded_.resize(level.decoded_begin);
            decoded_count_ = level.decoded_begin;
        }
    }
    if (--depth_ > 0) note_innermost();
    value_done(pos + 1);
    return true;
}

// The tail closes a level opened before the split: the level below it takes its place, its
// kind unknown.
bool FastValidator::close_before_split(std::size_t pos) {
    FastLevel& level = levels_[0];
    TailClose closed{level.object, pos, {}};
    if (level.object) closed.keys.assign(keys_.begin(), keys_.end());
    tail_closes_.push_back(std::move(closed));
    keys_.clear();
    decoded_.clear();
    decoded_count_ = 0;
    level = FastLevel();
    level.before_split = true;
    level.kind_known = false;
    note_innermost();
    expect_ = Expect::after_value;
    return true;
}

bool FastValidator::join(const FastValidator& head, const FastValidator& tail, ScanReport& report) {
    const std::size_t depth = head.depth_;
    const auto& closes = tail.tail_closes_;
    if (closes.size() != depth || static_cast<std::ptrdiff_t>(depth) + tail.deepest_ >
                                      static_cast<std::ptrdiff_t>(head.max_depth_))
        return false;
    // Only space after the root's closing bracket.
    for (std::size_t p = closes.back().close + 1; p < head.t_.size(); ++p)
        if (!space_table[at(head.t_, p)]) return false;
    report = ScanReport();
    report.root_begin = head.report_->root_begin;
    report.root_end = closes.back().close + 1;
    report.duplicates = head.report_->duplicates;
    report.shallow = head.report_->shallow;
    for (std::size_t i = 0; i < depth; ++i) {
        const std::size_t level = depth - 1 - i;  // the head's level the tail's i-th close ends
        const FastLevel& open = head.levels_[level];
        if (open.object != closes[i].object) return false;
        if (level < 2) report.shallow.emplace_back(open.open, closes[i].close + 1);
        if (!open.object || closes[i].keys.empty()) continue;
        // A key repeated across the split: the one-pass path words it.
        std::size_t keys_end = head.keys_.size();
        for (std::size_t above = level + 1; above < depth; ++above)
            if (head.levels_[above].object) {
                keys_end = head.levels_[above].keys_begin;
                break;
            }
        std::unordered_set<std::string_view> seen(
            head.keys_.begin() + static_cast<std::ptrdiff_t>(open.keys_begin),
            head.keys_.begin() + static_cast<std::ptrdiff_t>(keys_end));
        for (const std::string& key : closes[i].keys)
            if (seen.count(key)) return false;
    }
    for (const TailChild& child : tail.tail_children_)
        if (depth - child.closed <= 1) report.shallow.emplace_back(child.open, child.close);
    report.duplicates.insert(report.duplicates.end(), tail.report_->duplicates.begin(),
                             tail.report_->duplicates.end());
    std::sort(report.shallow.begin(), report.shallow.end());
    return true;
}

inline bool FastValidator::fresh_key(FastLevel& level, const char* data, std::size_t size) {
    if (level.index) return level.index->emplace(data, size).second;
    unsigned hash = static_cast<unsigned>(size) * 7;
    if (size > 0)
        hash +=
            static_cast<unsigned char>(data[0]) * 31u + static_cast<unsigned char>(data[size - 1]);
    std::uint64_t bit = std::uint64_t{1} << (hash & 63);
    bool fresh = true;
    if (level.filter & bit) fresh = !known_key(level, std::string_view(data, size));
    level.filter |= bit;
    if (keys_.size() - level.keys_begin >= 16) index_keys(level, std::string_view(data, size));
    return fresh;
}

bool FastValidator::known_key(const FastLevel& level, std::string_view key) const {
    for (std::size_t i = level.keys_begin; i < keys_.size(); ++i)
        if (keys_[i] == key) return true;
    return false;
}

void FastValidator::index_keys(FastLevel& level, std::string_view key) {
    level.index = std::make_unique<std::unordered_set<std::string_view>>(
        keys_.begin() + static_cast<std::ptrdiff_t>(level.keys_begin), keys_.end());
    level.index->insert(key);
}

// The key ends at the last quote before its colon (only whitespace lies between).
inline void FastValidator::add_key(std::size_t colon) {
    std::size_t end = colon;
    while (t_[end - 1] != '"') --end;
    // The key as pointer and size, not a string_view copied whole: a 16-byte reload of a view
    // just stored in two halves stalls on store forwarding, once per key.
    const char* data = t_.data() + key_begin_ + 1;
    std::size_t size = end - key_begin_ - 2;
    // No escape in this block nor since the key began (the common case) is told at once.
    bool maybe_escaped =
        block_escapes_ != 0 || (last_escape_ != no_position && last_escape_ >= key_begin_);
    if (maybe_escaped && escape_since(key_begin_, end)) {
        std::string_view decoded = decoded_key(end);
        data = decoded.data();
        size = decoded.size();
    }
    if (!fresh_key(levels_[depth_ - 1], data, size)) note_duplicate(std::string_view(data, size));
    keys_.push_back(std::string_view(data, size));
}

std::string_view FastValidator::decoded_key(std::size_t end) {
    decoded_.emplace_back();
    ++decoded_count_;
    decode_json_string(t_.substr(key_begin_, end - key_begin_), decoded_.back());
    return decoded_.back();
}

void FastValidator::note_duplicate(std::string_view key) {
    report_->duplicates.push_back({std::string(key), key_begin_});
}

// Whether an escape begins in [begin, end), end lying in the current block or the one before.
bool FastValidator::escape_since(std::size_t begin, std::size_t end) const {
    if (last_escape_ != no_position && last_escape_ >= begin && last_escape_ < end) return true;
    if (end <= block_base_) return false;
    std::size_t from = std::max(begin, block_base_) - block_base_, to = end - block_base_;
    std::uint64_t below_to = to >= 64 ? ~std::uint64_t{0} : (std::uint64_t{1} << to) - 1;
    return (block_escapes_ & below_to & ~((std::uint64_t{1} << from) - 1)) != 0;
}
#endif

std::size_t skip_string(std::string_view text, std::size_t pos) {
    std::size_t p = pos + 1;
    while (p < text.size()) {
        p = skip_blocks(text, p, quotes_or_escapes);
        while (p < text.size() && !quote_or_escape_table[at(text, p)]) ++p;
        if (p >= text.size() || text[p] == '"') break;
        p += 2;
    }
    return std::min(p + 1, text.size());
}

}  // namespace

ScanReport validate(std::string_view text, std::size_t max_depth, Dialect dialect) {
    ScanReport report;
    if (text.size() >= halves_from &&
        validate_halves(text, max_depth, dialect, text.size() / 2, report))
        return report;
    if (validate_fast(text, max_depth, dialect, report)) return report;
    return validate_reference(text, max_depth, dialect);
}

bool validate_fast(std::string_view text, std::size_t max_depth, Dialect dialect,
                   ScanReport& report) {
#if defined(__SSE2__)
    report = ScanReport();
    return FastValidator(text, max_depth, dialect).run(report);
#else
    (void)text, (void)max_depth, (void)dialect, (void)report;
    return false;
#endif
}

#if defined(__SSE2__)
namespace {

// Where validate_halves() may split a text: a line break after a comma and before an opening
// bracket (",\n    {", as pretty printers lay out arrays of records), first from `from` on.
// Outside any string in a valid text, since strings hold no raw line break; no_position if none
// comes within a few MiB.
std::size_t split_point(std::string_view text, std::size_t from) {
    const std::size_t limit = std::min(text.size(), from + (std::size_t(4) << 20));
    for (std::size_t pos = from; (pos = text.find('\n', pos)) < limit; ++pos) {
        std::size_t before = pos, after = pos + 1;
        while (before > from &&
               (text[before - 1] == ' ' || text[before - 1] == '\t' || text[before - 1] == '\r'))
            --before;
        // Only after a comma: each run of whitespace is then read once, not once per line
        // break in it.
        if (before == from || text[before - 1] != ',') continue;
        while (after < text.size() && space_table[at(text, after)]) ++after;
        if (after < text.size() && (text[after] == '{' || text[after] == '[')) return pos;
        pos = after - 1;  // the line breaks up to `after` follow no comma
    }
    return no_position;
}

}  // namespace
#endif

bool validate_halves(std::string_view text, std::size_t max_depth, Dialect dialect,
                     std::size_t from, ScanReport& report) {
#if defined(__SSE2__)
    std::size_t split = split_point(text, std::max<std::size_t>(from, 1));
    if (split == no_position) return false;
    FastValidator head(text, max_depth, dialect), tail(text, max_depth, dialect);
    ScanReport head_report, tail_report;
    std::future<bool> tail_done;
    try {
        tail_done =
            std::async(std::launch::async, [&] { return tail.run_tail(tail_report, split); });
    } catch (const std::system_error&) {  // no thread to be had: one pass does it all
        return false;
    }
    bool head_ok = head.run_head(head_report, split);
    bool tail_ok = tail_done.get();
    return head_ok && tail_ok && FastValidator::join(head, tail, report);
#else
    (void)text, (void)max_depth, (void)dialect, (void)from, (void)report;
    return false;
#endif
}

ScanReport validate_reference(std::string_view text, std::size_t max_depth, Dialect dialect) {
    return Validator(text, max_depth, dialect).run();
}

void line_and_column(std::string_view text, std::size_t offset, std::size_t& line,
                     std::size_t& column) {
    line = 1;
    std::size_t line_start = 0;
    offset = std::min(offset, text.size());
    for (const char* p = text.data();
         (p = static_cast<const char*>(std::memchr(
              p, '\n', static_cast<std::size_t>(text.data() + offset - p)))) != nullptr;) {
        ++line;
        line_start = static_cast<std::size_t>(++p - text.data());
    }
    column = offset - line_start + 1;
}

bool decode_json_string(std::string_view quoted, std::string& out) {
    out.clear();
    if (quoted.size() < 2 || quoted.front() != '"' || quoted.back() != '"') return false;
    std::string_view body = quoted.substr(1, quoted.size() - 2);
    for (std::size_t i = 0; i < body.size();) {
        if (body[i] != '\\') {
            out += body[i++];
            continue;
        }
        long code_point = 0;
        std::size_t length = escape_length(body, i, code_point);
        if (length == 0) return false;
        append_utf8(out, code_point);
        i += length;
    }
    return true;
}

std::size_t skip_space(std::string_view text, std::size_t pos) {
    while (pos < text.size()) {
        if (space_table[at(text, pos)]) {
            ++pos;
        } else if (text[pos] == '/') {
            std::size_t end = comment_end(text, pos);
            if (end == std::string_view::npos) return text.size();
            pos = end;
        } else {
            break;
        }
    }
    return pos;
}

namespace {

// The position of the next bracket at or after pos, past strings and comments; text.size()
// when there is none. Skipping and indexing containers share it.
std::size_t next_bracket(std::string_view text, std::size_t pos) {
    while (pos < text.size()) {
        pos = skip_to_structure(text, pos);
        while (pos < text.size() && !structure_table[at(text, pos)]) ++pos;
        if (pos >= text.size()) break;
        if (text[pos] == '"') {
            pos = skip_string(text, pos);
        } else if (text[pos] == '/') {
            std::size_t end = comment_end(text, pos);
            pos = end == std::string_view::npos ? text.size() : end;
        } else {
            return pos;
        }
    }
    return text.size();
}

// Walks the container opening at pos to one past its closing bracket, noting the deepest
// nesting it meets, so skipping and measuring share one loop.
std::size_t walk_container(std::string_view text, std::size_t pos, std::size_t& deepest) {
    std::size_t depth = 0;
    while ((pos = next_bracket(text, pos)) < text.size()) {
        const char c = text[pos++];
        if (c == '{' || c == '[') {
            deepest = std::max(deepest, ++depth);
        } else if (--depth == 0) {
            return pos;
        }
    }
    return text.size();
}

}  // namespace

SpanIndex index_containers(std::string_view text, std::size_t open, std::size_t min_span) {
    SpanIndex spans;
    std::vector<std::size_t> open_levels;  // positions in spans of the containers still open
    std::size_t pos = open;
    while ((pos = next_bracket(text, pos)) < text.size()) {
        const char c = text[pos];
        if (c == '{' || c == '[') {
            open_levels.push_back(spans.size());
            spans.emplace_back(pos++, no_position);
        } else {
            if (open_levels.empty()) break;  // only in text validate() refused
            std::size_t at_level = open_levels.back();
            open_levels.pop_back();
            auto& span = spans[at_level];
            span.second = ++pos;
            // Everything inside a small container is smaller still, and gone already: it is last.
            if (pos - span.first < min_span && !open_levels.empty()) spans.pop_back();
            if (open_levels.empty()) break;
        }
    }
    return spans;
}

std::size_t skip_value(std::string_view text, std::size_t pos) {
    if (pos >= text.size()) return pos;
    if (text[pos] == '"') return skip_string(text, pos);
    if (!is_container(text, pos)) {
        while (pos < text.size() && !scalar_end_table[at(text, pos)]) ++pos;
        return pos;
    }
    std::size_t deepest = 0;
    return walk_container(text, pos, deepest);
}

bool ends_in_line_comment(std::string_view gap) {
    for (std::size_t pos = gap.find('/'); pos != std::string_view::npos; pos = gap.find('/', pos)) {
        std::size_t end = comment_end(gap, pos);
        if (end == std::string_view::npos) return false;  // not a comment: gaps hold none such
        if (end == gap.size() && gap[pos + 1] == '/' && !line_comment_stop(gap.back())) return true;
        pos = end;
    }
    return false;
}

std::size_t nesting_depth(std::string_view value) {
    std::size_t deepest = 0;
    if (is_container(value, 0)) walk_container(value, 0, deepest);
    return deepest;
}

bool is_container(std::string_view text, std::size_t pos) {
    return pos < text.size() && (text[pos] == '{' || text[pos] == '[');
}

namespace {

std::size_t indexed_end(std::string_view text, std::size_t pos, const SpanIndex* index) {
    if (index && is_container(text, pos)) {
        auto known = std::lower_bound(index->begin(), index->end(), std::make_pair(pos, pos));
        if (known != index->end() && known->first == pos) return known->second;
    }
    return skip_value(text, pos);
}

}  // namespace

Container list_members(std::string_view text, std::size_t open, const SpanIndex* index) {
    Container container;
    container.object = text[open] == '{';
    container.open = open;
    char close = container.object ? '}' : ']';
    std::size_t p = skip_space(text, open + 1);
    while (p < text.size() && text[p] != close) {
        Member member;
        if (container.object) {
            member.key_begin = p;
            member.key_end = p = skip_string(text, p);
            decode_json_string(text.substr(member.key_begin, p - member.key_begin), member.key);
            p = skip_space(text, skip_space(text, p) + 1);
        }
        member.value_begin = p;
        member.value_end = p = indexed_end(text, p, index);
        if (p == member.value_begin) break;  // no value: text validate() refused
        p = skip_space(text, p);
        if (p < text.size() && text[p] == ',') {
            member.comma = p;
            p = skip_space(text, p + 1);
        }
        container.members.push_back(std::move(member));
    }
    container.close = p;
    return container;
}

namespace {

// Walks the members of the container at open until wanted(key position, member number) says
// stop; returns where that member's value begins, or no_position.
template <class Wanted>
std::size_t find_member_value(std::string_view text, std::size_t open, const SpanIndex* index,
                              Wanted wanted) {
    bool object = text[open] == '{';
    char close = object ? '}' : ']';
    std::size_t p = skip_space(text, open + 1);
    for (std::size_t n = 0; p < text.size() && text[p] != close; ++n) {
        std::size_t key = p;
        if (object) p = skip_space(text, skip_space(text, skip_string(text, p)) + 1);
        if (wanted(key, n)) return p;
        std::size_t end = indexed_end(text, p, index);
        if (end == p) break;  // no value: text validate() refused
        p = skip_space(text, end);
        if (p < text.size() && text[p] == ',') p = skip_space(text, p + 1);
    }
    return no_position;
}

}  // namespace

std::size_t find_key(std::string_view text, std::size_t open, std::string_view key,
                     const SpanIndex* index) {
    std::string decoded;
    return find_member_value(text, open, index, [&](std::size_t at, std::size_t) {
        std::string_view quoted = text.substr(at, skip_string(text, at) - at);
        // Most keys hold no escape: compare the bytes between the quotes first.
        if (quoted.find('\\') == std::string_view::npos)
            return quoted.substr(1, quoted.size() - 2) == key;
        return decode_json_string(quoted, decoded) && decoded == key;
    });
}

std::size_t find_element(std::string_view text, std::size_t open, std::size_t n,
                         const SpanIndex* index) {
    return find_member_value(text, open, index,
                             [n](std::size_t, std::size_t number) { return number == n; });
}

}  // namespace atomfile::json::detail
