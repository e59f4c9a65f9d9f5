// The staged tree as a whole: made durable in one barrier, or seeded with a copy of the old one.
// Both walk through directory descriptors only and never follow a symlink.
#pragma once

#include <string>

#include "platform/linux.hpp"

namespace atomfile::swap {

// fsyncs (fdatasyncs, for SyncKind::data, the files only) every regular file and directory of
// the tree whose root is open as root_fd, the calls issued concurrently (replace/batch_barrier)
// so that one journal commit covers many of them: in rounds of about a hundred directories
// with their files, so that a tree of any size needs only that many descriptors (plus its
// depth), not one per directory. Symlinks, FIFOs and the like are not opened
// (their entries are made durable by their directory's sync). Throws Error, step "sync temp
// file", naming the first file or directory that could not be opened, listed or synced; a
// file gone meanwhile is not an error. root_path names the tree in messages.
void sync_tree(int root_fd, const std::string& root_path, platform::SyncKind kind);

// Copies the tree open as from_fd into the empty directory open as to_fd (DirectorySwapOptions::
// copy_current says what is copied and how). Throws Error, step "populate staging directory",
// naming the entry (under to_path) that could not be copied.
void copy_tree(int from_fd, int to_fd, const std::string& to_path);

}  // namespace atomfile::swap
