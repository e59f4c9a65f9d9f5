// TemporaryDirectory: a directory created like mkdtemp() (0700, random name) and removed with
// everything in it (Python's tempfile.TemporaryDirectory).
//
// Removal is safe against a hostile or careless writer inside the directory:
//   - it walks the tree through directory descriptors (openat with O_NOFOLLOW, unlinkat), so a
//     symlink is removed as a link and never followed, and swapping a subdirectory for a
//     symlink mid-removal cannot redirect it outside (the CVE-2022-21658 class);
//   - permissions are repaired only through a descriptor of the directory itself, or with a
//     chmod that refuses symlinks, never by path (the CVE-2023-6597 class): read-only
//     subdirectories are removed, files outside are never chmodded;
//   - it never crosses into another mount: a file system (or a bind mount, even of the same
//     file system) mounted anywhere inside, or on the directory itself, is skipped: neither
//     emptied, chmodded nor unmounted. What it holds is not the directory's to delete, and
//     unmounting is the mounter's decision. Everything else is removed; the mount point and the
//     directories above it stay.
//
// When it is removed follows Python 3.12: at destruction when delete_file (Python's delete) is
// true; always by an explicit cleanup(). Removing what is already gone is not an error.
// Errors: cleanup() removes all it can and then throws the first failure (atomfile::Error with
// the step and the path of the entry), unless ignore_cleanup_errors is set. A skipped mount is
// reported in preference to any other failure: code() is EBUSY (std::errc::device_or_resource_busy)
// and path() the first mount point met; a caller that sees it knows the directory remains and
// must be removed after an unmount. The destructor never throws (so reports nothing, and skips
// mounts all the same).
#pragma once

#include <string>
#include <system_error>
#include <utility>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"

namespace atomfile {

// Python's TemporaryDirectory(suffix=None, prefix=None, dir=None, ignore_cleanup_errors=False,
// *, delete=True); `delete` is a C++ keyword, hence delete_file.
// Named, chainable setters as for every options struct (temporary_file.hpp says why this form):
//     TemporaryDirectory work(TemporaryDirectoryOptions().with_prefix("build_").with_dir(root));
struct TemporaryDirectoryOptions {
    std::string suffix;
    std::string prefix = "tmp";
    PathArg dir = "";  // empty: gettempdir()
    bool ignore_cleanup_errors = false;
    bool delete_file = true;

    TemporaryDirectoryOptions& with_suffix(std::string value) {
        suffix = std::move(value);
        return *this;
    }
    TemporaryDirectoryOptions& with_prefix(std::string value) {
        prefix = std::move(value);
        return *this;
    }
    TemporaryDirectoryOptions& with_dir(PathArg value) {
        dir = std::move(value);
        return *this;
    }
    TemporaryDirectoryOptions& with_ignore_cleanup_errors(bool value) {
        ignore_cleanup_errors = value;
        return *this;
    }
    TemporaryDirectoryOptions& with_delete_file(bool value) {
        delete_file = value;
        return *this;
    }
};

class ATOMFILE_API TemporaryDirectory {
  public:
    TemporaryDirectory();
    explicit TemporaryDirectory(const TemporaryDirectoryOptions& options);
    // On failure sets ec and leaves the object empty (no path, nothing to remove).
    TemporaryDirectory(const TemporaryDirectoryOptions& options, std::error_code& ec) noexcept;
    TemporaryDirectory(TemporaryDirectory&& other) noexcept;
    TemporaryDirectory& operator=(TemporaryDirectory&& other) noexcept;
    TemporaryDirectory(const TemporaryDirectory&) = delete;
    TemporaryDirectory& operator=(const TemporaryDirectory&) = delete;
    ~TemporaryDirectory();

    // The absolute path (Python's .name); still set after cleanup().
    const std::string& path() const noexcept { return path_; }
    bool ignore_cleanup_errors() const noexcept { return ignore_cleanup_errors_; }
    bool delete_file() const noexcept { return delete_file_; }

    // Removes the directory and everything in it, whatever delete_file says.
    void cleanup();
    void cleanup(std::error_code& ec) noexcept;

  private:
    std::string path_;
    bool ignore_cleanup_errors_ = false;
    bool delete_file_ = true;
    bool cleaned_up_ = false;
};

}  // namespace atomfile
