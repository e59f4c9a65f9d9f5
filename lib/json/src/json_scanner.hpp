// The span scanner: validates a JSON text without building a DOM and finds the bytes of values.
//
// validate() checks a whole document at memory speed, in one pass and with an explicit stack, so
// nesting deeper than max_depth is refused with a ParseError rather than a stack overflow. It
// reads one of two dialects:
//   Dialect::jsonc   RFC 8259 plus what tsc and VS Code accept in their JSONC files: "//" and
//                    "/* */" comments wherever whitespace may appear, and one trailing comma
//                    after the last member of an object or array ({"a": 1,} and [1, 2,]).
//   Dialect::strict  RFC 8259 alone: no comments, no trailing commas.
// Both accept a leading UTF-8 BOM. Strict accepts what nlohmann::json::parse(text) accepts, and
// JSONC what nlohmann::json::parse(text, nullptr, true, true) accepts once trailing commas are
// taken out, except that numbers too large for a double (1e400) are kept as written rather than
// refused. A comma JSONC does not allow either ([,], [1,,2]) is refused with a message saying
// where JSONC allows one.
//
// The other functions walk text that validate() has accepted; on other input their result is
// unspecified (but they never read out of bounds).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "atomfile/json.hpp"

namespace atomfile::json::detail {

struct DuplicateKey {
    std::string key;     // unescaped
    std::size_t offset;  // of the repeated occurrence's opening quote
};

// Where containers end, by where they begin (sorted), so walks can step over big values.
using SpanIndex = std::vector<std::pair<std::size_t, std::size_t>>;
// Sorts spans recorded as their containers closed: in order but for the few that enclose others
// (the root, and the levels a split cut), each moved into place. std::sort took
// n log n, and on a million records under a root array fell back to heapsort: 38% of the pass.
void sort_spans(SpanIndex& spans);

struct ScanReport {
    std::size_t root_begin = 0;  // first byte of the top-level value
    std::size_t root_end = 0;    // one past its last byte
    std::vector<DuplicateKey> duplicates;
    SpanIndex shallow;  // the root container and the containers directly inside it
};

// Throws ParseError naming the first problem.
ScanReport validate(std::string_view text, std::size_t max_depth = default_max_depth,
                    Dialect dialect = Dialect::jsonc);

// validate() is a fast path (a structural index built 64 bytes at a time, where SSE2 exists)
// that gives up on anything unusual (a comment, an error, nesting past max_depth), and then the
// reference validator, which alone words the errors. Both are exposed for tests, which check
// that they agree: validate_fast() returns false when it gives up (report then unspecified).
bool validate_fast(std::string_view text, std::size_t max_depth, Dialect dialect,
                   ScanReport& report);
ScanReport validate_reference(std::string_view text, std::size_t max_depth = default_max_depth,
                              Dialect dialect = Dialect::jsonc);
// The fast path on two threads, for big texts (validate() uses it from halves_from bytes): the
// text is split at a line break between two elements of an array (",\n  {", the first such
// from `from` on), each half validated at once, and the second half's view of the levels open
// across the split checked against the first's (kinds, depth, keys repeated across the split).
// Returns false when it gives up (no such line break, anything the fast path gives up on, a
// key repeated across the split); when it returns true, the report is validate_fast()'s.
bool validate_halves(std::string_view text, std::size_t max_depth, Dialect dialect,
                     std::size_t from, ScanReport& report);
inline constexpr std::size_t halves_from = std::size_t(4) << 20;

// 1-based line and byte column of an offset.
void line_and_column(std::string_view text, std::size_t offset, std::size_t& line,
                     std::size_t& column);

// Unescapes a quoted JSON string (quotes included) into UTF-8; false if an escape is invalid.
bool decode_json_string(std::string_view quoted, std::string& out);

// ---- walking validated text ----------------------------------------------------------------

// Skips whitespace and comments from pos.
std::size_t skip_space(std::string_view text, std::size_t pos);
// The end of the value starting at pos.
std::size_t skip_value(std::string_view text, std::size_t pos);
// Whether whitespace and comments (a gap between tokens) end inside an unterminated `//` comment,
// so that whatever is appended to them would be commented out.
bool ends_in_line_comment(std::string_view gap);
// How many containers deep a value nests: 0 for a scalar, 1 for [] or {"a":1}, 2 for [[]].
std::size_t nesting_depth(std::string_view value);

inline constexpr std::size_t no_position = std::string_view::npos;

struct Member {
    std::size_t key_begin = 0, key_end = 0;  // the quoted key (objects only)
    std::size_t value_begin = 0, value_end = 0;
    std::size_t comma = no_position;  // the comma after the value, if any
    std::string key;                  // unescaped (objects only)
    std::size_t begin() const { return key_end > key_begin ? key_begin : value_begin; }
};

struct Container {
    bool object = false;
    std::size_t open = 0, close = 0;  // positions of the brackets
    std::vector<Member> members;
    // Whether the last member is followed by a comma (JSONC's trailing comma).
    bool trailing_comma() const { return !members.empty() && members.back().comma != no_position; }
};

// The spans of the container opening at open and of every container inside it spanning at
// least min_span bytes (smaller ones are skipped quickly enough by a walk), sorted, in one pass
// with an explicit stack: an index under which listing any container inside costs its members.
SpanIndex index_containers(std::string_view text, std::size_t open, std::size_t min_span);

bool is_container(std::string_view text, std::size_t pos);
// The members of the object or array whose opening bracket is at open. An index from validate()
// of this very text saves walking over the containers it lists.
Container list_members(std::string_view text, std::size_t open, const SpanIndex* index = nullptr);

// Where the value of one member of the container at open begins, stopping at that member:
// only the values before it are walked, so a path followed one step at a time costs one pass
// over the text it crosses. no_position when there is no such member.
// The first member named key (objects):
std::size_t find_key(std::string_view text, std::size_t open, std::string_view key,
                     const SpanIndex* index = nullptr);
// The element at position n (arrays):
std::size_t find_element(std::string_view text, std::size_t open, std::size_t n,
                         const SpanIndex* index = nullptr);

}  // namespace atomfile::json::detail
