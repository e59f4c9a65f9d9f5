#include "replace/batch_targets.hpp"

#include <utility>

namespace atomfile::replace {
namespace {

thread_local Target* handed_over = nullptr;

}  // namespace

Target resolve_for_open(const std::string& path, const ReplaceOptions& options) {
    if (handed_over == nullptr) return resolve_target(path, options, true);
    Target target = std::move(*handed_over);
    handed_over = nullptr;
    return target;
}

HandOver::HandOver(Target& target) noexcept {
    handed_over = &target;
}

HandOver::~HandOver() {
    handed_over = nullptr;
}

}  // namespace atomfile::replace
