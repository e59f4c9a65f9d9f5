// The splicer: a JSON text edited in place, one byte span at a time.
//
// Every operation finds the span of the value it touches and replaces just that span (or
// inserts or removes one member with its comma), so every byte outside the edited values keeps
// its spelling: indentation, key order, blank lines, comments, trailing commas, number and string
// spellings, the BOM, CRLF line ends and the final newline. New values are printed in the style
// of the container they go into: on one line in a one-line object, with the document's indent
// unit and spacing otherwise, with a trailing comma where the container's last member has one.
// Comments belong to members: a member removed takes the comment on its own line with it and
// leaves comments standing on lines of their own; a member inserted after one with a comment
// goes after the comment.
//
// Paths are followed one step at a time, walking only the values before each step's member, so
// a lookup costs one pass over the text it crosses. A step that must list its whole container (a
// [-N] counts it; a key of a document with duplicate keys must be seen in every occurrence)
// lists the next such container through an index of the spans inside, made once per text, so a
// path of many such steps still costs a pass or two over the document plus the path.
//
// The text is validated once on construction; every edit keeps it valid, because values come in
// as validated JSON text and the splices respect the grammar, and no edit may nest the document
// deeper than the max_depth it was validated with (so the result can always be read back). Failed
// operations throw OperationError and leave the document as it was.
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "json_format.hpp"
#include "json_path.hpp"
#include "json_scanner.hpp"

namespace atomfile::json::detail {

// The errors (OperationError, AmbiguousKey) and the value types are the public ones
// (atomfile/json.hpp).
using JsonType = Type;

class Splicer {
  public:
    // Validates text (throws ParseError) and detects its style. Edits that would nest the text
    // deeper than max_depth throw OperationError.
    explicit Splicer(std::string text, std::size_t max_depth = default_max_depth,
                     Dialect dialect = Dialect::jsonc);
    // The same over a text held elsewhere (a mapped file), never copied: owner keeps it alive
    // and unchanged, and is shared by every copy of the splicer.
    Splicer(std::string_view text, std::shared_ptr<const void> owner,
            std::size_t max_depth = default_max_depth, Dialect dialect = Dialect::jsonc);

    // The same without validating, for a caller that validates the text meanwhile and keeps
    // nothing made from it unless the text is valid and holds no duplicate keys (then every
    // result is the validated splicer's). On an invalid text every walk still ends.
    struct Unvalidated {};
    Splicer(std::string_view text, std::shared_ptr<const void> owner, std::size_t max_depth,
            Unvalidated);

    const std::vector<DuplicateKey>& duplicates() const { return duplicates_; }
    const Style& style() const { return style_; }
    // Overrides the detected indent unit for inserted values.
    void set_indent(std::string unit);

    // Every value argument below is one validated JSON value, without surrounding space.
    // Whether path names a value (false, not an error, for a path through a scalar or a name
    // used as an array index; an ambiguous key still throws).
    bool contains(const Path& path);
    // The value at path as written in the document.
    std::string get(const Path& path);
    // The value at path printed in the document's style, at the left margin.
    std::string print(const Path& path);
    JsonType type(const Path& path);
    // The member names of the object at path, in document order (unescaped).
    std::vector<std::string> member_names(const Path& path);
    // The number of members of the object or array at path.
    std::size_t size(const Path& path);
    // Sets path to value, creating what is missing: objects, or arrays where the next step is
    // [0] or "-" (set .new[0] 1 gives "new": [1]; /list/-/x appends {"x": ...}).
    void set(const Path& path, std::string_view value);
    // RFC 6902 "add": replaces a member, inserts into an array ("-" appends); no parents made.
    void add(const Path& path, std::string_view value);
    // RFC 6902 "replace": the value must exist.
    void replace(const Path& path, std::string_view value);
    void remove(const Path& path);
    // Appends to the array at path, which is created (as by set) when missing.
    void append(const Path& path, std::string_view value);

    // Whether the current text differs from the text the document was made from.
    bool changed() const;
    // Whether no edit has been made since validation (or since revert()), so that revert()
    // can undo what comes next.
    bool pristine() const { return !kept_original_ && !pending_; }
    // Back to the validated text, as if no edit had been made. That text is kept anyway (base_
    // or the external text), so undoing costs no copy of the document.
    void revert();
    // The current text as up to three consecutive pieces (no full copy is made).
    std::array<std::string_view, 3> pieces() const;
    // The current text.
    const std::string& text();

  private:
    // Why a walk stopped before the end of its path.
    enum class Miss { none, missing, scalar, not_index, from_end_on_object };
    struct Location {
        std::size_t resolved = 0;             // leading path tokens that name existing values
        std::size_t begin = 0, end = 0;       // span of the deepest value reached (end: when found)
        std::optional<Container> parent;      // the container that holds (or would hold) the target
        std::size_t enclosing = no_position;  // where the container holding parent opens
        std::size_t index = 0;                // the target's member index in parent, when found
        Miss miss = Miss::none;
    };
    struct Edit {
        std::size_t begin, end;
        std::string text;
    };

    void check_depth(std::size_t enclosing, std::string_view value) const;
    Location locate(const Path& path);
    Location require(const Path& path);
    [[noreturn]] void fail(const Path& path, const Location& location) const;
    std::size_t quick_find(std::size_t open, const PathToken& token, const SpanIndex* index) const;
    const SpanIndex* span_index(std::size_t open, bool deep);
    std::size_t find_member(const Container& container, const PathToken& token, Miss& miss) const;
    std::string missing_values(const Path& path, std::size_t from, std::string_view value) const;
    bool spans_lines(const Container& container) const;
    bool encloses_lines(std::size_t enclosing) const;
    std::string separator(const Container& container, std::size_t index) const;
    std::string_view colon(const Container& container) const;
    std::string member_text(const Container& container, const std::string* key,
                            std::string_view value, std::string_view base, bool multiline) const;
    std::size_t line_tail(std::size_t pos) const;
    bool own_lines(const Member& member, std::size_t& from, std::size_t& to) const;
    bool fits_one_line(std::size_t begin, std::size_t end, std::string_view value) const;
    void replace_value(const Location& location, std::string_view value);
    void insert_last(const Container& container, std::size_t enclosing, const std::string* key,
                     std::string_view value);
    void insert_before(const Container& container, std::size_t index, std::string_view value);
    void insert_into_empty(const Container& container, std::size_t enclosing,
                           const std::string* key, std::string_view value);
    void remove_member(const Container& container, std::size_t index);
    void remove_only(const Container& container);
    void remove_last(const Container& container);
    void apply(Edit edit);
    void materialize();

    void scan(Dialect dialect);
    // The validated text: base_, or external_ when owner_ holds it.
    std::string_view base() const { return owner_ ? external_ : std::string_view(base_); }
    // The current text: the validated one, or edited_ once a second edit has laid it out anew.
    std::string_view view() const { return kept_original_ ? std::string_view(edited_) : base(); }

    std::string base_;
    std::shared_ptr<const void> owner_;
    std::string_view external_;
    std::string edited_;
    bool kept_original_ = false;  // edited_ holds the current text
    std::string laid_out_;        // text() of an unedited external text
    std::optional<Edit> pending_;
    std::vector<DuplicateKey> duplicates_;
    SpanIndex shallow_;  // from validation: valid until an edit rewrites text_
    SpanIndex deep_;     // every sizeable container inside deep_.front(), in the current text
    Style style_;
    std::size_t root_begin_ = 0;
    std::size_t max_depth_;
};

}  // namespace atomfile::json::detail
