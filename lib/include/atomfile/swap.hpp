// Swapping a whole directory, or a symlink, in one atomic step.
//
//     atomfile::replace_directory("site", [](const std::string& staging) {
//         atomfile::write_atomic(staging + "/index.html", page);  // fill the fresh directory
//     });
//     atomfile::replace_symlink("current", "releases/42");        // ln -sfn, atomically
//
// replace_directory(DIR, populate). What is guaranteed: every reader that opens DIR sees the
// whole old tree or the whole new one, never a mix; when the call returns normally, the new tree
// is in place and (unless Durability::none) survives a power cut. The protocol:
//   1. leftovers of earlier swaps of DIR that crashed are removed (remove_swap_leftovers);
//   2. a staging directory is created beside DIR, named `.NAME.atomfile-swap-XXXXXXXXXX` (NAME
//      being DIR's last component, X random), owned by the caller, with DIR's permission bits
//      (0755 & ~umask when DIR does not exist yet); the call holds a flock on it, so that no
//      other process takes it for a leftover;
//   3. with copy_current, DIR's current content is copied into it (see copy_current below);
//   4. populate(staging) is called with the staging directory's absolute path;
//   5. every regular file of the staged tree is fsync()ed (fdatasync()ed for Durability::data),
//      all of them concurrently so that the journal commits many files per flush, and so is
//      every directory of the tree; Durability::none skips this step and step 7;
//   6. the staging directory is exchanged with DIR by one renameat2(RENAME_EXCHANGE) (a rename
//      without replacing when DIR does not exist);
//   7. DIR's parent directory is fsync()ed;
//   8. the old tree, now at the staging name, is removed through directory descriptors, never
//      following a symlink and never entering another mount (as TemporaryDirectory's removal).
// A crash (or kill) at any moment leaves DIR whole, old or new, plus possibly a directory at a
// staging name: the next replace_directory of DIR, or remove_swap_leftovers(DIR), removes it.
// Two swaps of the same DIR at once are not serialised: each is atomic, the last one wins.
//
// DIR must be a directory (or not exist; its parent must). A symlink at DIR is refused (ELOOP,
// step "exchange directories") unless symlink_form is set, a file of another kind too (ENOTDIR).
//
// RENAME_EXCHANGE. It needs Linux 3.15 and a file system that implements it (ext4, XFS, btrfs,
// tmpfs, f2fs do; some FUSE file systems, overlayfs in some setups and NFS do not). Where it is
// refused, the call fails with EINVAL (step "exchange directories", whose words say so),
// leaving DIR untouched and no staging directory behind. The caller may then opt in to the
// symlink form.
//
// The symlink form (symlink_form = true). DIR is a symlink to a versioned directory beside it
// (or, when missing, becomes one): the new tree is staged as above, at a name that becomes the
// new version, then DIR is switched to it by replace_symlink, which needs only rename(2). The
// previous version is removed when it is one of ours (a `.NAME.atomfile-swap-` directory beside
// DIR; when DIR's link could not be read, the leftovers remove_swap_leftovers() would remove),
// also when the directory sync after the switch fails; a target of the caller's own
// (`releases/41`) is left alone. A DIR that is a real
// directory is still swapped by exchange. Readers that resolve DIR once see one whole version;
// one that resolves it again mid-walk (a path per file) may see both versions, so a reader
// opens the directory once and works relative to it (openat).
//
// Errors: atomfile::Error (a std::system_error), its code's step and errno:
//   - "open target directory": DIR's parent cannot be opened. Nothing was done.
//   - "resolve target": what is at DIR cannot be inspected (a parent without search
//     permission, EACCES). Nothing was done (the same for replace_symlink's LINK).
//   - "create staging directory": the staging directory could not be made (EACCES, ENOSPC...).
//   - "populate staging directory": copy_current failed (the path names the entry; EOPNOTSUPP
//     for a FIFO, socket or device, which is never opened), or populate replaced the staging
//     directory itself (removed it and made another, or a symlink, at its name: EINVAL), which
//     must be filled, not replaced.
//   - "sync temp file": a staged file or directory could not be synced (or opened to be).
//   - "exchange directories": the exchange (or rename) failed: EINVAL where RENAME_EXCHANGE is
//     not supported, EPERM in a sticky directory for a DIR that is not the caller's, EXDEV...
//   - an exception thrown by populate propagates unchanged (the error_code overload reports a
//     std::system_error's code, or ECANCELED with step "populate staging directory" for any
//     other exception).
// For all of those, DIR is untouched and the staging directory has been removed.
//   - "sync directory after replace" (errc::replaced, errc::replaced_not_durable): DIR HAS the
//     new tree; the parent's fsync failed, so whether the swap survives a power cut is unknown.
//     The old tree is still removed.
//   - "remove old directory tree": DIR HAS the new tree (durably), but the old tree could not be
//     removed entirely (a mount inside it, EBUSY; a permission); the path names what is left,
//     which the next swap of DIR removes where it can.
// is_swapped(code) is true for the last two. The error_code overloads never throw and report
// exactly the code the throwing form would throw.
//
// replace_symlink(LINK, TARGET): LINK becomes a symlink holding TARGET (any text; relative
// targets are resolved from LINK's directory, as with ln -s), atomically: a reader resolving
// LINK sees the old target or the new one, never a missing name. A temp symlink
// `.NAME.atomfile-link-XXXXXXXXXX` is made beside LINK, renamed over LINK, and LINK's directory
// is fsync()ed (not with Durability::none). Leftover temp links of a crash are removed by the
// next call for the same LINK. A LINK that exists and is not a symlink is refused, untouched:
// EISDIR for a directory, EEXIST for anything else (step "rename temp symlink over target"),
// unless replace_other is set: a file is then replaced by the rename, a directory exchanged
// with the temp link (RENAME_EXCHANGE) and its tree removed as in step 8 above (this turns a
// real DIR into the symlink form). Errors: "create temp symlink" (nothing changed), "rename temp
// symlink over target" (nothing changed), "sync directory after replace" (LINK HAS been
// replaced; errc::replaced), "remove old directory tree" (LINK HAS been replaced).
#pragma once

