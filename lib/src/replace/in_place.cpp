#include "replace/in_place.hpp"

#include <cerrno>
#include <vector>

#include "error_support.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/undo_record.hpp"

namespace atomfile::replace {
namespace {

bool may_fall_back(const ReplaceOptions& options) {
    // A backup link would share the inode being overwritten; create_only has nothing to
    // overwrite.
    return options.in_place_fallback && options.backup_suffix.empty() && !options.create_only;
}

// Opens the target's file for overwriting and checks it is the regular, singly linked file
// the replace started from. Nothing has been touched when this throws.
FileDescriptor open_for_overwrite(const Target& target, platform::FileStatus& status) {
    FileDescriptor file(
        platform::open_existing_for_overwrite(target.dir.get(), target.name.c_str()));
    if (!file) throw_errno(Step::open_target, target.path);
    if (platform::stat_fd(file.get(), status) != 0) throw_errno(Step::open_target, target.path);
    if (status.type != platform::FileType::regular)
        throw_error(EINVAL, Step::not_regular, target.path);
    // Every other name of the file would see the overwrite, which a replace never does.
    if (status.link_count > 1) throw_error(EMLINK, Step::hard_links, target.path);
    if (target.status && !same_inode(*target.status, status))
        throw Error(conflict_error(), Step::conflict, target.path);
    return file;
}

// Copies `size` bytes of from_fd at from_offset over to_fd from offset 0 (size < 0: to the
// end of from_fd), then cuts to_fd to what was copied. Errors: step, naming path.
void copy_over(int from_fd, std::int64_t from_offset, std::int64_t size, int to_fd, Step step,
               const std::string& path) {
    std::vector<char> buffer(std::size_t(1) << 20);
    std::int64_t done = 0;
    while (size < 0 || done < size) {
        std::size_t want = buffer.size();
        if (size >= 0)
            want = static_cast<std::size_t>(
                std::min<std::int64_t>(size - done, static_cast<std::int64_t>(want)));
        long got = platform::pread_some(from_fd, buffer.data(), want, from_offset + done);
        if (got < 0) throw_errno(step, path);
        if (got == 0) break;
        if (platform::pwrite_all(to_fd, buffer.data(), static_cast<std::size_t>(got), done) != 0)
            throw_errno(step, path);
        done += got;
    }
    if (size >= 0 && done != size) throw_error(EINVAL, step, path);  // the record was cut short
    if (platform::truncate_fd(to_fd, done) != 0) throw_errno(step, path);
}

void sync_overwritten(int fd, Durability durability, Step step, const std::string& path) {
    if (durability == Durability::none) return;
    auto kind =
        durability == Durability::data ? platform::SyncKind::data : platform::SyncKind::full;
    if (platform::sync_fd(fd, kind) != 0) throw_errno(step, path);
}

}  // namespace

bool falls_back_on_rename(const Error& refused, const ReplaceOptions& options) {
    return may_fall_back(options) && refused.step_id() == Step::rename &&
           refused.errno_code().value() == EBUSY;
}

bool falls_back_on_temp(const Error& refused, const Original& original,
                        const ReplaceOptions& options) {
    const int error = refused.errno_code().value();
    return may_fall_back(options) && !options.undo_directory.empty() && original.fd &&
           original.status && original.status->type == platform::FileType::regular &&
           refused.step_id() == Step::create_temp && (error == EACCES || error == EPERM);
}

Target staging_place(const Target& target, const ReplaceOptions& options) {
    return resolve_target(options.undo_directory + "/" + target.name, false);
}

void overwrite_in_place(int new_fd, const Target& target, const ReplaceOptions& options,
                        const Error& refused) {
    platform::FileStatus status;
    FileDescriptor file = open_for_overwrite(target, status);
    Target record = undo_record_place(target, status, options);
    if (options.on_in_place_fallback) options.on_in_place_fallback(refused, record.path);
    FileDescriptor held =
        publish_undo_record(record, file.get(), target, status, options.durability);
    // From here until the record is retired, a crash is undone from the record.
    copy_over(new_fd, 0, -1, file.get(), Step::overwrite_in_place, target.path);
    sync_overwritten(file.get(), options.durability, Step::overwrite_in_place, target.path);
    if (platform::unlink_file_at(record.dir.get(), record.name.c_str()) != 0)
        throw_errno(Step::write_undo, record.path);  // kept: recovery puts the old content back
    // The record is gone and the file holds its new content: from here on a failure is the
    // replace's own "replaced, durability unknown" (a power cut may bring the record back).
    try {
        sync_directory(record, options.durability);
    } catch (const Error& failed) {
        throw Error(failed.errno_code(), Step::directory_sync, target.path);
    }
}

bool restore_in_place(const Target& target, const ReplaceOptions& options) {
    if (!target.status || target.status->type != platform::FileType::regular) return false;
    Target record = undo_record_place(target, *target.status, options);
    if (!record.status) return false;
    std::optional<UndoRecord> undo = open_undo_record(record, target, *target.status);
    if (!undo) return false;
    platform::FileStatus status;
    FileDescriptor file = open_for_overwrite(target, status);
    copy_over(undo->fd.get(), undo->content_offset, undo->content_size, file.get(),
              Step::restore_undo, target.path);
    // Restored whatever the durability asked: the record is about to go.
    sync_overwritten(file.get(), Durability::full, Step::restore_undo, target.path);
    retire_undo_record(record, Durability::full);
    return true;
}

}  // namespace atomfile::replace

namespace atomfile {

bool recover_in_place(const PathArg& path, const ReplaceOptions& options) {
    replace::Target target = replace::resolve_target(path.str(), options);
    return replace::restore_in_place(target, options);
}

bool recover_in_place(const PathArg& path, const ReplaceOptions& options,
                      std::error_code& ec) noexcept {
    bool restored = false;
    capture_error(ec, [&] { restored = recover_in_place(path, options); });
    return restored;
}

}  // namespace atomfile
