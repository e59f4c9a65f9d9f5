// Paths into a JSON document: RFC 6901 JSON Pointers and jq-style dotted paths.
//
// Both spellings parse to the same thing, a list of tokens, so the rest of the editor never sees
// the syntax:
//   ""  "/a/b/0"  "/a~1b" (the key "a/b")  "/m~0n" (the key "m~n")  "/a/-"    JSON Pointer
//   "#/a/b%20c"                                                               URI fragment form
//   "."  ".a.b[0]"  ".a[-1]"  ."a.b"  .a."b c"  .["a.b"]  .a["x"]             dotted path (jq)
// A pointer token names a member, or an array element when it is an index ("0", "12"; "-" is
// past the end). A dotted path says which it means: .a and ."a" and .["a"] are names, [0] and
// [-1] are positions (negative ones count from the end, as in jq; a pointer has none, as
// RFC 6901 says, so "/a/-1" names the member "-1" and is no index).
#pragma once

#include <cstddef>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "atomfile/json.hpp"

namespace atomfile::json::detail {

struct PathToken {
    std::string name;    // the member name, or the position as written ("0", "-1", "-")
    bool index = false;  // written [N] or [-N] in a dotted path

    PathToken() = default;
    PathToken(std::string token, bool is_index = false)  // NOLINT: a name is a token
        : name(std::move(token)), index(is_index) {}
    PathToken(const char* token) : name(token) {}  // NOLINT
    // [-N]: the Nth element from the end of an array.
    bool from_end() const { return index && !name.empty() && name.front() == '-'; }
    friend bool operator==(const PathToken& a, const PathToken& b) {
        return a.name == b.name && a.index == b.index;
    }
    friend bool operator!=(const PathToken& a, const PathToken& b) { return !(a == b); }
};

using Path = std::vector<PathToken>;

// Parses either syntax: a text starting with '.' or '[' is a dotted path, one starting with '#'
// a URI fragment, anything else a JSON Pointer. Throws PathError.
Path parse_path(std::string_view text);
// Parses an RFC 6901 JSON Pointer only (as RFC 6902 patch documents require). Throws PathError.
Path parse_pointer(std::string_view text);
// The JSON Pointer spelling of a path (a [-N] token, which no pointer can say, is spelled "-N").
std::string to_pointer(const Path& path);
// The dotted spelling, which parse_path() reads back to the same path.
std::string to_dotted(const Path& path);
// The spelling for messages: the pointer, or the dotted path when the pointer would not say it.
std::string describe_path(const Path& path);
// The array index a token names, or nothing when it is not one: RFC 6901 allows "0" or a
// digit string without leading zeros (and "-", past the end, which callers handle).
std::optional<std::size_t> array_index(std::string_view token);

}  // namespace atomfile::json::detail
