#include "replace/undo_record.hpp"

#include <cerrno>

#include "error_support.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/replace_temp.hpp"
#include "replace/temp_stream.hpp"

namespace atomfile::replace {
namespace {

constexpr const char* magic = "atomfile undo record 1";
// A header is a few short lines; anything longer is not one of ours.
constexpr std::size_t header_limit = 4096;

std::string hex(const std::string& bytes) {
    static const char digits[] = "0123456789abcdef";
    std::string text;
    for (char c : bytes) {
        const auto byte = static_cast<unsigned char>(c);
        text += digits[byte >> 4];
        text += digits[byte & 15];
    }
    return text;
}

std::string identity(const platform::FileStatus& status) {
    return std::to_string(status.device) + " " + std::to_string(status.inode);
}

std::string header_for(const Target& file, const platform::FileStatus& directory,
                       const platform::FileStatus& status) {
    return std::string(magic) + "\ndirectory " + identity(directory) + "\nname " + hex(file.name) +
           "\nfile " + identity(status) + "\nsize " + std::to_string(status.size) + "\n\n";
}

platform::FileStatus directory_status(const Target& file, Step step, const std::string& path) {
    platform::FileStatus status;
    if (platform::stat_fd(file.dir.get(), status) != 0) throw_errno(step, path);
    return status;
}

bool trusted(const platform::FileStatus& status) {
    const unsigned me = platform::current_uid();
    return status.type == platform::FileType::regular && (status.uid == me || status.uid == 0) &&
           (status.mode & 022) == 0 && status.link_count == 1;
}

std::string read_header(int fd, const std::string& path) {
    std::string head(header_limit, '\0');
    long got = platform::pread_some(fd, head.data(), head.size(), 0);
    if (got < 0) throw_errno(Step::restore_undo, path);
    head.resize(static_cast<std::size_t>(got));
    std::size_t end = head.find("\n\n");
    if (end == std::string::npos) throw_error(EINVAL, Step::restore_undo, path);
    return head.substr(0, end + 2);
}

// A decimal size, or -1 when the text is not one.
std::int64_t parse_size(const std::string& text) {
    if (text.empty() || text.size() > 18) return -1;
    std::int64_t value = 0;
    for (char c : text) {
        if (c < '0' || c > '9') return -1;
        value = value * 10 + (c - '0');
    }
    return value;
}

// In a directory anyone may write and that is not sticky, anyone may also remove the record
// in the middle of an overwrite, and a crash then leaves the file a mix with nothing to restore.
void refuse_unsafe_directory(const Target& record) {
    platform::FileStatus directory;
    if (platform::stat_fd(record.dir.get(), directory) != 0)
        throw_errno(Step::write_undo, record.path);
    if ((directory.mode & 0002) != 0 && (directory.mode & 01000) == 0)
        throw_error(EPERM,
                    StepWords{Step::write_undo,
                              "write undo record in a directory anyone may "
                              "write that is not sticky"},
                    record.path);
}

}  // namespace

Target undo_record_place(const Target& file, const platform::FileStatus& status,
                         const ReplaceOptions& options) {
    const std::string name =
        ".atomfile-undo-" + std::to_string(status.device) + "-" + std::to_string(status.inode);
    if (!options.undo_directory.empty())
        return resolve_target(options.undo_directory + "/" + name, false);
    Target record;
    record.dir.reset(platform::duplicate(file.dir.get()));
    if (!record.dir) throw_errno(Step::write_undo, file.directory + "/" + name);
    record.dir_path_only = file.dir_path_only;
    record.directory = file.directory;
    record.name = name;
    record.path = file.directory + "/" + name;
    record.status = stat_target(record);
    return record;
}

FileDescriptor publish_undo_record(const Target& record, int file_fd, const Target& file,
                                   const platform::FileStatus& status, Durability durability) {
    refuse_unsafe_directory(record);
    try {
        ReplaceTemp temp(record);
        const std::string header =
            header_for(file, directory_status(file, Step::write_undo, record.path), status);
        temp.write(header);
        if (platform::seek(file_fd, 0, platform::Whence::set) < 0)
            throw_errno(Step::write_undo, file.path);
        WriteBehind no_writeback(false);
        const auto at = static_cast<std::int64_t>(header.size());
        std::uint64_t copied = copy_into_temp(file_fd, temp.fd(), at, no_writeback, {}, file.path);
        // A file changing under us cannot be saved whole: give up before touching it.
        if (copied != static_cast<std::uint64_t>(status.size))
            throw_error(EBUSY, Step::write_undo, file.path);
        FileDescriptor held(platform::duplicate(temp.fd()));
        if (!held || platform::lock_exclusive(held.get(), 0) != 0)
            throw_errno(Step::write_undo, record.path);
        sync_file(temp.fd(), durability, record);
        ReplaceOptions no_replace;
        no_replace.create_only = true;
        publish(temp, record, no_replace);
        sync_directory(record, durability, temp.fd());
        return held;
    } catch (const Error& failed) {
        if (failed.step_id() == Step::write_undo) throw;
        throw Error(failed.errno_code(), Step::write_undo, record.path);
    }
}

std::optional<UndoRecord> open_undo_record(const Target& record, const Target& file,
                                           const platform::FileStatus& status) {
    UndoRecord undo;
    undo.fd.reset(platform::open_read_no_wait(record.dir.get(), record.name.c_str(), false));
    if (!undo.fd) {
        if (errno == ENOENT) return std::nullopt;
        throw_error(errno == ELOOP ? EPERM : errno, Step::restore_undo, record.path);
    }
    platform::FileStatus own;
    if (platform::stat_fd(undo.fd.get(), own) != 0) throw_errno(Step::restore_undo, record.path);
    if (!trusted(own)) throw_error(EPERM, Step::restore_undo, record.path);
    if (platform::lock_exclusive(undo.fd.get(), 0) != 0)
        throw_error(errno == EWOULDBLOCK ? EBUSY : errno, Step::restore_undo, record.path);
    const std::string header = read_header(undo.fd.get(), record.path);
    // Everything but the size must be what this file's record would say now.
    const std::string expected =
        header_for(file, directory_status(file, Step::restore_undo, record.path), status);
    const std::size_t size_line = expected.rfind("size ");
    std::int64_t size = -1;
    if (header.compare(0, size_line, expected, 0, size_line) == 0)
        size = parse_size(header.substr(size_line + 5, header.size() - size_line - 7));
    if (size < 0 || own.size != static_cast<std::int64_t>(header.size()) + size)
        throw_error(EINVAL, Step::restore_undo, record.path);
    undo.content_offset = static_cast<std::int64_t>(header.size());
    undo.content_size = size;
    return undo;
}

void retire_undo_record(const Target& record, Durability durability) {
    if (platform::unlink_file_at(record.dir.get(), record.name.c_str()) != 0)
        throw_errno(Step::write_undo, record.path);
    try {
        sync_directory(record, durability);
    } catch (const Error& failed) {
        throw Error(failed.errno_code(), Step::write_undo, record.path);
    }
}

}  // namespace atomfile::replace
