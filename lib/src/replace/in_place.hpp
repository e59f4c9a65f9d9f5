// The in-place fallback (ReplaceOptions::in_place_fallback): a file that cannot be replaced by
// a rename is overwritten in place, crash-safe through an undo record (undo_record.hpp).
// atomfile/replace.hpp states the contract; docs/durability.md says why it is ordered so.
#pragma once

#include "atomfile/replace.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/target_resolution.hpp"

namespace atomfile::replace {

// Whether a rename over the target that failed with `refused` is answered by the fallback.
bool falls_back_on_rename(const Error& refused, const ReplaceOptions& options);
// Whether a temp that could not be created next to the target (`refused`) is answered by the
// fallback: the temp is then created in options.undo_directory instead.
bool falls_back_on_temp(const Error& refused, const Original& original,
                        const ReplaceOptions& options);

// Where the temp goes when the target's directory refuses it: options.undo_directory, with
// the target's name (so the temp's name says whose it is).
Target staging_place(const Target& target, const ReplaceOptions& options);

// Writes new_fd's content (from offset 0 to its end) over the target's file, through an undo
// record. `refused` is the error that chose the fallback, passed to on_in_place_fallback.
void overwrite_in_place(int new_fd, const Target& target, const ReplaceOptions& options,
                        const Error& refused);

// Puts back the old content from an undo record left for the target's file by an interrupted
// overwrite, and removes the record. False when there is none (or no regular file).
bool restore_in_place(const Target& target, const ReplaceOptions& options);

}  // namespace atomfile::replace
