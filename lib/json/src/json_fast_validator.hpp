// The fast path of validate(): a structural index built 64 bytes at a time with vector
// instructions (SSE2, or AVX2 or AVX-512BW where the CPU has them), which gives up on anything
// unusual (the reference validator then reads the text). Apart because it is the speed-critical
// code, whose inlining is tuned within json_fast_validator_body.hpp.
#pragma once

#include <cstddef>
#include <optional>
#include <string_view>
#include <vector>

#include "json_scanner.hpp"

namespace atomfile::json::detail {

#if defined(__SSE2__)
// The vector instructions stage one can be built for. The fast path uses the widest the CPU has;
// each accepts and reports exactly what the others do.
enum class VectorWidth { sse2, avx2, avx512 };
// The widths this CPU can run, narrowest (SSE2, which every x86-64 has) first.
std::vector<VectorWidth> runnable_vector_widths();
// For tests: the width the fast path uses from now on (one runnable_vector_widths() gave), or,
// with nullopt, the widest again.
void force_vector_width(std::optional<VectorWidth> width);

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
