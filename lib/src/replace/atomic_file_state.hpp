// What an AtomicFile holds between open and commit. Private to the engine: atomic_file.cpp and
// Batch (batch.cpp), which stages AtomicFiles and commits them together, are its only users.
#pragma once

#include <cstdint>
#include <optional>

#include "atomfile/replace.hpp"
#include "replace/metadata_copy.hpp"
#include "replace/replace_temp.hpp"
#include "replace/target_resolution.hpp"
#include "replace/temp_stream.hpp"
#include "replace/update_lock.hpp"

namespace atomfile {

// Members are declared in the order they are acquired, so they are released in reverse: the
// temp and the lock refer to the target's directory descriptor.
struct AtomicFile::State {
    ReplaceOptions options;
    replace::Target target;
    replace::UpdateLock lock;
    replace::Original original;
    // The in-place fallback for a directory that refuses the temp: where the temp went
    // instead, and the error that sent it there (commit then overwrites in place).
    std::optional<replace::Target> staging;
    std::optional<Error> temp_refused;
    std::optional<replace::ReplaceTemp> temp;
    // The temp's offset as this object last left it (writes through temp_descriptor() are not
    // seen, which only makes write-behind hand the disk a range a little off).
    std::int64_t position = 0;
    std::optional<replace::WriteBehind> behind;
    bool replaced = false;  // by commit(): false when skip_unchanged found nothing to write
};

}  // namespace atomfile
