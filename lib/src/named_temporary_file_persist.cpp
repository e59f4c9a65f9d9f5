// NamedTemporaryFile::persist: publishing a caller's named temp through the replace engine.
// It lives apart from named_temporary_file.cpp because it is part of the engine: the same
// target resolution, lock, metadata copy, sync, backup and directory sync as write_atomic.
#include <cerrno>

#include "atomfile/named_temporary_file.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/steps.hpp"
#include "replace/target_resolution.hpp"
#include "replace/update_lock.hpp"

namespace atomfile {

using namespace replace;

namespace {

// Moves the temp to the target name. Across file systems this fails with EXDEV: a copy would
// not be atomic, so there is none.
void move_into_place(const std::string& temp_path, const Target& target, bool create_only) {
    int dir = target.dir.get();
    const char* name = target.name.c_str();
    auto mode = create_only ? platform::RenameMode::no_replace : platform::RenameMode::replace;
    if (platform::rename_at(platform::current_directory, temp_path.c_str(), dir, name, mode) == 0)
        return;
    bool fall_back = create_only && (errno == EINVAL || errno == ENOSYS);
    if (fall_back &&
        platform::link_at(platform::current_directory, temp_path.c_str(), dir, name) == 0) {
        platform::unlink_file_at(platform::current_directory, temp_path.c_str());
        return;
    }
    throw_errno(errno == EEXIST ? step::target_exists : step::rename, temp_path, target.path);
}

}  // namespace

void NamedTemporaryFile::persist(const PathArg& target_path, const ReplaceOptions& options) {
    if (closed()) throw_error(EBADF, Step::persist, path(), target_path.str());
    Target target = resolve_target(target_path.str(), options, true);
    recover_covering(target, options);  // as AtomicFile does (replace.hpp)
    UpdateLock lock;
    if (options.lock) lock = UpdateLock(target, options.lock_timeout, options.cancel_lock_wait);
    Original original = open_original(target, options);
    // A descriptor of our own: release() closes the object's, and the directory sync after the
    // move may need one on the new file (to sync its file system).
    FileDescriptor file(platform::duplicate(fileno()));
    if (!file) throw_errno(Step::persist, path(), target.path);
    commit_file(file.get(), original, target, options, [&] {
        move_into_place(path(), target, options.create_only);
        release();  // the file now lives at the target: never delete it
    });
}

void NamedTemporaryFile::persist(const PathArg& target_path, const ReplaceOptions& options,
                                 std::error_code& ec) noexcept {
    capture_error(ec, [&] { persist(target_path, options); });
}

}  // namespace atomfile