#include <functional>
#include <string>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"

namespace atomfile {

struct DirectorySwapOptions {
    // full: fsync every staged file and directory and the parent; data: fdatasync the files;
    // none: no syncs (atomic for readers and against a crash of the process, not a power cut).
    Durability durability = Durability::full;
    // Seed the staging directory with a copy of DIR's current content before populate runs:
    // directories, regular files and symlinks (copied as symlinks, never followed), with their
    // permission bits; the owner and group too when the caller may set them (otherwise the
    // caller owns the copies and setuid/setgid bits are dropped). File data is shared with
    // the original by a reflink (FICLONE) where the file system has them, otherwise copied
    // (copy_file_range). Hard links become separate files; timestamps and extended attributes
    // are not copied. A FIFO, socket or device inside DIR fails the swap (EOPNOTSUPP).
    bool copy_current = false;
    // Use the symlink form (see above) when DIR is a symlink or does not exist yet.
    bool symlink_form = false;
};

struct SymlinkOptions {
    // full or data: fsync LINK's directory after the rename; none: do not.
    Durability durability = Durability::full;
    // Replace a file or directory at LINK instead of refusing it.
    bool replace_other = false;
};

// Called with the staging directory's absolute path; throws to abandon the swap.
using PopulateDirectory = std::function<void(const std::string& staging)>;

ATOMFILE_API void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                                    const DirectorySwapOptions& options = {});
ATOMFILE_API void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                                    std::error_code& ec) noexcept;
ATOMFILE_API void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                                    const DirectorySwapOptions& options,
                                    std::error_code& ec) noexcept;

ATOMFILE_API void replace_symlink(const PathArg& link, const std::string& target,
                                  const SymlinkOptions& options = {});
ATOMFILE_API void replace_symlink(const PathArg& link, const std::string& target,
                                  std::error_code& ec) noexcept;
ATOMFILE_API void replace_symlink(const PathArg& link, const std::string& target,
                                  const SymlinkOptions& options, std::error_code& ec) noexcept;

// Removes what crashed swaps of path left beside it: `.NAME.atomfile-swap-XXXXXXXXXX`
// directories and `.NAME.atomfile-link-XXXXXXXXXX` symlinks in path's directory that belong to
// the caller (another user's entry at such a name is left alone), except one a running swap
// holds (its flock) and the version a symlink at path points to. Trees are removed as in step 8
// of replace_directory. Returns how many entries were removed; throws the first failure (after
// removing what it can). A missing path or directory is not an error.
ATOMFILE_API int remove_swap_leftovers(const PathArg& path);
ATOMFILE_API int remove_swap_leftovers(const PathArg& path, std::error_code& ec) noexcept;

// Whether a failed swap (replace_directory, replace_symlink) HAS put the new tree or link in
// place: steps "sync directory after replace" and "remove old directory tree".
ATOMFILE_API bool is_swapped(const std::error_code& code) noexcept;

}  // namespace atomfile
