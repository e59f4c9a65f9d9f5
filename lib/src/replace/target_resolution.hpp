// Finding the file a replace acts on, and the directory its temp must live in.
#pragma once

#include <optional>
#include <string>

#include "atomfile/file_descriptor.hpp"
#include "platform/posix.hpp"

namespace atomfile::replace {

struct Target {
    std::string path;       // directory + "/" + name, as reported in errors and target_path()
    std::string directory;  // the directory holding the final name
    std::string name;       // one path component
    FileDescriptor dir;     // that directory, opened once: every later call is relative to it
    // lstat of the final name when it exists (a symlink only when links are not followed).
    std::optional<platform::FileStatus> status;
};

// Follows symlinks (at most 40) when follow is true, so the file a link points at is replaced in
// its own directory and the link stays; with follow false the final name itself is the target.
// A dangling link, followed, names a new file at the link's destination. Throws Error
// (step "resolve target" or "open target directory").
Target resolve_target(const std::string& path, bool follow);

// Re-reads the status of the final name (std::nullopt when it is gone). Throws on other errors.
std::optional<platform::FileStatus> stat_target(const Target& target);

bool same_inode(const platform::FileStatus& a, const platform::FileStatus& b);

}  // namespace atomfile::replace
