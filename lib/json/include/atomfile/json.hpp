// Editing JSON and JSONC files the way their authors wrote them: atomfile::json (CMake target
// atomfile::json, pkg-config atomfile-json).
//
//     auto doc = atomfile::json::Document::parse(text);      // JSONC unless told otherwise
//     doc.set("/server/port", 9090);                          // a JSON Pointer ...
//     doc.set(".window.zoom", 2);                             // ... or a jq-style dotted path
//     std::string out = doc.text();                           // every other byte as it was
//
//     atomfile::json::update("settings.json", [](atomfile::json::Document& d) {
//         d.set("/window/zoom", 2);                           // locked, atomic, durable; no
//     });                                                     // write when nothing changed
//
// What is kept. A Document never re-prints the text: each edit replaces the bytes of the one
// value it touches (or inserts or removes one member with its comma), so indentation, key order,
// blank lines, comments, trailing commas, the spelling of numbers and strings, a BOM, CRLF line
// ends and the final newline stay as they were. New values are laid out like their neighbours:
// on one line in a one-line object, with the file's indent unit otherwise, with a trailing comma
// where the container's last member has one. Removing a member removes the comment on the rest
// of its line and keeps comments that stand on lines of their own.
//
// Dialects. JSONC (the default) is RFC 8259 plus "//" and "/* */" comments and one trailing
// comma after the last member of an object or array, as tsc and VS Code read them; strict is
// RFC 8259 alone. Both accept a UTF-8 BOM, and both refuse nesting deeper than max_depth.
//
// Paths. Every path argument is either a JSON Pointer (RFC 6901: "", "/a/0", "/a~1b", "/list/-"
// past the end) or a jq-style path ("." , ".a.b[0]", ".a[-1]" from the end, ."a.b", .["a b"]).
// A path through a key that appears twice in its object is ambiguous and throws AmbiguousKey.
//
// Values. The nlohmann::json overloads print the value compactly (dump()) and insert it in the
// document's style; the *_text overloads take JSON text, validated, whose tokens are kept as
// written (1.50 stays 1.50, 1e400 stays 1e400). nlohmann::json crosses this library's interface:
// build against the same nlohmann_json version the library was built with.
//
// Errors. Everything throws atomfile::json::JsonError (a std::system_error whose code is in
// json::error_category(), compared with json::errc) or one of its subclasses below; update()
// also throws atomfile::Error for the file's I/O (atomfile/error.hpp). parse(), update() and
// the nlohmann::json forms of set(), remove(), merge() and apply_patch() also have a noexcept
// overload taking std::error_code& that sets what the exception would carry (its code(); other
// exceptions become std::errc::not_enough_memory for bad_alloc, std::errc::io_error otherwise).
// A failed edit leaves the document as it was. Destructors never throw.
#pragma once

#include <array>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <type_traits>
#include <vector>

#include <nlohmann/json.hpp>

#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"

// The JSON library is compiled with hidden symbols, as atomfile is (atomfile/export.hpp): only
// what is marked ATOMFILE_JSON_API is exported from libatomfile_json.so.
#define ATOMFILE_JSON_API __attribute__((visibility("default")))

namespace atomfile::json {

// ---- errors ----------------------------------------------------------------------------------

enum class errc {
    invalid_json = 1,  // ParseError: the text (or a value given as text) is not JSON
    invalid_path,      // PathError: the path follows neither syntax
    operation_failed,  // OperationError: missing path, wrong type, failed test, too deep
    ambiguous_key,     // AmbiguousKey: the path crosses a key that appears more than once
};

// "atomfile.json"; its messages are the errc's names in words.
ATOMFILE_JSON_API const std::error_category& error_category() noexcept;
ATOMFILE_JSON_API std::error_code make_error_code(errc code) noexcept;

// The base of the JSON errors. what() is the message alone (no category text appended).
class ATOMFILE_JSON_API JsonError : public std::system_error {
  public:
    JsonError(errc code, const std::string& message);
    const char* what() const noexcept override;

  private:
    std::runtime_error message_;  // copying it never throws, as an exception's copy must not
};

// Text that is not JSON (or not of the dialect asked for). line and column are 1-based, the
// column counting bytes; offset counts bytes from the start of the text. what() is the reason,
// or "atomfile: parse JSON 'PATH': line L, column C: REASON" when update() read it from a file.
class ATOMFILE_JSON_API ParseError : public JsonError {
  public:
    ParseError(const std::string& reason, std::size_t offset, std::size_t line, std::size_t column,
               const std::string& path = {});
    std::size_t offset() const noexcept { return offset_; }
    std::size_t line() const noexcept { return line_; }
    std::size_t column() const noexcept { return column_; }
    // The file update() read, empty for Document::parse.
    const std::string& path() const noexcept { return path_; }

