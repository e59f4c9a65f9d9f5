// The fast validator, built once per instruction set stage one can use (SSE2, AVX2, AVX-512BW)
// from one text, json_fast_validator_body.hpp, and the choice among them at run time. Apart from
// the reference validator and the walkers because it is the speed-critical code, whose steps are
// forced inline within each version.
#include "json_fast_validator.hpp"

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <cstring>
#include <deque>
#include <future>
#include <memory>
#include <string>
#include <system_error>
#include <unordered_set>
#include <vector>

#include "json_scan_support.hpp"

#if defined(__SSE2__)
// The wider versions need GCC's or Clang's per-function targets: the build itself targets any
// x86-64, so only the functions of those versions may use AVX2 or AVX-512, and only once the CPU
// is known to have it.
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#define ATOMFILE_WIDE_VECTORS 1
#include <immintrin.h>
#if defined(__clang__)
#define ATOMFILE_BEGIN_TARGET(features) \
    _Pragma(ATOMFILE_STRINGIFY(         \
        clang attribute push(__attribute__((target(features))), apply_to = function)))
#define ATOMFILE_END_TARGET() _Pragma("clang attribute pop")
#else
#define ATOMFILE_BEGIN_TARGET(features) \
    _Pragma("GCC push_options") _Pragma(ATOMFILE_STRINGIFY(GCC target(features)))
#define ATOMFILE_END_TARGET() _Pragma("GCC pop_options")
#endif
#define ATOMFILE_STRINGIFY(...) #__VA_ARGS__
#endif

namespace atomfile::json::detail {

namespace {

namespace sse2 {
#define ATOMFILE_CLASSIFY_BYTES 16
#include "json_fast_validator_body.hpp"
#undef ATOMFILE_CLASSIFY_BYTES
}  // namespace sse2

#if defined(ATOMFILE_WIDE_VECTORS)
ATOMFILE_BEGIN_TARGET("avx2,pclmul")
namespace avx2 {
#define ATOMFILE_CLASSIFY_BYTES 32
#include "json_fast_validator_body.hpp"
#undef ATOMFILE_CLASSIFY_BYTES
}  // namespace avx2
ATOMFILE_END_TARGET()

ATOMFILE_BEGIN_TARGET("avx512f,avx512bw,pclmul")
namespace avx512 {
#define ATOMFILE_CLASSIFY_BYTES 64
#include "json_fast_validator_body.hpp"
#undef ATOMFILE_CLASSIFY_BYTES
}  // namespace avx512
ATOMFILE_END_TARGET()
#endif

// Both need the carry-less product for prefix_xor; the CPU must also let programs use the
// registers (cpu_supports checks that the OS saves them).
VectorWidth detect_widest_runnable() {
#if defined(ATOMFILE_WIDE_VECTORS)
    __builtin_cpu_init();
    if (__builtin_cpu_supports("pclmul")) {
        if (__builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw"))
            return VectorWidth::avx512;
        if (__builtin_cpu_supports("avx2")) return VectorWidth::avx2;
    }
#endif
    return VectorWidth::sse2;
}

VectorWidth widest_runnable() {
    static const VectorWidth widest = detect_widest_runnable();
    return widest;
}

constexpr int not_forced = -1;
std::atomic<int> forced_width{not_forced};

VectorWidth chosen_width() {
    const int forced = forced_width.load(std::memory_order_relaxed);
    return forced != not_forced ? static_cast<VectorWidth>(forced) : widest_runnable();
}

// A version's validator type, passed as a value to a generic lambda.
template <class Validator>
struct Version {
    using type = Validator;
};

// run(Version<V>{}) for the validator V of the chosen width: the one place that dispatches.
template <class Run>
bool with_chosen_version(Run run) {
    switch (chosen_width()) {
#if defined(ATOMFILE_WIDE_VECTORS)
        case VectorWidth::avx512:
            return run(Version<avx512::FastValidator>{});
        case VectorWidth::avx2:
            return run(Version<avx2::FastValidator>{});
#endif
        default:
            return run(Version<sse2::FastValidator>{});
    }
}

template <class Validator>
bool run_halves(std::string_view text, std::size_t max_depth, Dialect dialect, std::size_t split,
                ScanReport& report) {
    Validator head(text, max_depth, dialect), tail(text, max_depth, dialect);
    ScanReport head_report, tail_report;
    std::future<bool> tail_done;
    try {
        tail_done =
            std::async(std::launch::async, [&] { return tail.run_tail(tail_report, split); });
    } catch (const std::system_error&) {  // no thread to be had: one pass does it all
        return false;
    }
    bool head_ok = head.run_head(head_report, split);
    bool tail_ok = tail_done.get();
    return head_ok && tail_ok && Validator::join(head, tail, report);
}

}  // namespace

std::vector<VectorWidth> runnable_vector_widths() {
    std::vector<VectorWidth> widths{VectorWidth::sse2};
    const VectorWidth widest = widest_runnable();
    if (widest >= VectorWidth::avx2) widths.push_back(VectorWidth::avx2);
    if (widest >= VectorWidth::avx512) widths.push_back(VectorWidth::avx512);
    return widths;
}

void force_vector_width(std::optional<VectorWidth> width) {
    forced_width.store(width ? static_cast<int>(*width) : not_forced, std::memory_order_relaxed);
}

bool run_fast_validator(std::string_view text, std::size_t max_depth, Dialect dialect,
                        ScanReport& report) {
    return with_chosen_version([&](auto version) {
        using Validator = typename decltype(version)::type;
        return Validator(text, max_depth, dialect).run(report);
    });
}

bool run_fast_validator_halves(std::string_view text, std::size_t max_depth, Dialect dialect,
                               std::size_t split, ScanReport& report) {
    return with_chosen_version([&](auto version) {
        using Validator = typename decltype(version)::type;
        return run_halves<Validator>(text, max_depth, dialect, split, report);
    });
}

}  // namespace atomfile::json::detail
#endif
