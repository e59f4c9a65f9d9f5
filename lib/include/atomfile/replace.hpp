// The replace engine: write_atomic, safe_update and AtomicFile.
//
// The guarantee. Whatever happens during a replace — the process is killed, the machine loses
// power, the disk fills or fails, another process replaces the same file — a reader of the
// target sees either its complete old content or its complete new content. When a replace
// returns successfully with Durability::full or ::data, the new content survives a power cut.
//
// The protocol (docs/durability.md explains each step):
//   1. resolve the target one path component at a time (following symlinks unless
//      follow_symlinks is false; a link planted by another user in a sticky world-writable
//      directory, anywhere in the path, is refused, see protected_symlinks, and so is a file
//      another user created in such a directory, see protected_regular); on the way, look for
//      a transaction staging directory (transaction.hpp) in the target's directory and each
//      ancestor up to "/" or another file system: where one of the caller's or root's is found,
//      recover() that root first, which waits for a live transaction on it and finishes or
//      undoes a crashed one, so the transaction's journal cannot later overwrite this replace.
//      Another user's staging directory is ignored;
//   2. create the temp in the target's own directory: an O_TMPFILE where the file system allows
//      it, otherwise an exclusive, 0600, randomly named ".NAME.atomfile-XXXXXXXXXX" file;
//   3. write all data (short writes and EINTR survived);
//   4. copy owner, group, mode and extended attributes from the old target, in that order
//      (chown and write clear setuid bits and file capabilities), or apply the new file's mode;
//   5. fsync (or fdatasync) the temp; with backup_suffix, publish the backup (below);
//   6. rename it over the target. An O_TMPFILE is first linked under a temp name, because
//      linkat cannot replace a name: a crash between that link and the rename (two adjacent
//      system calls) leaves a named temp that remove_orphaned_temps recognises. create_only
//      links an O_TMPFILE straight at the target (no temp name ever exists) or renames with
//      RENAME_NOREPLACE, falling back to link + unlink where that is unsupported;
//   7. fsync the directory. A directory fsync failing with EINVAL (file systems that cannot
//      sync directories) counts as done; docs/durability.md says where that happens. A
//      directory the caller may write but not read (mode 0733) is used through an O_PATH
//      descriptor, which cannot be fsync()ed: there the file system is synced (syncfs) instead.
// The target is never opened for writing, the temp never lives in $TMPDIR, and there is never
// a copy fallback.
//
// Errors. Every failure throws atomfile::Error naming the step and the path, keeping errno:
//   - before step 6: the target is unchanged, byte for byte and in its metadata, and the temp
//     is gone;
//   - in step 7: the file HAS been replaced but its durability is unknown; the error's step is
//     "sync directory after replace" and is_replaced_but_not_durable(e) is true;
//   - a backup is published before step 6, so every backup failure (step "make backup", path
//     the backup path) leaves the target unchanged; is_replaced(e) is true for step 7 only. A
//     backup name that cannot work is refused when the file is opened, before anything is
//     written (see backup_suffix). If step 6 fails after the backup was published, the target
//     is unchanged and the backup name holds a second link to it;
//   - a failed fsync is never retried into a success (after EIO the kernel may have dropped
//     the data).
// Before anything is created the target is checked: a directory fails with EISDIR, another
// non-regular file (FIFO, device, socket) with EINVAL, both step "replace a target that is not a
// regular file"; nothing is ever opened for writing there.
// Special error values: std::errc::file_exists for create_only on an existing target,
// std::errc::timed_out when the lock wait ran past lock_timeout (with Step::lock_root, path the
// root's lock file, second path the target: a transaction on a root above the target held its
// lock that long; errc::lock_timeout is the update lock's only), and conflict_error() when
// detect_conflicts found the target replaced behind our back. The error_code overloads report
// the same code as Error::code(), so these outcomes compare with atomfile::errc (error.hpp):
// errc::replaced_not_durable (step 7), errc::target_exists, errc::lock_timeout,
// errc::lock_deadlock, errc::lock_untrusted, errc::conflict, errc::backup_failed.
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "atomfile/error.hpp"
#include "atomfile/export.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

