// What a swap is named and where: the target split into its directory and name, and the names
// of the staging directories and temp links beside it, recognised again as leftovers.
#pragma once

#include <string>
#include <string_view>

#include "atomfile/error.hpp"

namespace atomfile::swap {

// A swap's target: its absolute path, the directory holding it and its last component.
struct SwapTarget {
    std::string path;
    std::string parent;
    std::string name;
};

// Splits path (made absolute, trailing slashes dropped, so "site/" names the entry "site"
// itself rather than what a symlink there points to). A path whose last component is empty,
// "." or ".." cannot be swapped: EINVAL with step.
SwapTarget split_target(const std::string& path, Step step);

// ".NAME.atomfile-swap-": staging directories (and, in the symlink form, the versions).
std::string staging_prefix(const std::string& name);
// ".NAME.atomfile-link-": temp symlinks.
std::string link_prefix(const std::string& name);
// Whether entry is prefix followed by exactly one random name's characters.
bool is_named_like(std::string_view entry, std::string_view prefix);

}  // namespace atomfile::swap
