// std::ostream adapters: `out << value` into an atomic replace or into a temp file.
//
//     atomfile::AtomicOStream out("/etc/app.conf");
//     out << "workers = " << workers << '\n';
//     out.commit();  // or: leave the scope, and /etc/app.conf is untouched
//
// Both streams buffer 64 KiB in the stream (not a byte more, however much is written) and hand
// it to the file's write(): when the buffer is full, on flush() (std::flush, std::endl), and at
// commit() or close(). A single insertion larger than the buffer goes to the file directly.
//
// Errors. Output operators never throw atomfile errors: as with every iostream, a failed write
// sets badbit (or throws std::ios_base::failure if the caller asked for that with exceptions()).
// The stream keeps the first atomfile::Error, with the step and the path of the failure
// ("write temp file" and the target, say); from then on output is dropped, error() returns its
// code, and commit() or close() throws that very Error.
#pragma once

#include <memory>
#include <ostream>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/named_temporary_file.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/spooled_temporary_file.hpp"
#include "atomfile/temporary_file.hpp"

namespace atomfile {

namespace detail {
class OStreamBuffer;
}

// An output stream that replaces a file atomically: an AtomicFile with operator<<.
//
// Contract:
//   - Nothing is published before commit(). Destroyed without commit(), or after discard(), it
//     leaves the target untouched and no temp behind, also when an exception unwinds past it.
//   - commit() forwards what is buffered and publishes the file exactly as AtomicFile::commit()
//     does (replace.hpp: the protocol and what each error means).
//   - commit() publishes only a stream that is good(). After a failed write it throws the Error
//     that write raised; when failbit or badbit was set by anything else (an operator<< of the
//     caller's that failed, setstate() to abandon the output) it throws an Error with
//     std::errc::io_error, step "commit a stream in a failed state", and the target path. In both
//     cases the temp is discarded and the target is untouched.
//   - Once commit() has returned or thrown, the stream is spent: further output fails (badbit)
//     and a further commit() fails with std::errc::bad_file_descriptor.
class ATOMFILE_API AtomicOStream : public std::ostream {
  public:
    // Opens an AtomicFile (the lock, the old target, the temp); throws what AtomicFile throws.
    explicit AtomicOStream(const PathArg& path, const ReplaceOptions& options = {});
    // Streams into a file already opened, e.g. with AtomicFile's error_code constructor.
    explicit AtomicOStream(AtomicFile file);
    AtomicOStream(AtomicOStream&& other) noexcept;
    AtomicOStream& operator=(AtomicOStream&& other) noexcept;
    AtomicOStream(const AtomicOStream&) = delete;
    AtomicOStream& operator=(const AtomicOStream&) = delete;
    // Discards: the target stays as it was. Never throws.
    ~AtomicOStream() override;

    void commit();
    void commit(std::error_code& ec) noexcept;
    // Drops the buffer and the temp, releases the lock; the stream is spent.
    void discard() noexcept;
    // The code of the first failed write (empty while there is none).
    std::error_code error() const noexcept;
    // The resolved path that commit() will replace.
    const std::string& target_path() const noexcept;
    // The underlying file, for what the stream does not offer (read_original(),
    // temp_descriptor()). flush() the stream before writing to the file directly, or the bytes
    // land out of order.
    AtomicFile& file();

  private:
    struct Impl;
    std::unique_ptr<Impl> impl_;
};

// An output stream into a temp file the caller owns: a NamedTemporaryFile, a TemporaryFile or a
// SpooledTemporaryFile, written at its current position through its write().
//
// Contract:
//   - The file must outlive the stream and stay where it is (not moved from) while the stream
//     writes into it. flush() the stream before using the file (read, seek, persist, link_to):
//     only what was flushed is in it.
//   - close() forwards what is buffered and detaches the stream; it throws the kept Error if a
//     write failed. Destruction does the same but never throws: a failure then is lost, as with
//     std::ofstream, so call close() (or flush() and check the stream) when it matters.
//   - After close() the stream is spent: further output fails (badbit); close() again does
//     nothing.
class ATOMFILE_API TempOStream : public std::ostream {
  public:
    explicit TempOStream(NamedTemporaryFile& file);
    explicit TempOStream(TemporaryFile& file);
    explicit TempOStream(SpooledTemporaryFile& file);
    TempOStream(TempOStream&& other) noexcept;
    TempOStream& operator=(TempOStream&& other) noexcept;
    TempOStream(const TempOStream&) = delete;
    TempOStream& operator=(const TempOStream&) = delete;
    // Forwards what is buffered, ignoring a failure. Never throws.
    ~TempOStream() override;

    void close();
    void close(std::error_code& ec) noexcept;
    // The code of the first failed write (empty while there is none).
    std::error_code error() const noexcept;

  private:
    explicit TempOStream(std::unique_ptr<detail::OStreamBuffer> buffer);
    std::unique_ptr<detail::OStreamBuffer> buffer_;
};

}  // namespace atomfile
