// RFC 6902 JSON Patch, RFC 7396 JSON Merge Patch and value equality, as span edits on a
// Splicer.
#pragma once

#include <string_view>

#include "json_document.hpp"
#include "json_path.hpp"

namespace atomfile::json::detail {

// Applies an RFC 6902 patch (a validated JSON array of operations) in order. Throws
// OperationError naming the failing operation; the document may then hold part of the patch,
// so callers discard it (the command writes nothing on any failure).
void apply_patch(Splicer& document, std::string_view patch);

// Applies an RFC 7396 merge patch (a validated JSON value) to the value at path.
void apply_merge_patch(Splicer& document, const Path& path, std::string_view patch);

// RFC 6902 "test" equality of two validated values: numbers by value, strings after
// unescaping, objects regardless of member order.
bool json_equal(std::string_view a, std::string_view b);

}  // namespace atomfile::json::detail
