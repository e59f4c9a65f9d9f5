// A unified diff (diff -u format) of two texts, for json-edit --diff.
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace atomfile::json {

// The hunks that turn old_text into new_text with `context` lines around each change, under
// "--- old_label" / "+++ new_label" headers; empty when the texts are equal. Lines are compared
// exactly (a CR stays part of its line). A change too large to align line by line (more than
// max_edits inserted plus deleted lines) is shown as one replaced block.
std::string unified_diff(std::string_view old_text, std::string_view new_text,
                         std::string_view old_label, std::string_view new_label,
                         std::size_t context = 3, std::size_t max_edits = 4000);

}  // namespace atomfile::json
