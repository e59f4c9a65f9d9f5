// The splicer: a JSON text edited in place, one byte span at a time.
//
// Every operation finds the span of the value it touches and replaces just that span (or
// inserts or removes one member with its comma), so every byte outside the edited values keeps
// its spelling: indentation, key order, blank lines, comments, number and string spellings, the
// BOM, CRLF line ends and the final newline. New values are printed in the document's style.
//
// The text is validated once on construction; every edit keeps it valid, because values come in
// as validated JSON text and the splices respect the grammar, and no edit may nest the document
// deeper than the max_depth it was validated with (so the result can always be read back). Failed
// operations throw OperationError and leave the document as it was.
#pragma once

#include <array>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "json/json_format.hpp"
#include "json/json_path.hpp"
#include "json/json_scanner.hpp"

namespace atomfile::json {

// An operation that cannot be applied: a missing path, a wrong type, a failed test, a
// duplicated key addressed.
class OperationError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

class Document {
  public:
    // Validates text (throws SyntaxError) and detects its style. Edits that would nest the text
    // deeper than max_depth throw OperationError.
    explicit Document(std::string text, std::size_t max_depth = default_max_depth);

    const std::vector<DuplicateKey>& duplicates() const { return duplicates_; }
    const Style& style() const { return style_; }
    // Overrides the detected indent unit for inserted values.
    void set_indent(std::string unit);

    // Every value argument below is one validated JSON value, without surrounding space.
    bool contains(const Path& path);
    // The value at path as written in the document.
    std::string get(const Path& path);
    // The value at path printed in the document's style, at the left margin.
    std::string print(const Path& path);
    // Sets path to value, creating missing parent objects.
    void set(const Path& path, std::string_view value);
    // RFC 6902 "add": replaces a member, inserts into an array ("-" appends); no parents made.
    void add(const Path& path, std::string_view value);
    // RFC 6902 "replace": the value must exist.
    void replace(const Path& path, std::string_view value);
    void remove(const Path& path);
    void append(const Path& path, std::string_view value);

    // Whether the current text differs from the text the document was made from.
    bool changed() const;
    // The current text as up to three consecutive pieces (no full copy is made).
    std::array<std::string_view, 3> pieces() const;
    // The current text.
    const std::string& text();

  private:
    struct Location {
        std::size_t resolved = 0;         // leading path tokens that name existing values
        std::size_t begin = 0, end = 0;   // span of the deepest value reached
        std::optional<Container> parent;  // the container that holds (or would hold) the target
        std::size_t index = 0;            // the target's member index in parent, when found
    };
    struct Edit {
        std::size_t begin, end;
        std::string text;
    };

    void check_depth(std::size_t enclosing, std::string_view value) const;
    Location locate(const Path& path);
    Location require(const Path& path);
    std::size_t find_member(const Container& container, const std::string& token) const;
    bool spans_lines(const Container& container) const;
    std::string separator(const Container& container, std::size_t index) const;
    std::string_view colon(const Container& container) const;
    std::string member_text(const Container& container, const std::string* key,
                            std::string_view value, std::string_view base, bool multiline) const;
    std::size_t line_tail(std::size_t pos) const;
    void replace_value(const Location& location, std::string_view value);
    void insert_last(const Container& container, const std::string* key, std::string_view value);
    void insert_before(const Container& container, std::size_t index, std::string_view value);
    void insert_into_empty(const Container& container, const std::string* key,
                           std::string_view value);
    void remove_member(const Container& container, std::size_t index);
    void remove_last(const Container& container);
    void apply(Edit edit);
    void materialize();

    std::string text_;
    std::string original_;  // kept once a second edit forces text_ to be rewritten
    bool kept_original_ = false;
    std::optional<Edit> pending_;
    std::vector<DuplicateKey> duplicates_;
    SpanIndex shallow_;  // from validation: valid until an edit rewrites text_
    Style style_;
    std::size_t root_begin_ = 0;
    std::size_t max_depth_;
};

}  // namespace atomfile::json
