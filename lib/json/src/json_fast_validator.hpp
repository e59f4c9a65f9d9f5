// The fast path of validate(): a structural index built 64 bytes at a time with SSE2, which gives
// up on anything unusual (the reference validator then reads the text). Apart because it is the
// speed-critical code, whose inlining is tuned within json_fast_validator.cpp.
#pragma once

#include <cstddef>
#include <string_view>

#include "json_scanner.hpp"

namespace atomfile::json::detail {

#if defined(__SSE2__)
// validate_fast()'s pass over the whole text: false when it gives up (report then unspecified).
bool run_fast_validator(std::string_view text, std::size_t max_depth, Dialect dialect,
                        ScanReport& report);
// validate_halves()'s passes once it has chosen split: [0, split) on this thread and
// [split, end) on another, then joined. False when either gives up, no thread can be had, or
// the halves disagree; when true, the report is run_fast_validator()'s.
bool run_fast_validator_halves(std::string_view text, std::size_t max_depth, Dialect dialect,
                               std::size_t split, ScanReport& report);
#endif

}  // namespace atomfile::json::detail