  private:
    std::size_t offset_, line_, column_;
    std::string path_;
};

// A path that follows neither syntax; what() says why and where.
class ATOMFILE_JSON_API PathError : public JsonError {
  public:
    explicit PathError(const std::string& message);
};

// An edit or query that cannot be done: a missing path, a wrong type, a failed test, a result
// nested deeper than max_depth. what() names the path and the reason.
class ATOMFILE_JSON_API OperationError : public JsonError {
  public:
    explicit OperationError(const std::string& message, errc code = errc::operation_failed);
};

// A path through a key that appears more than once in its object: which one is meant is
// ambiguous, so nothing reads or edits it. what() names the lines of each occurrence.
class ATOMFILE_JSON_API AmbiguousKey : public OperationError {
  public:
    explicit AmbiguousKey(const std::string& message);
};

// ---- documents -------------------------------------------------------------------------------

enum class Dialect { jsonc, strict };
inline constexpr std::size_t default_max_depth = 1000;

struct ParseOptions {
    Dialect dialect = Dialect::jsonc;
    // Deeper nesting is refused when parsing and by any edit that would create it.
    std::size_t max_depth = default_max_depth;
};

// Throws PathError when path follows neither syntax (as every member below taking a path does),
// for programs that check paths before they have a document.
ATOMFILE_JSON_API void validate_path(std::string_view path);

enum class Type { object, array, string, number, boolean, null };
// jq's names: "object", "array", "string", "number", "boolean", "null".
ATOMFILE_JSON_API const char* type_name(Type type) noexcept;

// A key that appears more than once in its object (JSON leaves the meaning open; the document
// keeps every occurrence and refuses paths through them).
struct DuplicateKey {
    std::string key;         // unescaped
    std::size_t offset = 0;  // of the repeated occurrence's opening quote
    std::size_t line = 0;    // 1-based
    std::size_t column = 0;  // 1-based, in bytes
};

// One JSON or JSONC text, edited in place. Not thread-safe (even const members may lay out the
// text after a series of edits); a moved-from Document may only be destroyed or assigned.
class ATOMFILE_JSON_API Document {
  public:
    // Validates text, in one pass without building a tree. Throws ParseError.
    static Document parse(std::string text, const ParseOptions& options = {});
    // nullopt and ec set (ParseError's code) when text is not JSON.
    static std::optional<Document> parse(std::string text, const ParseOptions& options,
                                         std::error_code& ec) noexcept;
    // The same over a text held elsewhere, never copied (a big file mapped with
    // atomfile::map_file, say): owner keeps text valid and unchanged, and the document and its
    // copies share it. pieces() never copies; text() of an unedited document copies it once.
    static Document parse_external(std::string_view text, std::shared_ptr<const void> owner,
                                   const ParseOptions& options = {});
    static std::optional<Document> parse_external(std::string_view text,
                                                  std::shared_ptr<const void> owner,
                                                  const ParseOptions& options,
                                                  std::error_code& ec) noexcept;
    // parse_external with the validation run on another thread while the caller goes on, so a
    // big file's edit can be written out while its text is checked. The document is usable at
    // once, but until validated() has returned true what its queries and edits give is
    // unspecified (they still end and never read out of bounds; on a text that is not valid
    // they may throw std::logic_error, std::out_of_range say, besides this library's errors),
    // and nothing made from it may be published. validated() waits for the check and returns true
    // when the text is valid and holds no duplicate keys: the document is then what parse_external
    // would have made, with every edit made since. It returns false otherwise; the caller discards
    // what it made and calls parse_external, which gives the error or the duplicates. Throws only
    // what starting a thread may throw (std::system_error).
    static Document parse_external_concurrently(std::string_view text,
                                                std::shared_ptr<const void> owner,
                                                const ParseOptions& options = {});
    // True at once for a document made any other way.
    bool validated() const;

    Document(Document&&) noexcept;
    Document& operator=(Document&&) noexcept;
    Document(const Document&);
    Document& operator=(const Document&);
    ~Document();

