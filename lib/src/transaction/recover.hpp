// Finishing or undoing an interrupted transaction, and the publishing step that commit() shares
// with the roll-forward.
#pragma once

#include <vector>

#include "atomfile/transaction.hpp"
#include "transaction/journal.hpp"
#include "transaction/root.hpp"

namespace atomfile::transaction {

// Publishes one entry, idempotently, so a journal can be rolled forward again after a crash
// during a roll-forward (or resurrected after its retirement was lost): a write renames
// new-INDEX over the target only while new-INDEX exists; a removal unlinks the target only while
// it is still the file linked as old-INDEX. Every directory changed is appended to dirs.
void publish_entry(const Root& root, int staging_fd, const JournalEntry& entry,
                   std::vector<FileDescriptor>& dirs);

// fsyncs every directory once, concurrently (Step::directory_sync).
void sync_directories(const Root& root, std::vector<FileDescriptor>& dirs);

// The root's lock for a writer (Transaction and recover()), waiting up to options.lock_timeout
// (< 0: forever; 0: one try, EWOULDBLOCK) and then failing with ETIMEDOUT. With
// options.cancel_lock_wait the wait is cut into slices of 100 ms, and the check returning true
// before a slice ends it with ECANCELED; the timeout still counts from the first try.
// Step::lock_root.
FileDescriptor lock_for_writing(const Root& root, const ReplaceOptions& options);

// recover() with the root open and its lock held.
Recovery recover_locked(const Root& root, const ReplaceOptions& options);

}  // namespace atomfile::transaction
