#include <cerrno>
#include <exception>
#include <optional>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/swap.hpp"
#include "detail/temp_support.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "swap/swap_staging.hpp"
#include "swap/swap_symlink.hpp"
#include "swap/swap_tree.hpp"

namespace atomfile::swap {
namespace {

enum class Kind { missing, directory, symlink };

// What is at DIR now: its kind, the permission bits the new tree gets, and the directory
// itself, open (through a symlink in the symlink form) for copy_current and, when it is a real
// directory, flocked if free: once exchanged it sits at a staging name, and the lock keeps
// another process's remove_swap_leftovers() from removing it at the same time as we do.
struct Current {
    Kind kind = Kind::missing;
    unsigned mode = 0;
    FileDescriptor fd;
};

Current inspect(int parent_fd, const SwapTarget& target, const DirectorySwapOptions& options) {
    Current current;
    current.mode = 0755 & ~platform::current_umask();
    platform::FileStatus status;
    if (platform::stat_at(parent_fd, target.name.c_str(), status, false) != 0) {
        // Not "exchange directories": nothing was staged yet (a parent we may not search).
        if (errno != ENOENT) throw_errno(Step::resolve, target.path);
        if (options.symlink_form) current.kind = Kind::symlink;
        return current;
    }
    if (status.type == platform::FileType::symlink && !options.symlink_form)
        throw_error(ELOOP, Step::exchange, target.path);
    if (status.type != platform::FileType::symlink && status.type != platform::FileType::directory)
        throw_error(ENOTDIR, Step::exchange, target.path);
    current.kind = status.type == platform::FileType::directory ? Kind::directory : Kind::symlink;
    const bool follow = current.kind == Kind::symlink;
    current.fd.reset(platform::open_directory(parent_fd, target.name.c_str(), follow));
    if (current.fd && platform::stat_fd(current.fd.get(), status) == 0) current.mode = status.mode;
    if (current.fd && current.kind == Kind::directory)
        platform::lock_exclusive(current.fd.get(), 0);
    if (!current.fd && options.copy_current) throw_errno(Step::populate_staging, target.path);
    return current;
}

void fill(const Staging& staging, const Current& current, const PopulateDirectory& populate,
          const DirectorySwapOptions& options) {
    if (options.copy_current && current.fd)
        copy_tree(current.fd.get(), staging.fd(), staging.path());
    populate(staging.path());
    // The staging name must still hold the directory made for it: a populate that removed it
    // and made another (rm -rf {} && cp -r build {}) would have the exchange publish a tree
    // nothing synced, or a symlink it put there, in DIR's place.
    platform::FileStatus named, made;
    if (platform::stat_at(staging.parent_fd(), staging.name().c_str(), named, false) != 0 ||
        platform::stat_fd(staging.fd(), made) != 0 || named.device != made.device ||
        named.inode != made.inode)
        throw_error(EINVAL,
                    StepWords{Step::populate_staging,
                              "populate staging directory (the staging directory was replaced: "
                              "fill it, do not remove it)"},
                    staging.path());
}

[[noreturn]] void throw_exchange_error(int error, const std::string& path) {
    if (error == EINVAL || error == ENOSYS)
        throw_error(EINVAL,
                    StepWords{Step::exchange,
                              "exchange directories (the file system does not support "
                              "RENAME_EXCHANGE; DirectorySwapOptions::symlink_form works there)"},
                    path);
    throw_error(error, Step::exchange, path);
}

// Publishes the staged tree at DIR: exchanged with the old one, or renamed into place.
void exchange(int parent_fd, const SwapTarget& target, const Staging& staging, Kind kind) {
    const char* from = staging.name().c_str();
    const char* to = target.name.c_str();
    if (kind == Kind::directory) {
        if (platform::rename_at(parent_fd, from, parent_fd, to, platform::RenameMode::exchange) !=
            0)
            throw_exchange_error(errno, target.path);
        return;
    }
    if (platform::rename_at(parent_fd, from, parent_fd, to, platform::RenameMode::no_replace) == 0)
        return;
    // Without RENAME_NOREPLACE a plain rename still cannot replace anything but an empty
    // directory made meanwhile.
    if ((errno != EINVAL && errno != ENOSYS) ||
        platform::rename_at(parent_fd, from, parent_fd, to) != 0)
        throw_error(errno, Step::exchange, target.path);
}

void swap_by_exchange(int parent_fd, const SwapTarget& target, Staging& staging, Kind kind,
                      const DirectorySwapOptions& options) {
    exchange(parent_fd, target, staging, kind);
    staging.release();  // its name now holds the old tree, or nothing
    int sync_error = 0;
    if (options.durability != Durability::none &&
        platform::sync_fd(parent_fd, platform::SyncKind::full) != 0)
        sync_error = errno;
    if (kind == Kind::directory) {
        try {
            remove_old_tree(parent_fd, target.parent, staging.name());
        } catch (const Error&) {
            if (sync_error == 0) throw;
        }
    }
    if (sync_error != 0) throw_error(sync_error, Step::directory_sync, target.path);
}

// Removes the version DIR pointed to before the switch when it is one of ours (a target of the
// caller's own is the caller's). When the link could not be read (nullopt), every version of
// ours beside DIR but the current one goes instead, as remove_swap_leftovers() would have it.
void remove_old_version(int parent_fd, const SwapTarget& target, const Staging& staging,
                        const std::optional<std::string>& old_version) {
    if (old_version) {
        if (is_named_like(*old_version, staging_prefix(target.name)) &&
            *old_version != staging.name())
            remove_old_tree(parent_fd, target.parent, *old_version);
        return;
    }
    try {
        remove_leftovers(parent_fd, target);
    } catch (const Error& e) {
        throw Error(e.code(), Step::remove_old_tree, target.parent, e.path());
    }
}

// The symlink form: the staged tree becomes the new version DIR points to.
void swap_by_link(int parent_fd, const SwapTarget& target, Staging& staging,
                  const DirectorySwapOptions& options) {
    std::optional<std::string> old_version(std::in_place);
    if (platform::read_link_at(parent_fd, target.name.c_str(), *old_version) != 0 &&
        errno != ENOENT && errno != EINVAL)
        old_version.reset();  // unknown: found again once the switch is done
    while (old_version && old_version->compare(0, 2, "./") == 0) old_version->erase(0, 2);
    SymlinkOptions link_options;
    link_options.durability = options.durability;
    try {
        switch_link(parent_fd, target, staging.name(), link_options);
    } catch (const Error& e) {
        if (!is_swapped(e.code())) throw;
        staging.release();
        // Switched but not known durable: the old version still goes, as in the exchange form.
        try {
            remove_old_version(parent_fd, target, staging, old_version);
        } catch (const Error&) {
        }
        throw;
    }
    staging.release();
    remove_old_version(parent_fd, target, staging, old_version);
}

void replace(const PathArg& dir, const PopulateDirectory& populate,
             const DirectorySwapOptions& options) {
    const SwapTarget target = split_target(dir.str(), Step::create_staging);
    FileDescriptor parent(
        platform::open_directory(platform::current_directory, target.parent.c_str()));
    if (!parent) throw_errno(Step::open_directory, target.parent);
    try {
        remove_leftovers(parent.get(), target);
    } catch (const Error&) {
        // A leftover that cannot be removed does not stand in the way of this swap.
    }
    const Current current = inspect(parent.get(), target, options);
    Staging staging(parent.get(), target);
    fill(staging, current, populate, options);
    staging.finish_mode(current.mode);
    if (options.durability != Durability::none)
        sync_tree(staging.fd(), staging.path(),
                  options.durability == Durability::data ? platform::SyncKind::data
                                                         : platform::SyncKind::full);
    if (current.kind == Kind::symlink)
        swap_by_link(parent.get(), target, staging, options);
    else
        swap_by_exchange(parent.get(), target, staging, current.kind, options);
}

}  // namespace
}  // namespace atomfile::swap

namespace atomfile {

void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                       const DirectorySwapOptions& options) {
    swap::replace(dir, populate, options);
}

void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                       std::error_code& ec) noexcept {
    replace_directory(dir, populate, DirectorySwapOptions{}, ec);
}

void replace_directory(const PathArg& dir, const PopulateDirectory& populate,
                       const DirectorySwapOptions& options, std::error_code& ec) noexcept {
    // An exception of populate's own that carries no code still says which step gave up.
    auto guarded = [&populate](const std::string& staging) {
        try {
            populate(staging);
        } catch (const std::system_error&) {
            throw;
        } catch (...) {
            throw_error(ECANCELED, Step::populate_staging, staging);
        }
    };
    capture_error(ec, [&] { swap::replace(dir, guarded, options); });
}

}  // namespace atomfile