enum class Durability {
    full,  // fsync the temp, rename, fsync the directory (default)
    data,  // fdatasync the temp, rename, fsync the directory
    none   // no syncs: safe against process crashes only, not power cuts
};

// What to do when the target has several hard links.
// The only atomic replace is a rename, which gives the name a new inode; the other names keep
// the old one. Rewriting the shared inode in place would keep the links but is not atomic (a
// reader or a crash can see half a file), so atomfile does not offer it.
enum class HardLinkPolicy {
    break_link,  // default: the target name gets the new content; the other names keep the old
                 // inode and content
    refuse,      // fail with std::errc::too_many_links (step "replace a target that has other
                 // hard links") before anything is written
};

// What to do with the owner and group of an existing target. Only root (CAP_CHOWN) may give a
// file away; any user may give their own file a group they belong to. A user who may write the
// directory but does not own the old target therefore cannot keep its owner, and neither can
// root in a user namespace (a rootless container) for a file of a user the namespace does not
// map (fchown fails with EINVAL, taken as EPERM).
enum class OwnerPolicy {
    keep_if_permitted,  // default: keep owner and group where the process may; what it may not
                        // keep is reported to ReplaceOptions::on_owner_not_kept and the replace
                        // goes on (the new file is the caller's, as with the shell's rm + >)
    strict,             // keep both or refuse: std::errc::operation_not_permitted, step "copy
                        // owner to temp file", before the rename (the target is unchanged)
    ignore,             // do not try: the new file belongs to the caller, nothing is reported
};

// The owner or group an existing target had and the new file did not get
// (OwnerPolicy::keep_if_permitted).
struct OwnerNotKept {
    std::string path;  // the target
    unsigned old_uid = 0, old_gid = 0;
    unsigned new_uid = 0, new_gid = 0;  // what the new file got instead
    bool owner_kept = false;            // false: new_uid differs from old_uid
    bool group_kept = false;            // false: new_gid differs from old_gid
};

// How a replace is done. The fields fall into seven concerns, in this order:
//   durability          durability
//   content             skip_unchanged
//   target resolution   follow_symlinks, protected_symlinks, protected_regular, create_only,
//                       missing_ok
//   metadata            mode, keep_mode, keep_owner, owner_policy, on_owner_not_kept,
//                       keep_xattrs, hard_links
//   backup              backup_suffix
//   locking             lock, lock_timeout, cancel_lock_wait, detect_conflicts
//   in-place fallback   in_place_fallback, undo_directory, on_in_place_fallback
// Set them by field (options.lock = true) or with the chainable setters below the fields, one
// with_FIELD per field, grouped the same way (temporary_file.hpp says why this form):
//     write_atomic(path, data, ReplaceOptions().with_backup_suffix("~").with_lock(true));
struct ReplaceOptions {
    // --- Durability.
    Durability durability = Durability::full;

    // --- Content: whether a write that changes nothing happens at all.
    // When the new bytes equal the target's old content, write nothing: commit() drops the temp
    // and releases the lock with no sync, no backup and no rename, so the file keeps its inode,
    // mtime, ctime, owner, extended attributes and hard links, and watchers, make and rsync see
    // no write. AtomicFile::replaced(), write_atomic and safe_update report whether the target
    // was replaced. Compared at commit, in constant memory: sizes first, then the bytes, read
    // through the descriptor held since open (the content the lock protects). The write is
    // still done, as if this were false, when
    //   - the target does not exist, or is a symlink replaced itself (follow_symlinks false):
    //     a missing or non-regular target is never unchanged;
    //   - the options would change the file's metadata: keep_mode false with a mode (mode, or
    //     0666 & ~umask) other than the file's, or keep_owner false / OwnerPolicy::ignore on a
    //     file whose owner or group is not the caller's (the new file would be the caller's).
    //     keep_xattrs false alone is not a change: a skipped write keeps the file's xattrs;
    //   - the target name no longer holds the file opened (replaced meanwhile by a writer that
    //     does not take the lock): the new content is not there, so it is written.
    // Errors reading either file fail the commit (step "read target" or "inspect temp file")
    // and leave the target unchanged.
    bool skip_unchanged = false;

