// The undo record of the in-place fallback: the old content of a file being overwritten in
// place, published (synced, renamed into place, its directory synced) before the first byte is
// overwritten. ReplaceOptions::in_place_fallback in atomfile/replace.hpp states the contract.
//
// Format: a text header, a blank line, then the old content byte for byte:
//     atomfile undo record 1
//     directory DEV INO        (the file's directory)
//     name HEX                 (the file's name, hex-encoded: any byte may appear in a name)
//     file DEV INO
//     size BYTES
//
#pragma once

#include <cstdint>
#include <optional>
#include <string>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "platform/linux.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// Where the record of the file with status `file` lives: ".atomfile-undo-DEV-INO" in
// options.undo_directory, or in the file's own directory. Its status is looked up (lstat).
Target undo_record_place(const Target& file, const platform::FileStatus& status,
                         const ReplaceOptions& options);

// Copies the whole content of file_fd (the file as `status` describes it) into a record at
// `record`, published with no-replace semantics: an existing record fails with EEXIST.
// Returns a descriptor of the record holding an exclusive flock, to keep until the record is
// retired: it tells a live writer's record from a crashed one's. Errors: Step::write_undo
// naming the record.
FileDescriptor publish_undo_record(const Target& record, int file_fd, const Target& file,
                                   const platform::FileStatus& status, Durability durability);

// A record opened and checked against the file it must restore.
struct UndoRecord {
    FileDescriptor fd;
    std::int64_t content_offset = 0;  // where the old content starts
    std::int64_t content_size = 0;
};

// Opens the record at `record` and checks that it is trusted (a regular file of ours or root's,
// not writable by group or others, one link) and names `file` (its directory, name, device and
// inode), and that no live writer holds it. std::nullopt when there is none. Errors:
// Step::restore_undo, EPERM (untrusted), EINVAL (damaged, or naming another file) or EBUSY (a
// writer is overwriting the file now), naming the record.
std::optional<UndoRecord> open_undo_record(const Target& record, const Target& file,
                                           const platform::FileStatus& status);

// Removes the record and syncs its directory. Errors: Step::write_undo naming the record.
void retire_undo_record(const Target& record, Durability durability);

}  // namespace atomfile::replace
