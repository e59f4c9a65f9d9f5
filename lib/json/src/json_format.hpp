// How a document is laid out, and printing new values in that layout.
//
// Inserted values should look as if the file's author had typed them: the document's indent
// unit, line ending and spacing around ':' are detected once and applied to every value the
// editor writes. Values are printed token by token from their JSON text, so numbers and string
// escapes keep their spelling (1.50 stays 1.50, 1e400 stays 1e400).
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace atomfile::json::detail {

struct Style {
    std::string indent = "  ";   // one level; empty means "one line"
    std::string newline = "\n";  // "\r\n" for CRLF files
    std::string colon = ": ";    // between a key and its value
    std::string comma = ", ";    // between members on one line
    bool indented = false;       // the document has indented lines (indent was detected)
};

// Detects the layout of a validated document from its first 64 KiB. The spacing after ',' is the
// first one written between tokens on one line; with none, it follows the colon (":" gives ",").
Style detect_style(std::string_view text);

// Prints a validated JSON value. multiline: one member per line, nested levels one indent unit
// deeper than base (the indentation of the line it starts on); otherwise everything on one line.
// Comments, whitespace and trailing commas inside the value are dropped; tokens are copied as
// written.
std::string reformat(std::string_view value, const Style& style, std::string_view base,
                     bool multiline);

// A JSON string literal for text: quotes, backslashes and control characters escaped, other
// bytes copied (callers validate the result when text may not be UTF-8).
std::string quote(std::string_view text);

// The whitespace that starts the line containing pos.
std::string_view line_indent(std::string_view text, std::size_t pos);
// Whether text holds only JSON whitespace.
bool is_blank(std::string_view text);

}  // namespace atomfile::json::detail