    // --- Target resolution: which file is replaced, and whether it may or must exist.
    // Follow a symlinked target and replace the file it points to (in that file's directory),
    // leaving the link in place. false replaces the symlink itself with a regular file.
    bool follow_symlinks = true;
    // Apply the kernel's fs.protected_symlinks rule to every link followed, whatever the
    // sysctl says (atomfile resolves links itself, so the kernel's own check never runs): a
    // link in a sticky, world-writable directory such as /tmp is followed only when it belongs
    // to the effective uid or to the directory's owner. Every hop counts: the final name, a
    // link in the directory part of the path ("/tmp/planted-dir/file") and links met inside
    // a link's destination. Otherwise the replace fails before anything is written with
    // std::errc::permission_denied, step "resolve target", the link as path and its owner
    // named in the message. Holds for root and for dangling links, which would otherwise make
    // us create the file another user chose. false follows every link.
    bool protected_symlinks = true;
    // Apply the kernel's fs.protected_regular rule (its value 1), whatever the sysctl says: an
    // existing regular target in a sticky, world-writable directory is replaced only when it
    // belongs to the effective uid or to the directory's owner. Otherwise another user could
    // create the name in advance and receive our content (the new file keeps the old owner),
    // so the replace fails before anything is written with std::errc::permission_denied, step
    // "resolve target", the file as path and the message naming its owner ("owned by uid N
    // ... (protected_regular)"). Holds for root, as the shell's `>` does with the sysctl on.
    // Not checked with create_only, which refuses any existing target. false replaces it.
    bool protected_regular = true;
    // Fail with std::errc::file_exists if the target exists.
    bool create_only = false;
    // For safe_update and AtomicFile: a missing target reads as empty (true) or fails with
    // std::errc::no_such_file_or_directory, step "open target" (false).
    bool missing_ok = true;

    // --- Metadata: mode, owner, extended attributes and hard links of the new file.
    // Mode of a newly created target (or of any target when keep_mode is false); empty means
    // 0666 & ~umask. Never the temp's 0600.
    std::optional<unsigned> mode;
    // Copy from an existing target. Each can be turned off.
    bool keep_mode = true;
    bool keep_owner = true;  // as owner_policy says; false is OwnerPolicy::ignore whatever
                             // owner_policy is
    OwnerPolicy owner_policy = OwnerPolicy::keep_if_permitted;
    // Told, during commit and before the rename, when the owner or group of the old target was
    // not kept under OwnerPolicy::keep_if_permitted (empty: nobody is told). An exception it
    // throws fails the replace before the rename, leaving the target unchanged.
    std::function<void(const OwnerNotKept&)> on_owner_not_kept;
    // Includes POSIX ACLs and security labels. Copied through the descriptor that reads the old
    // target; an xattr that cannot be copied fails the replace (turn this off to accept that).
    bool keep_xattrs = true;
    HardLinkPolicy hard_links = HardLinkPolicy::break_link;

    // --- Backup.
    // Keep the previous content as target + backup_suffix (e.g. "~"). Before the rename, the old
    // file is hard-linked under a temp name and that name is renamed over the backup name; only
    // then is the new file renamed over the target. No byte is copied, the backup name always
    // holds a complete file, and a backup that fails never costs the old content: the target
    // still holds it. Checked when the file is opened (AtomicFile, write_atomic, safe_update),
    // before anything is written, failing with step "make backup" and the backup path:
    // EINVAL for a suffix with '/' or a backup name that atomfile would take for its own temp
    // or lock file, or that is a symlink followed to reach the target; ENAMETOOLONG when
    // NAME + suffix exceeds 255 bytes; EISDIR for a directory at the backup name; EPERM for
    // another user's file there in a sticky directory (unless we own the directory or are
    // root). A target that does not exist gets no backup. Empty: no backup.
    std::string backup_suffix;

