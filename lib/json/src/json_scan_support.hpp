// Byte classification shared by the span scanner's three readers: the reference validator
// (json_reference_validator.cpp), the fast one (json_fast_validator.cpp) and the walkers
// (json_scanner.cpp); and where a document starts, for them and for the editor's readers of a
// document's start (json_document.cpp, json_format.cpp). Internal, never installed; each reader
// keeps the masks only it uses.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#if defined(__SSE2__)
#include <emmintrin.h>
#endif

namespace atomfile::json::detail {

using Table = std::array<bool, 256>;

constexpr Table make_table(std::string_view members, bool controls_and_high = false) {
    Table table{};
    for (char c : members) table[static_cast<unsigned char>(c)] = true;
    for (std::size_t i = 0; controls_and_high && i < 256; ++i)
        if (i < 0x20 || i >= 0x80) table[i] = true;
    return table;
}

inline constexpr Table space_table = make_table(" \t\n\r");

// Where a text starts once its UTF-8 byte order mark, if any, is passed (RFC 8259 lets a parser
// ignore one; editors on Windows write it).
inline std::size_t after_bom(std::string_view text) {
    return text.substr(0, 3) == "\xEF\xBB\xBF" ? 3 : 0;
}

// Word-at-a-time search: each mask has the high bit set in every byte that matches, and its
// lowest set bit is exact, so the first match in 8 bytes is found without a byte loop.
inline constexpr std::uint64_t ones = 0x0101010101010101, highs = 0x8080808080808080;

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
// Sixteen bytes at a time where SSE2 exists (all of x86-64); the word-at-a-time search above
// serves everywhere else. Each mask returns one bit per byte that stops the search.
inline __m128i load16(const char* p) {
    return _mm_loadu_si128(reinterpret_cast<const __m128i*>(p));
}
inline __m128i equal16(__m128i v, char c) {
    return _mm_cmpeq_epi8(v, _mm_set1_epi8(c));
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

// The checks below stay out of line, as when they were private to one source: inlined, they
// swell the validators' loops (FastValidator::scan by a tenth) for bytes that are rare there.
inline unsigned char at(std::string_view text, std::size_t pos) {
    return static_cast<unsigned char>(text[pos]);
}

inline int hex_digit(char c) {
    if (c >= '0' && c <= '9') return c - '0';
    if (c >= 'a' && c <= 'f') return c - 'a' + 10;
    if (c >= 'A' && c <= 'F') return c - 'A' + 10;
    return -1;
}

// The code unit of "\uXXXX" at pos (pointing at the backslash), or -1.
[[gnu::noinline]] inline long unicode_escape(std::string_view text, std::size_t pos) {
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
[[gnu::noinline]] inline std::size_t escape_length(std::string_view text, std::size_t pos,
                                                   long& code_point) {
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

// Length of the well-formed UTF-8 sequence at pos (Unicode table 3-7), or 0.
[[gnu::noinline]] inline std::size_t utf8_length(std::string_view text, std::size_t pos) {
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
inline constexpr std::string_view line_comment_stops("\n\r\0", 3);

// The end of the comment at pos (a '/'), or npos when it is not a well-formed comment.
[[gnu::noinline]] inline std::size_t comment_end(std::string_view text, std::size_t pos) {
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

}  // namespace atomfile::json::detail
