// Transaction: several files under one root replaced, created and removed all or nothing, even
// across a crash or a power cut; recover() finishes or undoes an interrupted one.
//
//     atomfile::Transaction tx("/etc/myapp");     // a root directory, one file system
//     tx.expect("app.conf", conf_read_earlier);    // optional: fail if it changed meanwhile
//     tx.write("app.conf", conf);                  // replaces and creates, in any
//     tx.write("tls/key.pem", key);                // subdirectories (created at publish)
//     tx.remove("old.conf");                       // and removals
//     tx.commit();                                 // all new, or (on error) all old
//
// Paths. Every path given is relative to the root: no leading '/', no "." or ".." component, no
// empty component, nothing in the transaction's own ".atomfile-transaction" or
// ".atomfile-transaction.lock"; anything else fails with EINVAL (Step::open_root, the path as
// given). Every component is opened descriptor-relative from the root with O_NOFOLLOW: a
// symlink anywhere in the path (the final name included) fails with ELOOP, a mount point below
// the root with EXDEV, a target that is not a regular file with EINVAL. A symlinked root itself is
// followed only where protected_symlinks would follow it (replace.hpp): not another user's link in
// a sticky, world-writable directory.
//
// The protocol (docs/durability.md, "Several files: the transaction", says why). Everything the
// transaction keeps lives in one staging directory in the root, ".atomfile-transaction", so a
// crash can leave nothing anywhere else:
//   1. lock: an exclusive flock on ".atomfile-transaction.lock" in the root (created 0644 and
//      kept: readers lock it too); then recover(root) finishes any earlier transaction;
//   2. stage (write(), remove()): each new content is written to "new-N" in the staging
//      directory with the old target's owner, mode and extended attributes (as write_atomic);
//      each existing target written or removed is hard-linked as "old-N" (its old content stays
//      reachable whatever happens to the name);
//   3. commit(): expect() checks, then every new-N is fsync()ed, concurrently, with the staging
//      directory and the root, which holds the staging directory's name (Batch's barrier);
//   4. THE COMMIT POINT: the journal "journal" (versioned, checksummed, naming each target
//      relative to the root) is written and fdatasync()ed. A crash before its content is on
//      disk leaves no valid journal: recover() removes the staging directory and every target
//      is old. A crash after it: recover() rolls forward and every target is new;
//   5. publish: each new-N renamed over its target (missing parent directories created),
//      each removed target unlinked; every directory changed is fsync()ed;
//   6. retire: the journal is unlinked, then the rest of the staging directory, then the root
//      is fsync()ed.
// Cost: one concurrent flush of the files (as Batch), one of the journal, one of the
// directories (as Batch): the journal costs one flush more than a Batch of the same files.
//
// Readers. A reader that takes TransactionReadLock sees the whole old set or the whole new set.
// A reader that does not may see some files new and others old during step 5 (each file whole):
// the files are published one rename at a time. Readers that cannot cooperate need a single
// switch: put the set in one directory and use the directory swap instead.
//
// Errors. Every failure throws atomfile::Error (the error_code overloads set the same code):
//   - before the commit point (Step::open_root, lock_root, expect, read_journal, refuse_journal,
//     the temp file steps create_temp / write_temp / owner / mode / xattrs / sync_temp / link,
//     write_journal, sync_journal): NOTHING changed; every target holds its old content and the
//     staging directory is gone. Step::expect has errno EBUSY (errc::conflict does not match it:
//     compare step_of(ec)); lock_root with ETIMEDOUT when the lock stayed busy past
//     ReplaceOptions::lock_timeout, ECANCELED when ReplaceOptions::cancel_lock_wait returned true
//     (asked before the first try and about every 100 ms while the lock is busy), EPERM when
//     the lock file is another user's in a sticky root;
//     refuse_journal: an earlier transaction's staging directory or journal is not to be trusted
//     (EPERM: another user's; ELOOP/EINVAL: a journal naming a path outside the root or through a
//     symlink) and nothing was touched: a person has to look;
//   - Step::publish (a rename or unlink of step 5 failed): the files already published were put
//     back; every target holds its old content and the staging directory is gone (directories
//     created for new files may stay, empty). If putting them back failed too, the journal stays
//     and the transaction counts as committed: recover(root), or the next Transaction on the
//     root, finishes it (all new);
//   - Step::directory_sync (step 5's directory fsync, errc::replaced_not_durable): every target
//     HAS its new content; its durability is unknown, and the journal stays so that the next
//     recover() syncs again;
//   - Step::retire_journal: every target has its new content; the staging directory remains and
//     the next recover() removes it.
// A failed fsync is never retried into a success.
//
// Options. ReplaceOptions apply as they do to write_atomic where they mean something here:
// durability (Durability::none skips every sync: all or nothing across process crashes only),
// mode, keep_mode, keep_owner, owner_policy, on_owner_not_kept, keep_xattrs, hard_links,
// lock_timeout and cancel_lock_wait (both of the root's lock, taken by the constructor). The
// others (follow_symlinks, create_only, backup_suffix, lock, detect_conflicts, skip_unchanged,
// missing_ok) are not used: links are refused, the root's lock serialises writers, expect()
// detects conflicts.
//
// Lifetime. A Transaction holds the root's lock from construction to commit() or discard(), and
// commits once: afterwards every call fails with EBADF (step "use a finished transaction").
// Destroyed or discard()ed without commit(), it changes nothing and removes its staging directory;
// the destructor never throws. A Transaction is used by one thread at a time.
//
// Other writers. Every writer of the replace engine (write_atomic, safe_update, AtomicFile,
// Batch, ScheduledWriter, json::update, NamedTemporaryFile::persist) whose target lies below a
// root with a staging directory of the caller or root runs recover() on that root before it
// touches the target (replace.hpp, step 1): it waits for a live transaction's lock (up to its
// lock_timeout: Step::lock_root, ETIMEDOUT), then a crashed transaction is rolled forward or back
// first, so its journal can no longer overwrite the writer's file. Recovery errors (refuse_journal,
// a lock or journal the writer may not open: EACCES) fail the write, nothing written. Such a
// writer is not serialised with a transaction that begins after it looked, and a writer in the
// process that holds a Transaction on the root waits for that Transaction's own lock: commit or
// discard it first. Another user's staging directory is ignored.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <system_error>