    // --- Locking: against concurrent writers.
    // Take the exclusive update lock (safe_update always does; write_atomic and AtomicFile only
    // when this is true). The lock is ".NAME.atomfile-lock" in the target's directory (a prefix
    // of NAME and a hash of it when NAME is over 240 bytes, so every replaceable name can be
    // locked), created 0600 (given to the target's owner when root creates it), flock()ed, and
    // unlinked by its holder before unlocking: no lock file remains once updates finish, and a
    // killed holder's lock is released by the kernel (its file is reused by the next writer,
    // which removes it). Another user cannot pre-empt it or hold it for us: only a regular,
    // singly linked lock file of the caller, root or the target's owner is used; anything else
    // at that name is removed once unheld, or, in a sticky directory where it cannot be, the
    // target itself is write-locked instead (every writer there also takes that lock). Errors
    // name the lock file, its owner and holder: std::errc::timed_out ("timed out after N s
    // waiting for the update lock on PATH held by pid P"), std::errc::resource_deadlock_would_
    // occur at once when an ancestor of this process holds the lock (a command run by
    // atomic-edit editing the same file), std::errc::operation_not_permitted for another user's
    // lock file in a sticky directory when there is no target to lock instead.
    bool lock = false;
    // How long to wait for the lock; negative waits forever.
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(30)};
    // Asked before the wait for the lock and about every 100 ms during it; returning true
    // abandons the wait: the open fails with std::errc::operation_canceled (Step::lock) and
    // nothing is written. For a program that must stay responsive while another writer holds
    // the lock (a tool checks for a caught signal). Empty: the wait ends only with the lock or
    // the timeout.
    std::function<bool()> cancel_lock_wait;
    // Fail with conflict_error() when the target was replaced between reading it and committing
    // by a writer that does not take the lock (compares device, inode, size, mtime and ctime
    // just before the rename; a replace landing between that check and the rename, a window of
    // one system call, is not seen).
    bool detect_conflicts = false;

    // --- The in-place fallback, for files that cannot be replaced by a rename (off by default).
    // Two cases refuse the rename protocol while the file itself is writable: a file
    // bind-mounted into a container (the rename over it fails with EBUSY), and a writable file
    // in a directory the caller may not write (creating the temp fails with EACCES or EPERM).
    // With in_place_fallback, such a replace overwrites the file in place instead, crash-safe
    // through an undo record:
    //   1. the old content is copied into the undo record, which is synced and renamed into
    //      place, and its directory synced, BEFORE the first byte of the file is overwritten;
    //   2. the new content is written over the file from offset 0, the file truncated to its
    //      new size and synced;
    //   3. the record is removed and its directory synced.
    // A crash between 1 and 3 leaves the record; the next replace of the file with
    // in_place_fallback (before it opens the file), or recover_in_place(), puts the old
    // content back and removes the record. So after a crash and that recovery the file holds
    // its whole old content or its whole new content, never a mix. What stays inherent: a
    // reader of the file DURING step 2 can see part old, part new; the file keeps its inode,
    // owner, mode and extended attributes (ReplaceOptions::mode is not applied); a writer
    // that does not use atomfile can be overwritten by the recovery.
    // The undo record is ".atomfile-undo-DEV-INO" (the file's device and inode numbers) in
    // undo_directory, or when that is empty in the file's own directory; a directory anyone may
    // write that is not sticky is refused (EPERM, step "write undo record"): anyone could remove
    // the record there mid-overwrite. The case of the unwritable directory needs
    // undo_directory (the new content is also staged there); without it that replace fails as
    // it would without the fallback. A record is trusted only when it
    // is a regular file of ours (or root's), mode without group or other write, with one link,
    // naming this file's directory, name, device and inode; anything else at the record's name
    // is left alone and the fallback fails with EPERM, step "write undo record" or "restore from
    // undo record", naming it. Not with backup_suffix (a backup link would share the inode being
    // overwritten) nor create_only: those keep the rename's error.
    // Errors of the fallback name the file or the record and the steps "write undo record"
    // (the file is untouched; or, when the record could not be removed after the overwrite,
    // the file holds the new content and the kept record makes recovery put the old back),
    // "overwrite in place" (the file may hold a mix: the record is kept, recovery restores it)
    // and "restore from undo record". The sync of the record's directory after its removal
    // fails as a replace's directory sync does ("sync directory after replace", is_replaced():
    // the file HAS its new content; after a power cut the record may be back, and recovery
    // then restores the old content).
    bool in_place_fallback = false;
    std::string undo_directory;
    // Called once the fallback has been chosen, before the record is written, with the error
    // that refused the rename protocol: tools print a line to stderr. Empty: nothing is said.
    std::function<void(const Error& refused, const std::string& undo_record)> on_in_place_fallback;

    // Chainable setters: each sets its field and returns *this.
    // Durability.
    ReplaceOptions& with_durability(Durability value) {
        durability = value;
        return *this;
    }
    // Content.
    ReplaceOptions& with_skip_unchanged(bool value) {
        skip_unchanged = value;
        return *this;
    }
    // Target resolution.
    ReplaceOptions& with_follow_symlinks(bool value) {
        follow_symlinks = value;
        return *this;
    }
    ReplaceOptions& with_protected_symlinks(bool value) {
        protected_symlinks = value;
        return *this;
    }
    ReplaceOptions& with_protected_regular(bool value) {
        protected_regular = value;
        return *this;
    }
    ReplaceOptions& with_create_only(bool value) {
        create_only = value;
        return *this;
    }
    ReplaceOptions& with_missing_ok(bool value) {
        missing_ok = value;
        return *this;
    }
    // Metadata.
    ReplaceOptions& with_mode(std::optional<unsigned> value) {
        mode = value;
        return *this;
    }
    ReplaceOptions& with_keep_mode(bool value) {
        keep_mode = value;
        return *this;
    }
    ReplaceOptions& with_keep_owner(bool value) {
        keep_owner = value;
        return *this;
    }
    ReplaceOptions& with_owner_policy(OwnerPolicy value) {
        owner_policy = value;
        return *this;
    }
    ReplaceOptions& with_on_owner_not_kept(std::function<void(const OwnerNotKept&)> value) {
        on_owner_not_kept = std::move(value);
        return *this;
    }
    ReplaceOptions& with_keep_xattrs(bool value) {
        keep_xattrs = value;
        return *this;
    }
    ReplaceOptions& with_hard_links(HardLinkPolicy value) {
        hard_links = value;
        return *this;
    }
    // Backup.
    ReplaceOptions& with_backup_suffix(std::string value) {
        backup_suffix = std::move(value);
        return *this;
    }
    // Locking.
    ReplaceOptions& with_lock(bool value) {
        lock = value;
        return *this;
    }
    ReplaceOptions& with_lock_timeout(std::chrono::milliseconds value) {
        lock_timeout = value;
        return *this;
    }
    ReplaceOptions& with_cancel_lock_wait(std::function<bool()> value) {
        cancel_lock_wait = std::move(value);
        return *this;
    }
    ReplaceOptions& with_detect_conflicts(bool value) {
        detect_conflicts = value;
        return *this;
    }
    // The in-place fallback.
    ReplaceOptions& with_in_place_fallback(bool value) {
        in_place_fallback = value;
        return *this;
    }
    ReplaceOptions& with_undo_directory(std::string value) {
        undo_directory = std::move(value);
        return *this;
    }
    ReplaceOptions& with_on_in_place_fallback(
        std::function<void(const Error& refused, const std::string& undo_record)> value) {
        on_in_place_fallback = std::move(value);
        return *this;
    }
};

