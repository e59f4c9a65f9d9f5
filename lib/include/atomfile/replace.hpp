// The replace engine: write_atomic, safe_update and AtomicFile.
//
// The guarantee. Whatever happens during a replace — the process is killed, the machine loses
// power, the disk fills or fails, another process replaces the same file — a reader of the
// target sees either its complete old content or its complete new content. When a replace
// returns successfully with Durability::full or ::data, the new content survives a power cut.
//
// The protocol (docs/durability.md explains each step):
//   1. resolve the target (following symlinks unless follow_symlinks is false);
//   2. create the temp in the target's own directory: an O_TMPFILE where the file system allows
//      it, otherwise an exclusive, 0600, randomly named ".NAME.atomfile-XXXXXXXX" file;
//   3. write all data (short writes and EINTR survived);
//   4. copy mode, owner, group and extended attributes from the old target (or apply the new
//      file's mode);
//   5. fsync (or fdatasync) the temp;
//   6. rename it over the target (RENAME_NOREPLACE for create_only);
//   7. fsync the directory.
// The target is never opened for writing, the temp never lives in $TMPDIR, and there is never
// a copy fallback.
//
// Errors. Every failure throws atomfile::Error naming the step and the path, keeping errno:
//   - before step 6: the target is unchanged, byte for byte and in its metadata, and the temp
//     is gone;
//   - in step 7: the file HAS been replaced but its durability is unknown; the error's step is
//     "sync directory after replace" and is_replaced_but_not_durable(e) is true;
//   - a failed fsync is never retried into a success (after EIO the kernel may have dropped
//     the data).
// Special error values: std::errc::file_exists for create_only on an existing target,
// std::errc::timed_out when the lock wait ran past lock_timeout, and conflict_error() when
// detect_conflicts found the target replaced behind our back.
#pragma once

#include <chrono>
#include <cstddef>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <system_error>

#include "atomfile/error.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

enum class Durability {
    full,  // fsync the temp, rename, fsync the directory (default)
    data,  // fdatasync the temp, rename, fsync the directory
    none   // no syncs: safe against process crashes only, not power cuts
};

// What to do when the target has several hard links.
enum class HardLinkPolicy {
    break_link,  // default: the target name gets the new content; other names keep the old
                 // inode and content (as every atomic replace must); documented, never silent
                 // for callers that ask: see ReplaceOptions::hard_links
    refuse,      // fail with std::errc::too_many_links, nothing written
};

struct ReplaceOptions {
    Durability durability = Durability::full;
    // Follow a symlinked target and replace the file it points to (in that file's directory),
    // leaving the link in place. false replaces the symlink itself with a regular file.
    bool follow_symlinks = true;
    // Fail with std::errc::file_exists if the target exists.
    bool create_only = false;
    // For safe_update: a missing target reads as empty (true) or fails with
    // std::errc::no_such_file_or_directory (false).
    bool missing_ok = true;
    // Mode of a newly created target; empty means 0666 & ~umask.
    std::optional<unsigned> mode;
    // Copy from an existing target. Each can be turned off.
    bool keep_mode = true;
    bool keep_owner = true;  // where the process may set them; silently skipped where not
    bool keep_xattrs = true; // includes POSIX ACLs and security labels
    HardLinkPolicy hard_links = HardLinkPolicy::break_link;
    // Keep the previous content as target + backup_suffix (e.g. "~"), made atomically with a hard
    // link before the rename. Empty: no backup.
    std::string backup_suffix;
    // Take the exclusive update lock (safe_update always does; write_atomic and AtomicFile only
    // when this is true).
    bool lock = false;
    // How long to wait for the lock; negative waits forever.
    std::chrono::milliseconds lock_timeout{std::chrono::seconds(30)};
    // Fail with conflict_error() when the target was replaced between reading it and committing
    // by a writer that does not take the lock (compares device, inode, size, mtime and ctime).
    bool detect_conflicts = false;
};

// The error code for a detected conflict (std::errc::device_or_resource_busy in category
// generic, with its own step "check for concurrent replace").
std::error_code conflict_error() noexcept;
// True when e reports a replace that happened but whose directory sync failed.
bool is_replaced_but_not_durable(const Error& e) noexcept;

// Replaces or creates path with data.
void write_atomic(const PathArg& path, std::string_view data, const ReplaceOptions& options = {});
void write_atomic(const PathArg& path, std::string_view data, const ReplaceOptions& options,
                  std::error_code& ec) noexcept;

using Transform = std::function<std::string(std::string)>;

// Reads path, calls transform on its content and replaces path with the result, holding the
// exclusive update lock from the read to the commit so that concurrent safe_update calls (in
// any process) never lose an update. A transform that throws leaves the file untouched and its
// exception propagates unchanged.
void safe_update(const PathArg& path, const Transform& transform,
                 const ReplaceOptions& options = {});
void safe_update(const PathArg& path, const Transform& transform, const ReplaceOptions& options,
                 std::error_code& ec) noexcept;

// A streaming writer: write() as often as needed, then commit(). Destroyed without commit() it
// leaves the target untouched and no temp behind.
class AtomicFile {
public:
    explicit AtomicFile(const PathArg& path, const ReplaceOptions& options = {});
    AtomicFile(AtomicFile&&) noexcept;
    AtomicFile& operator=(AtomicFile&&) noexcept;
    AtomicFile(const AtomicFile&) = delete;
    AtomicFile& operator=(const AtomicFile&) = delete;
    ~AtomicFile();

    void write(std::string_view data);
    // Streams everything readable from a descriptor into the temp (splice, copy_file_range or
    // sendfile where possible), in constant memory. Returns the number of bytes moved.
    std::uint64_t write_from(int fd);
    // The old content of the target at open time, for callers that edit (empty if none).
    // Reads through the descriptor held since open, so it is the content the lock protects.
    std::string read_original();
    // The descriptor of the temp, for callers that write through other means.
    int temp_descriptor() const noexcept;
    // The resolved path that commit() will replace.
    const std::string& target_path() const noexcept;
    void commit();
    void commit(std::error_code& ec) noexcept;
    // Drops the temp without touching the target. Called by the destructor.
    void discard() noexcept;

private:
    struct State;
    std::unique_ptr<State> state_;
};

// Removes temps left by crashed writers from directory: only files whose names match
// atomfile's temp pattern and that are older than min_age, never directories or symlinks.
// Returns the number removed.
std::size_t remove_orphaned_temps(const PathArg& directory,
                                  std::chrono::seconds min_age = std::chrono::minutes(10));

}  // namespace atomfile
