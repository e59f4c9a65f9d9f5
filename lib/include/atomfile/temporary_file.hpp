// TemporaryFile: a temp file with no name, gone when closed (Python's tempfile.TemporaryFile).
//
// On Linux the file is created with O_TMPFILE: it never has a name, so no other process can
// open it by path and nothing is left behind even if this process is killed. Where the file
// system or kernel refuses O_TMPFILE (EOPNOTSUPP, EISDIR, EINVAL) the file is created like
// mkstemp() (exclusive, 0600, random name) and its name removed at once, as Python does.
//
// I/O (write, read, seek, tell, truncate, flush, sync) is TempFileIo's: unbuffered and binary.
//
// Beyond Python: link_to(path) gives an O_TMPFILE temp a name (linkat), e.g. to publish a file
// only once it is complete. A temp made by the fallback cannot be linked (its name is already
// gone and the kernel refuses to link an unlinked inode): link_to then fails with
// std::errc::operation_not_supported; linkable() says in advance.
//
// Errors: atomfile::Error naming the step ("write temp file", "seek temp file", ...) and the
// directory the temp lives in (or the link target). Using a closed file fails with
// std::errc::bad_file_descriptor. Destruction closes the file and never throws.
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
#include "atomfile/temp_file_io.hpp"

namespace atomfile {

// Python's TemporaryFile(suffix=None, prefix=None, dir=None); suffix and prefix only matter
// for the fallback's short-lived name.
//
// Every options struct of the library (this one, NamedTemporaryFileOptions,
// SpooledTemporaryFileOptions, TemporaryDirectoryOptions, ReplaceOptions) can be filled in three
// ways, which mix freely:
//     TemporaryFile temp({"", "tmp", dir});                      // positional, Python's order
//     TemporaryFileOptions options; options.dir = dir;           // field by field
//     TemporaryFile temp(TemporaryFileOptions().with_dir(dir));  // named and chained
// Each with_FIELD(value) sets that one field and returns *this. Why this form:
//   - a member function cannot share its field's name, and the fields keep their names (code
//     and tests assign them), hence the with_ prefix;
//   - the setters live on the struct itself rather than on a separate Builder (Rust tempfile's,
//     folly's): member functions leave the struct an aggregate, so the positional and field by
//     field forms keep compiling unchanged, and there is one type to learn, not two;
//   - they are inline and trivial: no library symbol, no ABI.
// A chain started on a temporary returns a reference to that temporary: pass it on or copy it
// (auto options = TemporaryFileOptions().with_dir(dir);), never bind it to a reference.
struct TemporaryFileOptions {
    std::string suffix;
    std::string prefix = "tmp";
    PathArg dir = "";  // empty: gettempdir()

    TemporaryFileOptions& with_suffix(std::string value) {
        suffix = std::move(value);
        return *this;
    }
    TemporaryFileOptions& with_prefix(std::string value) {
        prefix = std::move(value);
        return *this;
    }
    TemporaryFileOptions& with_dir(PathArg value) {
        dir = std::move(value);
        return *this;
    }
};

class ATOMFILE_API TemporaryFile : public TempFileIo {
  public:
    TemporaryFile();
    explicit TemporaryFile(const TemporaryFileOptions& options);
    // On failure sets ec and leaves the object closed.
    TemporaryFile(const TemporaryFileOptions& options, std::error_code& ec) noexcept;
    TemporaryFile(TemporaryFile&& other) noexcept;
    TemporaryFile& operator=(TemporaryFile&& other) noexcept;
    TemporaryFile(const TemporaryFile&) = delete;
    TemporaryFile& operator=(const TemporaryFile&) = delete;
    ~TemporaryFile();

    // True when the file came from O_TMPFILE and link_to() can name it.
    bool linkable() const noexcept { return anonymous_; }
    // The directory holding the file (absolute).
    const std::string& directory() const noexcept { return name_; }

    // Gives the file the name path (which must not exist: std::errc::file_exists). The file
    // stays open here and is no longer temporary: closing it leaves it at path.
    void link_to(const PathArg& path);
    void link_to(const PathArg& path, std::error_code& ec) noexcept;
    // Closes the file, which disappears with its last descriptor. Idempotent, never throws.
    void close() noexcept;

  private:
    bool anonymous_ = false;
};

}  // namespace atomfile
