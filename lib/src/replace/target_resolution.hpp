// Finding the file a replace acts on, and the directory its temp must live in.
#pragma once

#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "platform/linux.hpp"

namespace atomfile::replace {

// A transaction root found above a target: a directory holding a staging directory that
// recover() would trust (transaction/covering.hpp).
struct CoveringRoot {
    FileDescriptor dir;  // O_PATH
    std::string path;    // for messages
};

// A Target's directory descriptor: owned (closed with the Target), or borrowed from a Batch,
// which keeps one descriptor per directory for all its files and closes it after them: a
// borrowed descriptor is given up, never closed, however the Target goes (moved from, reset,
// destroyed while a staging fails).
class DirectoryDescriptor : public FileDescriptor {
  public:
    DirectoryDescriptor() noexcept = default;
    explicit DirectoryDescriptor(int fd) noexcept : FileDescriptor(fd) {}
    DirectoryDescriptor(DirectoryDescriptor&& other) noexcept
        : FileDescriptor(std::move(other)), borrowed_(std::exchange(other.borrowed_, false)) {}
    DirectoryDescriptor& operator=(DirectoryDescriptor&& other) noexcept {
        if (this == &other) return *this;
        give_up_borrowed();
        FileDescriptor::operator=(std::move(other));
        borrowed_ = std::exchange(other.borrowed_, false);
        return *this;
    }
    DirectoryDescriptor& operator=(FileDescriptor&& owned) noexcept {
        give_up_borrowed();
        FileDescriptor::operator=(std::move(owned));
        return *this;
    }
    ~DirectoryDescriptor() { give_up_borrowed(); }

    void reset(int fd = -1) noexcept {
        give_up_borrowed();
        FileDescriptor::reset(fd);
    }
    int release() noexcept {
        borrowed_ = false;
        return FileDescriptor::release();
    }
    // Uses fd, which stays the lender's to close (after this Target is gone).
    void borrow(int fd) noexcept {
        reset(fd);
        borrowed_ = true;
    }
    bool borrowed() const noexcept { return borrowed_; }

  private:
    void give_up_borrowed() noexcept {
        if (borrowed_) FileDescriptor::release();
        borrowed_ = false;
    }

    bool borrowed_ = false;
};

struct Target {
    std::string path;       // directory + "/" + name, as reported in errors and target_path()
    std::string directory;  // the directory holding the final name
    std::string name;       // one path component
    // That directory, opened once: every later call is relative to it. Opened for reading
    // where allowed, otherwise (a directory we may write but not read, mode 0733) as O_PATH,
    // which serves every *at call but cannot be fsync()ed: then dir_path_only is true and
    // sync_directory syncs the file system instead (docs/durability.md).
    DirectoryDescriptor dir;
    bool dir_path_only = false;
    // lstat of the final name when it exists (a symlink only when links are not followed).
    std::optional<platform::FileStatus> status;
    // lstat of each symlink followed to get here, in order (so a backup name can be checked
    // not to replace one of them).
    std::vector<platform::FileStatus> links_followed;
    // With find_roots: the transaction roots whose staging directory may cover the target,
    // nearest first; recover_covering empties it.
    std::vector<CoveringRoot> covering;
};

// Walks the path one component at a time from "/" or the working directory, each opened
// relative to the one before with O_PATH|O_NOFOLLOW, so no symlink is resolved by the kernel
// and none can be swapped between being checked and being used. Symlinks in the directory part
// are always followed (their destination is spliced into what is left of the path; an absolute
// one restarts from "/"); the final name is followed when options.follow_symlinks is true, so
// the file a link points at is replaced in its own directory and the link stays; with it false
// the final name itself is the target. At most 40 links in all (ELOOP). ".." is the physical
// parent of the directory reached, as in the kernel (after a link, of the link's destination).
// A dangling link, followed, names a new file at the link's destination.
//
// With options.protected_symlinks (the default) every link followed, at every hop, obeys the
// kernel's fs.protected_symlinks rule, whatever the sysctl says: a link in a sticky,
// world-writable directory is followed only when it belongs to the follower (the effective uid)
// or to the directory's owner. Otherwise the resolution fails with EACCES, step "resolve
// target", path the link (as walked), second path naming the link's owner; this holds for root
// too, as in the kernel, and for a dangling link (so nobody can make root create a file through
// a planted link). With follow_symlinks false the final link itself is replaced, unchecked, as
// with O_NOFOLLOW; links in the directory part are still checked.
//
// With options.protected_regular (the default) and not create_only, an existing regular final
// name in a sticky world-writable directory that belongs to neither the effective uid nor the
// directory's owner fails with EACCES, step "resolve target", path the file, second path naming
// its owner (the kernel's fs.protected_regular=1).
//
// Target::path is the path with each link followed replaced by its destination (the original
// path when none was); Target::directory and name split it. They are for messages: every call
// goes through Target::dir, the descriptor the walk ended in.
//
// With find_roots (the engine's writers), the walk also looks, with one fstatat per directory,
// for a trusted transaction staging directory in the target's directory and each of its
// ancestors up to "/" or the first directory on another file system (a transaction root is on
// its target's file system), and lists the roots in Target::covering. Ancestors of the working
// directory, which a relative path does not walk, cost two fstatat each (one to know where "/"
// and the mount boundary are). Another user's staging directory is not listed (ignored).
//
// Throws Error (step "resolve target" or "open target directory").
Target resolve_target(const std::string& path, const ReplaceOptions& options,
                      bool find_roots = false);
// The same with the default options except follow_symlinks.
Target resolve_target(const std::string& path, bool follow);

// Re-reads the status of the final name (std::nullopt when it is gone). Throws on other errors.
std::optional<platform::FileStatus> stat_target(const Target& target);

bool same_inode(const platform::FileStatus& a, const platform::FileStatus& b);

// Runs recovery for each of target.covering (nearest first) before the target is touched, which
// waits for a live transaction on that root and finishes or undoes a crashed one
// (transaction/covering.hpp has the errors), then re-reads the target's status when a recovery
// changed anything. Empties target.covering.
void recover_covering(Target& target, const ReplaceOptions& options);

}  // namespace atomfile::replace
