// The steps after the data is written: metadata, sync, the conflict check, the backup (made
// before the rename), the rename and the directory sync. See atomfile/replace.hpp for the
// guarantees and docs/durability.md for why each step is there.
#pragma once

#include <functional>

#include "atomfile/replace.hpp"
#include "replace/backup.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/replace_temp.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// fsync or fdatasync per the durability level; a failure is final (never retried).
void sync_file(int fd, Durability durability, const Target& target);

// Fails with conflict_error() when the target name no longer refers to what was opened.
void check_unchanged(const Original& original, const Target& target);

// ReplaceOptions::skip_unchanged: true when publishing file_fd would change nothing, so the
// commit may be skipped. Always false without the option, for a missing or non-regular target,
// when the metadata would change (keeps_metadata), or when the target name no longer holds the
// file opened. Compares sizes, then the bytes of both descriptors in fixed-size pieces with
// pread (neither file offset moves). Errors: Step::inspect_temp or step "read target".
bool changes_nothing(int file_fd, const Original& original, const Target& target,
                     const ReplaceOptions& options);

// Publishes the temp at the target name: rename over it, or under create_only a no-replace
// link or rename.
void publish(ReplaceTemp& temp, const Target& target, const ReplaceOptions& options);

// The protocol once the new content is in file_fd, in order: metadata, sync, conflict check,
// publish_backup (before the replace: see backup.hpp), publish_new() (which puts the new file at
// the target name), sync_directory. The one sequence behind every way of committing.
void commit_file(int file_fd, const Original& original, const Target& target,
                 const ReplaceOptions& options, const std::function<void()>& publish_new);

// commit_file for the engine's own temp, published with publish().
void commit_temp(ReplaceTemp& temp, const Original& original, const Target& target,
                 const ReplaceOptions& options);

// After the replace: fsync of the directory. Where the directory could only be opened O_PATH
// (Target::dir_path_only), or its file system cannot sync directories (fsync fails with
// EINVAL: FUSE, some network file systems), syncfs of its file system instead, through file_fd
// (the new file) or, when that is -1, a descriptor opened on the target name. Errors have step
// "sync directory after replace", for which is_replaced() is true.
void sync_directory(const Target& target, Durability durability, int file_fd = -1);

}  // namespace atomfile::replace
