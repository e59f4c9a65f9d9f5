// How atomfile reports failure.
//
// Every throwing function throws atomfile::Error (a std::system_error) whose message names the
// step that failed and the path(s) involved, e.g.
//     atomfile: sync temp file '/etc/app.conf': Input/output error
// Each throwing function also has a noexcept overload that takes a std::error_code& and sets it
// instead of throwing; it never throws, even on allocation failure (that becomes
// std::errc::not_enough_memory). Both forms report the same code: the ec a noexcept call sets
// equals e.code() of the Error the throwing call would have thrown.
//
// The code. Error::code() and that ec are in atomfile's own category (error_category()); one
// value carries two things, so an error_code caller knows as much as one who catches Error:
//   - the errno: `ec == std::errc::io_error` compares it (the category maps every value to the
//     errno's std::generic_category() condition), ec.message() is strerror's text, and
//     errno_of(ec) returns it as a plain std::error_code(errno, std::generic_category());
//   - the step that failed: step_of(ec), a Step below.
// ec.value() is therefore not the errno: use errno_of(ec).value().
//
// The contract. atomfile::errc names the outcomes a caller acts on differently from "nothing
// happened", compared as `ec == atomfile::errc::replaced_not_durable` (or e.code() == ...).
// They are error CONDITIONS (std::is_error_condition_enum), not an error_code enum
// (std::is_error_code_enum): an error_code equals another error_code only when category and
// value are both the same, so a code made from an error_code enum would have to give up the
// errno, and with it `ec == std::errc::io_error`. A condition is matched by its category's
// equivalent(), which reads the step and the errno out of the code; that is what lets one code
// compare equal to both std::errc::io_error and atomfile::errc::replaced_not_durable.
#pragma once

#include <string>
#include <system_error>

#include "atomfile/export.hpp"

namespace atomfile {

// The step that failed. The enumerators' numbers are part of the codes' values: new steps are
// appended, never inserted. step_text() gives each one's words.
enum class Step {
    other = 0,  // not one of atomfile's: a tool's or the caller's own step, named in words only

    // The replace engine (replace.hpp).
    resolve,                  // "resolve target"
    open_directory,           // "open target directory"
    open_target,              // "open target"
    not_regular,              // "replace a target that is not a regular file"
    hard_links,               // "replace a target that has other hard links"
    target_exists,            // "create target that already exists"
    read_target,              // "read target"
    lock,                     // "take update lock" (the words name the lock, its owner, holder)
    lock_untrusted,           // "use an untrusted lock file" (the words say whose and why)
    create_temp,              // "create temp file"
    write_temp,               // "write temp file"
    copy_into_temp,           // "copy into temp file"
    owner,                    // "copy owner to temp file"
    mode,                     // "set mode of temp file"
    xattrs,                   // "copy extended attributes to temp file"
    sync_temp,                // "sync temp file"
    link,                     // "link temp file into target directory"
    conflict,                 // "check for concurrent replace"
    backup,                   // "make backup"
    rename,                   // "rename temp over target"
    directory_sync,           // "sync directory after replace": the target HAS been replaced
    persist,                  // "persist temp file"
    open_directory_to_clean,  // "open directory to clean" (remove_orphaned_temps)
    list_directory_to_clean,  // "list directory to clean"

    // The temp primitives.
    temp_prefix,             // "use temp name prefix containing '/'"
    temp_suffix,             // "use temp name suffix containing '/'"
    working_directory,       // "get working directory"
    open_temp_directory,     // "open temp directory"
    create_temp_directory,   // "create temp directory"
    no_unused_name,          // "no unused name" (the words say after how many attempts)
    draw_name,               // "draw random name"
    use_closed_temp,         // "use closed temp file"
    read_temp,               // "read temp file"
    seek_temp,               // "seek temp file"
    truncate_temp,           // "truncate temp file"
    use_closed_spooled,      // "use closed spooled temp file"
    seek_spooled,            // "seek spooled temp file"
    truncate_spooled,        // "truncate spooled temp file"
    find_temp_directory,     // "find a usable temporary directory; tried"
    inspect_temp,            // "inspect temp file"
    inspect_temp_to_remove,  // "inspect temp file before removing it"
    remove_temp,             // "remove temp file"
    remove_temp_name,        // "remove name of temp file"
    create_anonymous_temp,   // "create anonymous temp file in"
    link_temp,               // "link temp file to"
    link_named_temp,         // "link temp file made without O_TMPFILE (its name is already
                             // removed) to"
    open_directory_to_link,  // "open directory to link temp file into"

    // Removing a temporary directory's tree.
    remove_tree,            // "remove tree at"
    open_parent_to_remove,  // "open parent directory to remove"
    inspect_to_remove,      // "inspect directory to remove it"
    list_to_remove,         // "list directory to remove it"
    open_to_remove,         // "open directory to remove it"
    remove_directory,       // "remove directory"
    remove_entry,           // "remove"
    remove_changing_entry,  // "remove entry that kept changing"
    skip_mount_point,       // "skip mount point (neither emptied nor unmounted)"

