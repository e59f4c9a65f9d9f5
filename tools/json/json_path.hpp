// Paths into a JSON document: RFC 6901 JSON Pointers and jq-style dotted paths.
//
// Both spellings parse to the same thing, a list of reference tokens (unescaped member names or
// array indices), so the rest of the editor never sees the syntax:
//   ""  "/a/b/0"  "/a~1b" (the key "a/b")  "/m~0n" (the key "m~n")   JSON Pointer
//   "#/a/b%20c"                                                      URI fragment form
//   "."  ".a.b[0]"  ".[\"key.with.dots\"]"  ".a[\"x\"]"              dotted path
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace atomfile::json {

using Path = std::vector<std::string>;

// A path that follows neither syntax; what() says why and where.
class PathError : public std::invalid_argument {
  public:
    using std::invalid_argument::invalid_argument;
};

// Parses either syntax: a text starting with '.' or '[' is a dotted path, one starting with '#'
// a URI fragment, anything else a JSON Pointer. Throws PathError.
Path parse_path(std::string_view text);
// Parses an RFC 6901 JSON Pointer only (as RFC 6902 patch documents require). Throws PathError.
Path parse_pointer(std::string_view text);
// The JSON Pointer spelling of a path, for messages.
std::string to_pointer(const Path& path);
// The array index a token names, or nothing when it is not one: RFC 6901 allows "0" or a
// digit string without leading zeros (and "-", past the end, which callers handle).
std::optional<std::size_t> array_index(std::string_view token);

}  // namespace atomfile::json
