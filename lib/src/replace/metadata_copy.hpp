// What the new file inherits: the old target's mode, owner, group and extended attributes
// (POSIX ACLs and security labels are xattrs on Linux), or a new file's mode.
#pragma once

#include <optional>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "platform/linux.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// The existing target, opened read-only once and kept: its content (for safe_update), its
// status (for conflict detection and metadata) and its xattrs all come from this descriptor.
struct Original {
    FileDescriptor fd;  // invalid when the target does not exist (or is a link not followed)
    std::optional<platform::FileStatus> status;  // of the target name (lstat)
};

// Opens the target as it stands. Refuses (Error) a target that is not a regular file, and one
// with other hard links under HardLinkPolicy::refuse; std::errc::file_exists under create_only.
Original open_original(const Target& target, const ReplaceOptions& options);

// The effective uid and gid, as copy_metadata and keeps_metadata compare them with the old
// file's owner.
struct Identity {
    unsigned uid = 0;
    unsigned gid = 0;
};

// Asks the kernel (two system calls).
Identity current_identity();

// While one lives, copy_metadata and keeps_metadata on this thread take the effective ids from
// it instead of asking the kernel for each file (a Batch reads them once, not per file). The
// caller must not change its effective ids during the scope. Scopes nest.
class IdentityScope {
  public:
    explicit IdentityScope(const Identity& ids) noexcept;
    ~IdentityScope();
    IdentityScope(const IdentityScope&) = delete;
    IdentityScope& operator=(const IdentityScope&) = delete;

  private:
    Identity ids_;
    const Identity* outer_;
};

// Applies owner, mode and xattrs to the temp, in the order that keeps setuid bits and file
// capabilities (write and chown clear them, so chown, then chmod, then xattrs). An owner or group
// the process may not give is reported to options.on_owner_not_kept, or under
// OwnerPolicy::strict fails with EPERM, step "copy owner to temp file".
void copy_metadata(const Original& original, int temp_fd, const Target& target,
                   const ReplaceOptions& options);

// Whether copy_metadata would give the new file the mode, owner and group old has (old being a
// regular file's status): false when keep_mode is off and the new mode differs, or when the
// owner is not kept and old is not the caller's. Extended attributes are not compared.
bool keeps_metadata(const platform::FileStatus& old, const ReplaceOptions& options);

}  // namespace atomfile::replace