// The error code for a detected conflict: step "check for concurrent replace" (Step::conflict)
// with errno EBUSY, so it equals errc::conflict and std::errc::device_or_resource_busy.
ATOMFILE_API std::error_code conflict_error() noexcept;
// True when e reports a replace that happened but whose directory sync failed (its step_id()
// is Step::directory_sync; for an error_code, ec == errc::replaced_not_durable).
ATOMFILE_API bool is_replaced_but_not_durable(const Error& e) noexcept;
// True when e was raised after the target had been replaced (the directory sync failed): the
// new content is in place. For every other error the target is unchanged. (A backup failure
// is never one of these: the backup is made before the replace.)
ATOMFILE_API bool is_replaced(const Error& e) noexcept;

// Replaces or creates path with data. Returns true when the target was replaced, false when
// skip_unchanged found data equal to its content and nothing was written (always true without
// skip_unchanged). The error_code form returns false on failure.
ATOMFILE_API bool write_atomic(const PathArg& path, std::string_view data,
                               const ReplaceOptions& options = {});
ATOMFILE_API bool write_atomic(const PathArg& path, std::string_view data,
                               const ReplaceOptions& options, std::error_code& ec) noexcept;

using Transform = std::function<std::string(std::string)>;

// Reads path, calls transform on its content and replaces path with the result, holding the
// exclusive update lock from the read to the commit so that concurrent safe_update calls (in
// any process) never lose an update. A transform that throws leaves the file untouched and its
// exception propagates unchanged. (The error_code form cannot propagate it: a system_error's
// code is reported, any other exception becomes std::errc::io_error.) Returns what
// write_atomic returns: false when skip_unchanged found the transform's result equal to the
// old content (nothing written), or on failure in the error_code form.
ATOMFILE_API bool safe_update(const PathArg& path, const Transform& transform,
                              const ReplaceOptions& options = {});
