// The steps after the data is written: metadata, sync, the conflict check, the backup, the
// rename and the directory sync. See atomfile/replace.hpp for the guarantees and
// docs/durability.md for why each step is there.
#pragma once

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

// Publishes the temp at the target name: rename over it, or under create_only a no-replace
// link or rename.
void publish(ReplaceTemp& temp, const Target& target, const ReplaceOptions& options);

// After the replace: finishes the backup, then syncs the directory (even when the backup failed,
// whose error is then reported). Errors from here have a step for which is_replaced() is true.
void finish_replace(Backup& backup, const Target& target, Durability durability);

// Everything from metadata to directory sync, in order.
void commit_temp(ReplaceTemp& temp, const Original& original, const Target& target,
                 const ReplaceOptions& options);

// fsync of the directory, tolerating EINVAL from file systems that cannot sync directories.
void sync_directory(const Target& target, Durability durability);

}  // namespace atomfile::replace
