// Switching a symlink atomically: the deploy switch, and the symlink form of a directory swap.
#pragma once

#include <string>

#include "atomfile/swap.hpp"
#include "swap/swap_names.hpp"

namespace atomfile::swap {

// replace_symlink() on an open parent (no leftovers removed). Throws as replace_symlink.
void switch_link(int parent_fd, const SwapTarget& link, const std::string& target,
                 const SymlinkOptions& options);

// Removes the tree `name` in parent_fd that a swap replaced. Throws Error, step "remove old
// directory tree", path the tree, second path the entry that could not be removed.
void remove_old_tree(int parent_fd, const std::string& parent, const std::string& name);

}  // namespace atomfile::swap