ATOMFILE_API bool safe_update(const PathArg& path, const Transform& transform,
                              const ReplaceOptions& options, std::error_code& ec) noexcept;

// A streaming writer: write() as often as needed, then commit(). Destroyed without commit() it
// leaves the target untouched and no temp behind.
class ATOMFILE_API AtomicFile {
  public:
    // Resolves the target, takes the lock if asked, opens the old target and creates the temp.
    explicit AtomicFile(const PathArg& path, const ReplaceOptions& options = {});
    // On failure sets ec and leaves an object on which every call fails with bad_file_descriptor.
    AtomicFile(const PathArg& path, const ReplaceOptions& options, std::error_code& ec) noexcept;
    AtomicFile(AtomicFile&&) noexcept;
    AtomicFile& operator=(AtomicFile&&) noexcept;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    void write(std::string_view data);
    void write(std::string_view data, std::error_code& ec) noexcept;
    // Asked while a stream is copied (write_from, write_original): returning true ends the copy
    // early. The bytes moved so far stay in the temp; commit() or discard() as the caller
    // decides.
    using StopRequested = std::function<bool()>;
    // Streams everything readable from a descriptor into the temp in constant memory:
    // copy_file_range (or sendfile) from a regular file, otherwise read and write through a
    // 256 KiB buffer. Unless durability is none, every 8 MiB written is handed to the disk at
    // once and the 8 MiB before it dropped from the page cache once on disk (write-behind),
    // so a stream of any size keeps about 16 MiB cached and commit()'s fsync has little left
    // to do. With stop: asked before each piece and, while waiting for input that is not a
    // regular file, about every 100 ms. Returns the number of bytes moved. Errors: Error with
    // Step::copy_into_temp and errno of the read, the write or the writeback (a write error
    // seen by writeback might not be seen again by fsync, so it is never ignored).
    std::uint64_t write_from(int fd, const StopRequested& stop = {});
    std::uint64_t write_from(int fd, std::error_code& ec) noexcept;
    std::uint64_t write_from(int fd, const StopRequested& stop, std::error_code& ec) noexcept;
    // Appends the target's old content to the temp (nothing when there is none), read through
    // the descriptor held since open, never through the path, which another process or user
    // may have changed since: what `atomic-write --append` does. Same stop and errors as
    // write_from. Returns the number of bytes copied.
    std::uint64_t write_original(const StopRequested& stop = {});
    std::uint64_t write_original(const StopRequested& stop, std::error_code& ec) noexcept;
    // Appends bytes [offset, offset + length) of fd to the temp, read at those offsets (fd's
    // own file offset is left alone, so a descriptor shared with other readers may be used):
    // the unchanged parts of an edited file, copied file to file. From a regular file the
    // kernel copies them (copy_file_range, else sendfile): no user-space buffer and no page
    // fault, whatever the range's size; anything else is read at those offsets (pread) and
    // written through a 256 KiB buffer (a pipe, which cannot be, fails with ESPIPE). The
    // blocks of the part of the range a regular fd holds are allocated first where the file
    // system can (fallocate without changing the size). Write-behind applies as for
    // write_from. Errors: Error with Step::copy_into_temp and errno of the read or the write,
    // or ENODATA when fd ends before the range does, or EINVAL (nothing copied) when the range
    // ends past the largest file offset (2^63 - 1); the bytes copied before an error stay in
    // the temp.
    void copy_from(int fd, std::uint64_t offset, std::uint64_t length);
    void copy_from(int fd, std::uint64_t offset, std::uint64_t length,
                   std::error_code& ec) noexcept;
    // The temp's size: everything written so far, by any means (its descriptor included).
    // Error with Step::inspect_temp when it cannot be examined.
    std::uint64_t size() const;
    std::uint64_t size(std::error_code& ec) const noexcept;
    // A second descriptor of the old content, rewound to its start, for a reader of its own (a
    // command's standard input); an empty FileDescriptor when there is none. It shares its file
    // offset with original_descriptor(). Error with Step::read_target when it cannot be made.
    FileDescriptor duplicate_original() const;
    // The old content of the target at open time, for callers that edit (empty if none).
    // Reads through the descriptor held since open, so it is the content the lock protects.
    std::string read_original();
    std::string read_original(std::error_code& ec) noexcept;
    // The descriptor of the temp, for callers that write through other means.
    int temp_descriptor() const noexcept;
    // The descriptor of the old content: the file opened at open time (the one the lock
    // protects, reached through the same checked resolution as the target), or -1 when there is
    // none (no target yet, or a link whose destination holds no content for us). Callers that
    // stream it instead of read_original() use this, never the path, which another process or
    // user may have changed meanwhile. Its file offset is the caller's to manage.
    int original_descriptor() const noexcept;
    // The resolved path that commit() will replace.
    const std::string& target_path() const noexcept;
    // Publishes the temp (steps 4-7 above) and releases the lock. Once it has failed or
    // succeeded the object is spent: further calls fail with bad_file_descriptor. With
    // skip_unchanged and content equal to the old (see ReplaceOptions), it succeeds having
    // written nothing: replaced() tells which.
    void commit();
    void commit(std::error_code& ec) noexcept;
    // True once commit() has succeeded in putting the new file at the target name; false
    // before, after a failed commit or a discard(), and after a commit() that skip_unchanged
    // turned into no write at all.
    bool replaced() const noexcept;
    // Drops the temp without touching the target, and releases the lock. Called by the
    // destructor.
    void discard() noexcept;

