// The span scanner's entry points (validate() choosing between the fast validator, in one pass
// or two halves, and the reference one) and the walkers over validated text. The validators
// live in json_fast_validator.cpp and json_reference_validator.cpp.
#include "json_scanner.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include "json_fast_validator.hpp"
#include "json_scan_support.hpp"

namespace atomfile::json::detail {

namespace {

constexpr Table quote_or_escape_table = make_table("\"\\");
constexpr Table structure_table = make_table("\"{}[]/");
constexpr Table scalar_end_table = make_table(" \t\n\r,]}/");

inline std::uint64_t quotes_or_escapes(std::uint64_t v) {
    return bytes_equal(v, '"') | bytes_equal(v, '\\');
}

// Where the walkers' byte-by-byte loops may start: at most a few bytes before the next
// bracket, quote or slash.
#if defined(__SSE2__)
inline unsigned structure16(__m128i v) {
    __m128i folded = _mm_or_si128(v, _mm_set1_epi8(0x20));  // '[' -> '{', ']' -> '}'
    __m128i brackets = _mm_or_si128(equal16(folded, '{'), equal16(folded, '}'));
    __m128i other = _mm_or_si128(equal16(v, '"'), equal16(v, '/'));
    return static_cast<unsigned>(_mm_movemask_epi8(_mm_or_si128(brackets, other)));
}
inline std::size_t skip_to_structure(std::string_view text, std::size_t pos) {
    return skip_vectors(text, pos, structure16);
}
#else
inline std::uint64_t structure(std::uint64_t v) {
    std::uint64_t folded = v | (ones * 0x20);  // '[' -> '{', ']' -> '}'
    return bytes_equal(folded, '{') | bytes_equal(folded, '}') | bytes_equal(v, '"') |
           bytes_equal(v, '/');
}
inline std::size_t skip_to_structure(std::string_view text, std::size_t pos) {
    return skip_blocks(text, pos, structure);
}
#endif

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

inline bool line_comment_stop(char c) {
    return line_comment_stops.find(c) != std::string_view::npos;
}

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
    return run_fast_validator(text, max_depth, dialect, report);
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
    return run_fast_validator_halves(text, max_depth, dialect, split, report);
#else
    (void)text, (void)max_depth, (void)dialect, (void)from, (void)report;
    return false;
#endif
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

void sort_spans(SpanIndex& spans) {
    // Insertion of each span out of order, while they are few: each costs one move of the
    // spans after its place. Many (spans gathered otherwise) are left to std::sort.
    constexpr std::size_t few = 16;
    std::size_t out_of_order = 0;
    for (auto next = spans.begin(); next != spans.end(); ++next) {
        if (next == spans.begin() || !(*next < *(next - 1))) continue;
        if (++out_of_order > few) {
            std::sort(spans.begin(), spans.end());
            return;
        }
        auto span = *next;
        auto place = std::upper_bound(spans.begin(), next, span);
        std::move_backward(place, next, next + 1);
        *place = span;
    }
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