#include "atomfile/export.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/replace.hpp"

namespace atomfile {

class ATOMFILE_API Transaction {
  public:
    // Opens the root (a directory), takes its lock and recovers an earlier transaction. Throws
    // as step 1 above says (Step::open_root, lock_root, read_journal, refuse_journal, or a
    // recovery's step).
    explicit Transaction(const PathArg& root, ReplaceOptions options = {});
    Transaction(Transaction&&) noexcept;
    Transaction& operator=(Transaction&&) noexcept;
    Transaction(const Transaction&) = delete;
    Transaction& operator=(const Transaction&) = delete;
    ~Transaction();

    // Stages relative_path to hold data after commit (replacing or creating it). Staging a path
    // twice, or one both written and removed, fails with EINVAL. A failed call stages nothing.
    void write(const std::string& relative_path, std::string_view data);
    void write(const std::string& relative_path, std::string_view data,
               std::error_code& ec) noexcept;
    // Stages relative_path to hold what fd gives from its offset to its end (a file, a pipe,
    // standard input), streamed to disk rather than held in memory. stop, when set, is asked
    // before each piece and about every 100 ms while waiting for input: true abandons the call
    // with ECANCELED (step "copy into temp file"), staging nothing, as does a read error (with
    // its errno). Returns the bytes staged. Otherwise as write().
    using StopRequested = std::function<bool()>;
    std::uint64_t write_from(const std::string& relative_path, int fd,
                             const StopRequested& stop = {});
    std::uint64_t write_from(const std::string& relative_path, int fd, const StopRequested& stop,
                             std::error_code& ec) noexcept;
    // Stages the removal of relative_path, which must exist (ENOENT otherwise).
    void remove(const std::string& relative_path);
    void remove(const std::string& relative_path, std::error_code& ec) noexcept;
    // commit() fails with Step::expect, EBUSY, touching nothing, unless relative_path holds
    // exactly old_content at commit (read under the lock). A missing file holds nothing: use
    // expect_missing() for "must not exist".
    void expect(const std::string& relative_path, std::string_view old_content);
    void expect(const std::string& relative_path, std::string_view old_content,
                std::error_code& ec) noexcept;
    // The same for a file that must not exist.
    void expect_missing(const std::string& relative_path);

    // The protocol above. Committing an empty transaction succeeds and changes nothing.
    void commit();
    void commit(std::error_code& ec) noexcept;
    // Changes nothing, removes the staging directory, releases the lock.
    void discard() noexcept;

  private:
    struct State;
    std::unique_ptr<State> state_;
};

// What recover() did.
enum class Recovery {
    nothing,         // no transaction was interrupted
    rolled_forward,  // a committed transaction was finished: its files are all new
    rolled_back,     // an uncommitted one was undone: its files are all old
};

// Returns Recovery::nothing at once, taking no lock and creating nothing, when the root has no
// staging directory (so it needs no write permission on a root that never had a transaction).
// Otherwise takes the root's lock (as Transaction does, honouring options.lock_timeout and
// options.cancel_lock_wait: Step::lock_root with ETIMEDOUT, or ECANCELED once the check returned
// true, which it is asked every 100 ms of the wait; nothing recovered either way), then
// finishes or undoes an interrupted transaction: a valid journal is rolled forward, anything else
// in the staging directory is removed. Refuses (Step::refuse_journal) a staging directory or
// journal that is another user's (not the caller's nor root's: EPERM), a journal naming a path
// outside the root or through a symlink (EINVAL, ELOOP), or one bigger than commit() ever
// writes (256 MiB, EFBIG: commit() fails at Step::write_journal rather than write one),
// touching nothing. Other errors have the
// step that failed (read_journal, publish, directory_sync, retire_journal) and leave the journal
// for the next try.
ATOMFILE_API Recovery recover(const PathArg& root, const ReplaceOptions& options = {});
ATOMFILE_API Recovery recover(const PathArg& root, std::error_code& ec) noexcept;

// A cooperating reader's view of a consistent set: a shared flock on the root's lock file, so
// no transaction publishes while it is held (writers wait for it, up to their lock_timeout).
// Needs only read permission on the lock file; when no transaction ever ran there is no lock
// file and nothing to wait for (the lock then holds nothing and held() is false). Readers delay
// writers: any user who may read the root's lock file can, so keep untrusted users out of roots
// whose writers must not wait. Errors: Step::open_root, lock_root (ETIMEDOUT past timeout).
class ATOMFILE_API TransactionReadLock {
  public:
    explicit TransactionReadLock(const PathArg& root,
                                 std::chrono::milliseconds timeout = std::chrono::seconds(30));
    TransactionReadLock(TransactionReadLock&&) noexcept;
    TransactionReadLock& operator=(TransactionReadLock&&) noexcept;
    ~TransactionReadLock();
    bool held() const noexcept;
    void release() noexcept;

  private:
    FileDescriptor fd_;
};

}  // namespace atomfile
