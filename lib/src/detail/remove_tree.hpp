// Recursive removal that cannot be redirected outside the tree.
//
// The walk goes through directory descriptors only: each entry is first unlinked as a file
// (which removes a symlink itself, never its target); only when the kernel says it is a
// directory is it opened, with O_NOFOLLOW, and emptied through that descriptor. If an entry is
// swapped for a symlink between those steps, the open refuses it and the next round unlinks the
// link. Permissions are repaired through the directory's own descriptor (fchmod), or for a
// directory that cannot even be opened, with a chmod that refuses symlinks.
// Each level of depth holds one descriptor while its subtree is removed, so a tree deeper than
// the descriptor limit fails there with EMFILE (reported like any other failure).
// The walk never crosses into another mount (another file system, or a bind mount of the same
// one, path itself included): a mount point is skipped, neither emptied nor unmounted, and
// reported as a failure with EBUSY; a file with something mounted over it likewise.
#pragma once

#include <string>

namespace atomfile::detail {

// Removes path and everything below it. A path that does not exist is not an error. Removes all
// it can, then throws the first failure (atomfile::Error naming the step and the entry's path;
// EBUSY and the mount point's path for a skipped mount) unless ignore_errors is true.
void remove_tree(const std::string& path, bool ignore_errors);
// The same for the entry `name` of the open directory parent_fd, so that no path is resolved
// again; `path` names the entry in errors.
void remove_tree_at(int parent_fd, const std::string& name, const std::string& path,
                    bool ignore_errors);

}  // namespace atomfile::detail
