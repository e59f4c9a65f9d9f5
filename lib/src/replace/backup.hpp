// Keeping the previous version as NAME + suffix, atomically and without copying a byte.
//
// The backup is published BEFORE the replace:
//   1. the old inode is hard-linked under a temp name (".NAME.atomfile-XXXXXXXXXX");
//   2. that name is renamed over NAME + suffix;
//   3. only then does the commit rename the new file over NAME.
// Every step that can fail for a backup reason (a directory or someone else's file at the
// backup name, a name too long, a full directory) therefore fails while NAME still holds the
// old content, and the replace is abandoned with the target unchanged: no failure can leave the
// old content without a name. If step 3 itself fails, the target is unchanged and the backup
// name already holds a second link to it (the previous backup was replaced, as with coreutils'
// `mv --backup`, which also backs up before it moves). The backup name always holds a complete
// file: the previous backup, then the version being replaced.
#pragma once

#include <string>

#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// Checks, before anything is written, that a backup with this suffix can be kept. Throws Error
// with step "make backup" and the backup path as path:
//   - EINVAL: the suffix contains '/', or NAME + suffix would be mistaken for one of atomfile's
//     temp or lock names (remove_orphaned_temps would delete it), or is a symlink that was
//     followed to reach the target (the backup would replace the link the caller named);
//   - ENAMETOOLONG: NAME + suffix is longer than 255 bytes (NAME_MAX);
//   - EISDIR: a directory exists at NAME + suffix;
//   - EPERM: NAME + suffix belongs to another user in a sticky directory we do not own, so the
//     kernel would refuse to replace it (assumed allowed for root).
// An empty suffix (no backup) passes. Name checks are made only when the target exists.
void check_backup(const Target& target, const std::string& suffix);

// Steps 1 and 2 above; nothing when suffix is empty or the target does not exist. Re-checks
// with check_backup first (the directory may have changed since the file was opened). On
// failure the temp link is removed and the target is untouched. Throws Error (step
// "make backup", path the backup path).
void publish_backup(const Target& target, const std::string& suffix);

}  // namespace atomfile::replace
