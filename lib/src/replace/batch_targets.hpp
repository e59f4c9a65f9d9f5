// A Batch resolves its targets itself, walking each directory once instead of once per file
// (batch.cpp), and hands each target to the AtomicFile it constructs through this slot.
#pragma once

#include <string>

#include "atomfile/replace.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// What AtomicFile's constructor resolves its path with: resolve_target(path, options, true)
// (finding the transaction roots above it), unless a
// HandOver on this thread holds a target, which is then taken (once) instead.
Target resolve_for_open(const std::string& path, const ReplaceOptions& options);

// For its lifetime, the next resolve_for_open on this thread takes target. Not nestable.
class HandOver {
  public:
    explicit HandOver(Target& target) noexcept;
    ~HandOver();
    HandOver(const HandOver&) = delete;
    HandOver& operator=(const HandOver&) = delete;
};

}  // namespace atomfile::replace