    // ---- reading. A missing path is not an error here: nullopt (contains() false). A path
    // that goes through a scalar, or uses a name as an array index, is missing too.
    bool contains(std::string_view path) const;
    // The value, converted. Throws OperationError for a number nlohmann cannot hold (1e400).
    std::optional<nlohmann::json> get(std::string_view path) const;
    // The value's bytes as written, comments inside it included.
    std::optional<std::string> get_text(std::string_view path) const;
    // The value printed in the document's style at the left margin, without comments.
    std::optional<std::string> print(std::string_view path) const;
    // These throw OperationError for a missing path or, for keys() and size(), a scalar.
    Type type(std::string_view path) const;
    // An object's member names in document order (unescaped).
    std::vector<std::string> keys(std::string_view path) const;
    // The number of members of an object or elements of an array.
    std::size_t size(std::string_view path) const;
    // RFC 6902 "test": whether the value at path equals value (numbers by value, objects in
    // any member order). Throws OperationError when path is missing.
    bool test(std::string_view path, const nlohmann::json& value) const;
    bool test_text(std::string_view path, std::string_view json) const;

    // ---- editing. Each edit is all or nothing.
    // Sets path to value, creating what is missing on the way: objects, or an array where the
    // next step is an index ([0] or "-": set(".new[0]", 1) gives "new": [1]).
    void set(std::string_view path, const nlohmann::json& value);
    void set(std::string_view path, const nlohmann::json& value, std::error_code& ec) noexcept;
    void set_text(std::string_view path, std::string_view json);
    // Removes the member or element at path; false (nothing done) when there is none.
    bool remove(std::string_view path);
    bool remove(std::string_view path, std::error_code& ec) noexcept;
    // Appends to the array at path, creating it (as set() does) when missing.
    void append(std::string_view path, const nlohmann::json& value);
    void append_text(std::string_view path, std::string_view json);
    // RFC 7396 JSON Merge Patch at the root: objects merge member by member, null removes.
    void merge(const nlohmann::json& patch);
    void merge(const nlohmann::json& patch, std::error_code& ec) noexcept;
    void merge_text(std::string_view json);
    // RFC 6902 JSON Patch (an array of operations), applied in order, all or nothing.
    void apply_patch(const nlohmann::json& patch);
    void apply_patch(const nlohmann::json& patch, std::error_code& ec) noexcept;
    void apply_patch_text(std::string_view json);

    // ---- the text.
    // The current text. Untouched bytes are the parsed text's.
    const std::string& text() const;
    // The same as up to three consecutive pieces, without laying the text out in one string
    // (a big file is written piece by piece with no copy).
    std::array<std::string_view, 3> pieces() const;
    // Whether text() differs from the parsed text.
    bool changed() const;

    // ---- layout.
    // The keys that appear more than once, in document order of their repeats.
    const std::vector<DuplicateKey>& duplicates() const;
    // The detected indent unit ("  ", "\t", ...) and whether lines are indented at all (false
    // for a one-line document, whose inserted values stay on one line).
    const std::string& indent() const;
    bool indented() const;
    // Overrides the indent unit of inserted values ("" lays them out on one line).
    void set_indent(std::string unit);
    // A JSON value (validated; throws ParseError) printed in this document's style.
    std::string format(std::string_view json) const;

  private:
    struct Impl;
    explicit Document(std::unique_ptr<Impl> impl);
    std::unique_ptr<Impl> impl_;
};

// Reads path, lets edit change the document, and replaces path with the result through
// AtomicFile, holding the update lock from the read to the commit (options.lock is forced on) so
// concurrent updates never lose each other's edits; replaced atomically and, as
// options.durability says, durably. Returns true when the file was written, false when the edit
// left the text byte for byte as it was: then nothing is written at all (no new inode, mtime
// unchanged, no backup).
//
// A missing or empty file starts as "{}", members inserted one per line with a two-space indent
// (and is created only when the edit changes it), unless
// options.missing_ok is false, which makes a missing file an atomfile::Error (step "open
// target", std::errc::no_such_file_or_directory).
// Throws atomfile::Error for I/O (atomfile/error.hpp), ParseError (with path() set) when the file
// is not JSON of parse_options' dialect, and whatever edit throws, which propagates unchanged;
// on any of these the file is untouched, but for one: an atomfile::Error with step "sync
// directory after replace" (is_replaced(), errc::replaced_not_durable) comes after the rename,
// and the new content is in place but may not survive a power cut. The error_code form returns
// false with ec set (a json or atomfile code; see the Errors paragraph above).
using Edit = std::function<void(Document&)>;
ATOMFILE_JSON_API bool update(const PathArg& path, const Edit& edit,
                              const ReplaceOptions& options = {},
                              const ParseOptions& parse_options = {});
ATOMFILE_JSON_API bool update(const PathArg& path, const Edit& edit, const ReplaceOptions& options,
                              const ParseOptions& parse_options, std::error_code& ec) noexcept;
ATOMFILE_JSON_API bool update(const PathArg& path, const Edit& edit, std::error_code& ec) noexcept;

}  // namespace atomfile::json

namespace std {
template <>
struct is_error_code_enum<atomfile::json::errc> : true_type {};
}  // namespace std
