// Keeping the previous version as NAME + suffix, atomically and without copying a byte:
//   1. before the replace, the old inode is hard-linked under a temp name;
//   2. after the replace, that name is renamed over NAME + suffix.
// The backup name therefore always holds a complete file (the previous backup, then the
// previous version), and a failure before the replace undoes step 1, leaving the directory as
// it was.
#pragma once

#include <string>

#include "replace/target_resolution.hpp"

namespace atomfile::replace {

class Backup {
  public:
    // Step 1; does nothing when suffix is empty or the target does not exist. Throws Error
    // (step "make backup").
    Backup(const Target& target, const std::string& suffix);
    Backup(const Backup&) = delete;
    Backup& operator=(const Backup&) = delete;
    // Removes the temp link if finish() was not reached (or failed). Never throws.
    ~Backup();

    // Step 2. Throws Error (step "keep backup after replace").
    void finish();

  private:
    const Target& target_;
    std::string backup_name_;
    std::string temp_name_;
};

}  // namespace atomfile::replace
