// Batch: many files replaced at about the cost of one flush (group commit).
//
//     atomfile::Batch batch;                          // takes ReplaceOptions
//     batch.write("conf/a.json", text_a);             // stage whole-content replaces, in any
//     batch.write("conf/b.json", text_b);             // directories of any file systems
//     atomfile::AtomicFile& big = batch.open("data/big.bin");
//     big.write(chunk);                               // or stream one
//     batch.commit();                                 // returns when every file is durable
//
// What is guaranteed. Each file keeps every guarantee of write_atomic (replace.hpp): its temp
// lives in its own directory, its metadata is kept, the symlink, protected_* and hard-link
// policies, create_only, backups and the update lock (when asked) apply to it exactly as they
// would to write_atomic with the same options. A reader of any one file sees its whole old or
// its whole new content. When commit() returns normally with Durability::full or ::data, every
// staged file holds its new content and survives a power cut. The batch is NOT all-or-nothing
// across files: a crash during commit() can leave some files new and others old (each one
// whole); the error of a failed commit() says which are which (replaced(), not_replaced()).
//
// Staging. write(), copy() and open() do, at once, what opening an AtomicFile does (resolve the
// target, take its lock if asked, open the old file, create the temp); write() and copy() also
// write the data into the temp and start its writeback, so the disk works while more files are
// staged, then copy the old file's metadata to the temp (step 1 below, done early: a failure of
// it, or on_owner_not_kept, is then met by write() or copy()) and close the old file.
// Descriptors held until commit: a file staged by write() or copy() holds one (its temp), or two
// with skip_unchanged (the old file, compared at commit); one staged by open() holds two (its
// temp, the old file); each directory holds one, shared by every file staged in it; a lock adds
// one or two. Staging past RLIMIT_NOFILE fails with EMFILE naming that file; the batch never
// changes the limit.
// A directory is walked to once per batch: a later path naming it by the same text (from the
// same working directory, when relative) is looked up in the directory the first walk reached,
// as through a descriptor opened then, so renaming a directory of the path between two
// stagings does not move the later files. Every file's final name gets every check of the walk
// (a link there is followed by the checked walk; protected_regular), and a path through a link
// in its directory part is walked each time.
// A staging call that fails stages nothing and leaves the files staged before it as they were:
// the caller may still commit() them or drop the batch.
// Staging the same target twice (the same final file after following links: the same directory
// and name) is refused: the second call fails with EINVAL, step "stage a file already staged in
// this batch", path the path given, second_path() the target staged before; the first staging
// is kept. (Last-wins would invalidate the AtomicFile& an earlier open() returned, and under
// lock the second staging would wait for our own lock.)
// A file that the kernel would not let this process rename over (in a sticky directory, owned by
// another user, the directory too, and the process without CAP_FOWNER in its effective set,
// root or not, or with it in a user namespace that does not map the file's owner and group)
// is refused when staged, with EPERM, step "resolve target": the commit would
// otherwise publish the files before it and then fail. CAP_FOWNER lifts nothing else: another
// user's file in a sticky world-writable directory stays refused (ReplaceOptions::
// protected_regular, on by default), and so do the link rules (protected_symlinks).
//
// The commit protocol (docs/durability.md, "Many files: the group commit", says why):
//   1. for each file, in staging order: with skip_unchanged, a file whose content and metadata
//      would not change is dropped from the commit (listed in not_replaced(), not an error);
//      the metadata of the old file is copied to the temp (as AtomicFile::commit does; write()
//      did it already for its files);
//   2. writeback of every temp is started (sync_file_range), so all data is on its way at once;
//   3. the barrier: every temp is fsync()ed (fdatasync()ed for Durability::data), the calls
//      issued concurrently from a small pool of threads (at most 32) so that the file systems'
//      journals commit many files per flush. This is correct by POSIX alone: each file is
//      synced by its own fsync before any rename. Durability::none skips steps 2, 3 and 7;
//   4. with detect_conflicts, every target is checked not to have been replaced behind our back;
//   5. every temp is given its temp name (an O_TMPFILE is linked under a random name, which a
//      full directory refuses: that failure, too, comes before any rename), then the backups
//      (backup_suffix) of every file are published. An anonymous temp whose target did not
//      exist when it was staged (and that has no backup to publish) gets no temp name: step 6
//      links it at the target's name, one directory operation instead of a link and a rename
//      (a full directory then refuses that link, in step 6);
//   6. every temp is renamed over its target (or linked, create_only, or a target missing
//      when staged), in staging order. A target that appeared since it was staged is replaced
//      all the same: its temp is named and renamed then;
//   7. every distinct directory that received a file is fsync()ed once.
// Whatever the batch size, that is one fsync per file, issued together, plus one per
// directory: never a per-file fsync of the directory.
//
// Errors. A failed commit() throws atomfile::Error naming the file and the step that failed
// (the same steps as write_atomic: "sync temp file", "rename temp over target", ...). What it
// means depends on the step, and replaced() / not_replaced() list the resolved target paths
// (AtomicFile::target_path()) exactly:
//   - steps 1-5 (metadata, writeback and barrier fsync, conflict check, temp names, backup):
//     NOTHING was replaced. Every temp of the batch is gone; every target holds its old
//     content (a backup already published holds a second link to the old content, as with
//     write_atomic).
//     replaced() is empty, not_replaced() lists every staged file. The failure of step 2 (a
//     write error reported by writeback) has step "sync temp file".
//   - step 6 (a rename, or create_only's link finding the target): the files before the failing
//     one, in staging order, HAVE been replaced (replaced()); the failing one and every later
//     one have not, and their temps are gone (not_replaced()). The directories of the replaced
//     files are still synced before commit() throws, so what was replaced is durable unless the
//     error says otherwise. The error is the rename's (step "rename temp over target", also
//     for the link of a target missing when staged and for the temp name it needs when that
//     target appeared since, or "create target that already exists" under create_only).
//   - step 7 (a directory fsync): every file HAS been replaced (replaced() lists them all); the
//     error has step "sync directory after replace" (errc::replaced_not_durable, is_replaced()),
//     its path a file in the directory whose sync failed. Every other directory is still synced;
//     the first failure is the one reported.
//   - a failure to start the barrier's threads is not one: the fsyncs then run on the caller's
//     thread.
// After commit() succeeds, replaced() lists every file replaced and not_replaced() those that
// skip_unchanged left as they were. The error_code overload sets ec as the throwing form
// would throw and fills the same lists.
//
// Lifetime. A Batch commits once: after commit() (successful or not) every further write(),
// open() or commit() fails with EBADF (bad_file_descriptor), like a spent AtomicFile. Destroyed
// or discard()ed without commit(), it replaces nothing, removes every temp and releases every
// lock; the destructor never throws. A Batch moved from fails every call with EBADF. The
// AtomicFile& returned by open() stays valid until the Batch is destroyed. Do not commit() or
// discard() it yourself: a file the caller committed on its own is simply left out of the group
// commit (it was replaced by its own commit), and one the caller discarded is left out too (nothing
// is published for it).
//
// Owner. The effective uid and gid that decide whether a file's owner must be copied (and
// what skip_unchanged compares) are read once per batch, at its first write() or commit(), not
// per file: do not change them (seteuid) while a batch is staged.
//
// Locks. With ReplaceOptions::lock each file's lock is taken when it is staged and held until
// commit() (or discard) ends; two batches locking the same files in a different order wait for
// each other until lock_timeout. A Batch is used by one thread at a time.
#pragma once

