// NamedTemporaryFile: a temp file with a path other code can open (Python's
// tempfile.NamedTemporaryFile), created like mkstemp(): exclusive, 0600, random name,
// close-on-exec.
//
// When the file is removed follows Python 3.12 exactly:
//   delete_file  delete_on_close   removed...
//   true         true (default)    when closed: close(), or destruction
//   true         false             at destruction (or cleanup()), not by close(): the file can
//                                  be closed and then reopened by name, e.g. by another program
//   false        any               never: the caller owns it (like keep())
// Removal tolerates a file that is already gone, and leaves alone a path that now names another
// file (the temp was moved away and something else put in its place).
//
// Beyond Python: keep() turns deletion off; release() hands the file to the caller (closes the
// descriptor, never deletes, returns the path); persist() publishes the file at a target
// through the replace engine.
//
// I/O is unbuffered and binary, as in TemporaryFile. Errors: atomfile::Error naming the step and
// the temp's path; a closed file fails with std::errc::bad_file_descriptor. The destructor never
// throws (it swallows a failed removal: call cleanup() to see it).
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <system_error>
#include <utility>

#include "atomfile/export.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/temporary_file.hpp"

namespace atomfile {

// Python's NamedTemporaryFile(suffix=None, prefix=None, dir=None, delete=True, *,
// delete_on_close=True); `delete` is a C++ keyword, hence delete_file.
// Named, chainable setters as for every options struct (temporary_file.hpp says why this form):
//     NamedTemporaryFile temp(NamedTemporaryFileOptions().with_prefix("myapp_").with_dir(cache));
struct NamedTemporaryFileOptions {
    std::string suffix;
    std::string prefix = "tmp";
    PathArg dir = "";  // empty: gettempdir()
    bool delete_file = true;
    bool delete_on_close = true;

    NamedTemporaryFileOptions& with_suffix(std::string value) {
        suffix = std::move(value);
        return *this;
    }
    NamedTemporaryFileOptions& with_prefix(std::string value) {
        prefix = std::move(value);
        return *this;
    }
    NamedTemporaryFileOptions& with_dir(PathArg value) {
        dir = std::move(value);
        return *this;
    }
    NamedTemporaryFileOptions& with_delete_file(bool value) {
        delete_file = value;
        return *this;
    }
    NamedTemporaryFileOptions& with_delete_on_close(bool value) {
        delete_on_close = value;
        return *this;
    }
};

class ATOMFILE_API NamedTemporaryFile : public TempFileIo {
  public:
    NamedTemporaryFile();
    explicit NamedTemporaryFile(const NamedTemporaryFileOptions& options);
    // On failure sets ec and leaves the object empty (closed, no path).
    NamedTemporaryFile(const NamedTemporaryFileOptions& options, std::error_code& ec) noexcept;
    NamedTemporaryFile(NamedTemporaryFile&& other) noexcept;
    NamedTemporaryFile& operator=(NamedTemporaryFile&& other) noexcept;
    NamedTemporaryFile(const NamedTemporaryFile&) = delete;
    NamedTemporaryFile& operator=(const NamedTemporaryFile&) = delete;
    ~NamedTemporaryFile();

    // The absolute path (Python's .name); empty once released.
    const std::string& path() const noexcept { return name_; }
    bool delete_file() const noexcept { return delete_file_; }
    bool delete_on_close() const noexcept { return delete_on_close_; }

    // Closes the descriptor; removes the file when delete_file and delete_on_close are both
    // true. Idempotent. Throws only when that removal fails (the descriptor is closed anyway).
    void close();
    void close(std::error_code& ec) noexcept;
    // What destruction does, reporting errors: closes, and removes the file if delete_file.
    // Afterwards the object owns nothing.
    void cleanup();
    void cleanup(std::error_code& ec) noexcept;
    // The file will not be removed; it stays open and usable.
    void keep() noexcept;
    // Hands the file to the caller: closes the descriptor, never removes the file, and returns
    // its path. Afterwards the object owns nothing.
    std::string release() noexcept;

    // Publishes this temp at target through the replace engine (sync, rename, directory sync);
    // afterwards the object no longer owns a file. The temp must live on target's file system
    // (create it with dir set to target's directory). Errors are the replace engine's
    // (replace.hpp): before the rename the temp stays ours and the target is unchanged; a
    // failed directory sync after it reports errc::replaced_not_durable (the file IS at the
    // target and no longer ours); a closed file fails with std::errc::bad_file_descriptor,
    // step "persist temp file".
    void persist(const PathArg& target, const ReplaceOptions& options = {});
    void persist(const PathArg& target, const ReplaceOptions& options,
                 std::error_code& ec) noexcept;

  private:
    void remove_if_ours() const;

    std::uint64_t device_ = 0;
    std::uint64_t inode_ = 0;
    bool delete_file_ = true;
    bool delete_on_close_ = true;
    bool cleaned_up_ = false;
};

}  // namespace atomfile
