#include "atomfile/temporary_directory.hpp"

#include <utility>

#include "atomfile/mkstemp.hpp"
#include "detail/remove_tree.hpp"
#include "error_support.hpp"

namespace atomfile {

TemporaryDirectory::TemporaryDirectory() : TemporaryDirectory(TemporaryDirectoryOptions{}) {}

TemporaryDirectory::TemporaryDirectory(const TemporaryDirectoryOptions& options)
    : path_(mkdtemp(options.suffix, options.prefix, options.dir)),
      ignore_cleanup_errors_(options.ignore_cleanup_errors),
      delete_file_(options.delete_file) {}

TemporaryDirectory::TemporaryDirectory(const TemporaryDirectoryOptions& options,
                                       std::error_code& ec) noexcept {
    cleaned_up_ = true;  // nothing to remove unless creation succeeds
    capture_error(ec, [&] { *this = TemporaryDirectory(options); });
}

TemporaryDirectory::TemporaryDirectory(TemporaryDirectory&& other) noexcept
    : path_(std::move(other.path_)),
      ignore_cleanup_errors_(other.ignore_cleanup_errors_),
      delete_file_(other.delete_file_),
      cleaned_up_(std::exchange(other.cleaned_up_, true)) {
    other.path_.clear();
}

TemporaryDirectory& TemporaryDirectory::operator=(TemporaryDirectory&& other) noexcept {
    if (this != &other) {
        if (delete_file_ && !cleaned_up_) {
            std::error_code ignored;
            cleanup(ignored);
        }
        path_ = std::move(other.path_);
        other.path_.clear();
        ignore_cleanup_errors_ = other.ignore_cleanup_errors_;
        delete_file_ = other.delete_file_;
        cleaned_up_ = std::exchange(other.cleaned_up_, true);
    }
    return *this;
}

TemporaryDirectory::~TemporaryDirectory() {
    if (!delete_file_ || cleaned_up_) return;
    try {
        detail::remove_tree(path_, true);
    } catch (...) {
        // A destructor has no one to report to; cleanup() is the reporting path.
    }
}

void TemporaryDirectory::cleanup() {
    if (path_.empty()) return;
    cleaned_up_ = true;
    detail::remove_tree(path_, ignore_cleanup_errors_);
}

void TemporaryDirectory::cleanup(std::error_code& ec) noexcept {
    capture_error(ec, [&] { cleanup(); });
}

}  // namespace atomfile