#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"

namespace atomfile {

class ATOMFILE_API Batch {
  public:
    // options apply to every file staged without options of its own.
    explicit Batch(ReplaceOptions options = {});
    Batch(Batch&&) noexcept;
    Batch& operator=(Batch&&) noexcept;
    Batch(const Batch&) = delete;
    Batch& operator=(const Batch&) = delete;
    // discard(): nothing is replaced, no temp remains, no lock is held.
    ~Batch();

    // Stages path to be replaced by data (copied into the temp now; the caller's buffer may go).
    // Errors: as AtomicFile's constructor and write() (step and path), or EINVAL for a target
    // already staged; EBADF once committed.
    void write(const PathArg& path, std::string_view data);
    void write(const PathArg& path, std::string_view data, std::error_code& ec) noexcept;
    // The same with options of its own for this file (its durability included: a file with
    // Durability::none is not synced, a directory is synced when one of its files asks for it).
    void write(const PathArg& path, std::string_view data, const ReplaceOptions& options);
    void write(const PathArg& path, std::string_view data, const ReplaceOptions& options,
               std::error_code& ec) noexcept;

    // Stages path to be replaced by whatever is written to the returned AtomicFile (write,
    // write_from, write_original, its temp_descriptor()) before commit(). Same errors as write().
    AtomicFile& open(const PathArg& path);
    AtomicFile& open(const PathArg& path, const ReplaceOptions& options);
    // nullptr on failure.
    AtomicFile* open(const PathArg& path, std::error_code& ec) noexcept;
    AtomicFile* open(const PathArg& path, const ReplaceOptions& options,
                     std::error_code& ec) noexcept;

    // Stages path to be replaced by a copy of what descriptor fd holds, copied now and staged as
    // write() stages its data (writeback started, the old file's metadata copied): a regular
    // file from offset 0 up to the size it has when copy() begins (read by offset: fd's own
    // offset is neither used nor moved; a file that shrinks meanwhile is copied to its new end;
    // an empty one, which may be a /proc file reporting no size, is read to its end), anything
    // else (a pipe, a device) read from where it is to its end. fd stays open and the caller's.
    // A regular file of up to 8 MiB costs one transfer: no seek, and no read to find its end.
    // stop, when set, is asked before each transfer (and while waiting for a pipe or device);
    // once it returns true, copy() fails with ECANCELED (operation_canceled), step "copy into
    // temp file", and stages nothing, as a failing read does (its errno, the same step). Other
    // errors as write(). Returns the resolved target path (AtomicFile::target_path(), as
    // replaced() will list it), valid until the Batch is destroyed (the error_code forms: a
    // pointer to it, nullptr on failure).
    const std::string& copy(const PathArg& path, int fd,
                            const AtomicFile::StopRequested& stop = {});
    const std::string& copy(const PathArg& path, int fd, const ReplaceOptions& options,
                            const AtomicFile::StopRequested& stop = {});
    const std::string* copy(const PathArg& path, int fd, std::error_code& ec) noexcept;
    const std::string* copy(const PathArg& path, int fd, const ReplaceOptions& options,
                            const AtomicFile::StopRequested& stop, std::error_code& ec) noexcept;

    // The number of files staged and not yet committed.
    std::size_t size() const noexcept;

    // Publishes every staged file (the protocol above) and releases every lock. Committing an
    // empty batch succeeds and does nothing. See "Errors" above.
    void commit();
    void commit(std::error_code& ec) noexcept;

    // After commit(): the resolved target paths, in staging order, that now hold their new
    // content, and those that do not (see "Errors"; skip_unchanged's unchanged files are in
    // not_replaced()). Both empty before commit().
    const std::vector<std::string>& replaced() const noexcept;
    const std::vector<std::string>& not_replaced() const noexcept;

    // Drops every staged file without touching any target: temps removed, locks released. The
    // batch is spent afterwards. Called by the destructor.
    void discard() noexcept;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

}  // namespace atomfile