    // create_parent_directories (directories.hpp).
    create_directory,  // "create parent directory"

    // Transactions (transaction.hpp).
    open_root,       // "open transaction root"
    lock_root,       // "take transaction lock"
    expect,          // "check expected content"
    write_journal,   // "write transaction journal"
    sync_journal,    // "sync transaction journal"
    publish,         // "publish transaction"
    retire_journal,  // "retire transaction journal"
    read_journal,    // "read transaction journal"
    refuse_journal,  // "refuse transaction journal"

    // Directory and symlink swaps (swap.hpp).
    create_staging,    // "create staging directory"
    populate_staging,  // "populate staging directory"
    exchange,          // "exchange directories"
    remove_old_tree,   // "remove old directory tree"
    create_temp_link,  // "create temp symlink"
    rename_link,       // "rename temp symlink over target"

    // The in-place fallback (ReplaceOptions::in_place_fallback).
    write_undo,          // "write undo record"
    overwrite_in_place,  // "overwrite in place"
    restore_undo,        // "restore from undo record"
};

// The words of a step, as Error::step() gives them when the step carries no more ("" for
// Step::other).
ATOMFILE_API const char* step_text(Step step) noexcept;

// The outcomes of the contract (replace.hpp) that a caller acts on. Lower case like std::errc,
// which it mirrors. Each is matched against the step and the errno that a code carries.
enum class errc {
    // The target HAS been replaced (the new content is in place) but the directory sync after
    // the rename failed, so whether the replace survives a power cut is unknown.
    // Step::directory_sync; errno_of() says why (EIO, ...). is_replaced_but_not_durable().
    replaced_not_durable = 1,
    // The target was replaced but its backup was lost. Never produced by this version: the
    // backup is published BEFORE the replace, so a failed backup leaves the target unchanged
    // (errc::backup_failed). Kept so that callers written against the contract compile; such a
    // check is simply never true.
    replaced_backup_failed,
    // Any of the replaced_* outcomes: the new content is in place (is_replaced()). Every other
    // failure leaves the target unchanged.
    replaced,
    // ReplaceOptions::detect_conflicts found the target replaced behind our back (errno
    // EBUSY, Step::conflict); the target keeps the other writer's content.
    conflict,
    // The update lock was not taken within ReplaceOptions::lock_timeout (errno ETIMEDOUT).
    lock_timeout,
    // An ancestor of this process holds the update lock, so waiting would never end (errno
    // EDEADLK).
    lock_deadlock,
    // The lock's name holds another user's file that can be neither used nor removed (a
    // sticky directory) and the target cannot be locked instead (Step::lock_untrusted; errno
    // EPERM when there is no target yet).
    lock_untrusted,
    // create_only found an existing target (errno EEXIST, Step::target_exists).
    target_exists,
    // The backup could not be made (Step::backup); the target is unchanged.
    backup_failed,
};

// The category of every code atomfile reports ("atomfile").
ATOMFILE_API const std::error_category& error_category() noexcept;
// The category of atomfile::errc ("atomfile.condition").
ATOMFILE_API const std::error_category& condition_category() noexcept;

// A code in error_category() for errno_value (0 becomes EIO) failed at step.
ATOMFILE_API std::error_code make_error_code(Step step, int errno_value) noexcept;
// Found by argument-dependent lookup: makes `ec == atomfile::errc::x` compile.
ATOMFILE_API std::error_condition make_error_condition(errc condition) noexcept;

// The errno a code carries, as std::error_code(errno, std::generic_category()). A code of
// another category is mapped through its default_error_condition() when that is generic (as
// for std::system_category() on POSIX), otherwise returned unchanged.
ATOMFILE_API std::error_code errno_of(const std::error_code& code) noexcept;
// The step a code of error_category() carries; Step::other for any other code.
ATOMFILE_API Step step_of(const std::error_code& code) noexcept;

class ATOMFILE_API Error : public std::system_error {
  public:
    // code is taken for its errno (errno_of) and reported in error_category() with step.
    // words replace step_text(step) where the step says more (who holds a lock, which
    // extended attribute); empty means step_text(step).
    Error(std::error_code code, Step step, std::string path, std::string second_path = {},
          std::string words = {});
    // A step given in words only: step_id() is the Step whose step_text() they are, else
    // Step::other (a tool's or the caller's own step).
    Error(std::error_code code, std::string step, std::string path, std::string second_path = {});

    Step step_id() const noexcept { return step_id_; }
    // What was being attempted, in words ("create temp file", "rename temp over target").
    const std::string& step() const noexcept { return step_; }
    const std::string& path() const noexcept { return path_; }
    const std::string& second_path() const noexcept { return second_path_; }
    // The errno: errno_of(code()).
    std::error_code errno_code() const noexcept { return errno_of(code()); }

  private:
    Step step_id_;
    std::string step_;
    std::string path_;
    std::string second_path_;
};

}  // namespace atomfile

namespace std {
template <>
struct is_error_condition_enum<atomfile::errc> : true_type {};
}  // namespace std
