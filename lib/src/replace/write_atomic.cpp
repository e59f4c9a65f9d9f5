// The one-call forms of the replace engine.
#include <cerrno>

#include "atomfile/replace.hpp"
#include "error_support.hpp"
#include "replace/steps.hpp"

namespace atomfile {

std::error_code conflict_error() noexcept {
    return make_error_code(replace::step::conflict, EBUSY);
}

bool is_replaced_but_not_durable(const Error& e) noexcept {
    return e.step_id() == replace::step::directory_sync;
}

// The backup is published before the replace, so the directory sync is the only step that can
// fail after it.
bool is_replaced(const Error& e) noexcept {
    return is_replaced_but_not_durable(e);
}

bool write_atomic(const PathArg& path, std::string_view data, const ReplaceOptions& options) {
    AtomicFile file(path, options);
    file.write(data);
    file.commit();
    return file.replaced();
}

bool write_atomic(const PathArg& path, std::string_view data, const ReplaceOptions& options,
                  std::error_code& ec) noexcept {
    bool replaced = false;
    capture_error(ec, [&] { replaced = write_atomic(path, data, options); });
    return replaced;
}

bool safe_update(const PathArg& path, const Transform& transform, const ReplaceOptions& options) {
    ReplaceOptions locked = options;
    locked.lock = true;
    AtomicFile file(path, locked);
    // If the transform throws, the AtomicFile's destructor drops the temp and the lock.
    file.write(transform(file.read_original()));
    file.commit();
    return file.replaced();
}

bool safe_update(const PathArg& path, const Transform& transform, const ReplaceOptions& options,
                 std::error_code& ec) noexcept {
    bool replaced = false;
    capture_error(ec, [&] { replaced = safe_update(path, transform, options); });
    return replaced;
}

}  // namespace atomfile