  private:
    friend class Batch;  // commits many AtomicFiles together (batch.hpp)
    struct State;
    std::unique_ptr<State> state_;
};

// Finishes an in-place overwrite (ReplaceOptions::in_place_fallback) that a crash
// interrupted: when an undo record for path's file is found (in options.undo_directory, or
// the file's own directory), the file's old content is put back from it, synced, and the record
// removed; returns true. Returns false when there is no record: the file is as its last writer
// left it. Follows path as a replace with options would (symlink policy included). Errors:
// Step::restore_undo (EPERM for an untrusted record, EINVAL for a damaged one, which is left
// in place), or the resolution's steps.
ATOMFILE_API bool recover_in_place(const PathArg& path, const ReplaceOptions& options = {});
ATOMFILE_API bool recover_in_place(const PathArg& path, const ReplaceOptions& options,
                                   std::error_code& ec) noexcept;

// Removes what crashed writers left in directory: regular files named like atomfile's temps
// (".NAME.atomfile-XXXXXXXXXX") or lock files (".NAME.atomfile-lock"), last modified at least
// min_age ago, and not locked. A live writer holds an flock on its named temp and on its lock
// file, so neither is removed whatever min_age says; the age only spares a writer in the few
// system calls between creating a file and locking it. Never touches directories, symlinks or
// any other name. Returns the number removed. Throws Error when the directory cannot be listed.
ATOMFILE_API std::size_t remove_orphaned_temps(
    const PathArg& directory, std::chrono::seconds min_age = std::chrono::minutes(10));
ATOMFILE_API std::size_t remove_orphaned_temps(const PathArg& directory,
                                               std::chrono::seconds min_age,
                                               std::error_code& ec) noexcept;

}  // namespace atomfile
