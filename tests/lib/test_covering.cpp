// A writer of the replace engine whose target lies below a transaction root recovers that root
// first: a crashed, committed transaction is rolled forward and an uncommitted one back before
// the target is touched, and a live one's publish is waited for (lock_timeout bounds the wait).
// Another user's staging directory is ignored.
#include <doctest/doctest.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <thread>

#include "atomfile/batch.hpp"
#include "atomfile/named_temporary_file.hpp"
#include "lib/replace_support.hpp"
#include "lib/transaction_support.hpp"
#include "transaction/journal.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;
using namespace std::chrono_literals;

namespace {

const std::string mine = "written by the plain writer\n";

// The 1-based index of the first call of a kind among the calls of a whole commit.
int first_call_of_a_commit(std::initializer_list<Call> kinds) {
    TransactionRoot scratch;
    CallRecorder recorder;
    scratch.commit_all();
    const std::vector<Call>& calls = recorder.calls();
    for (std::size_t i = 0; i < calls.size(); ++i)
        for (Call kind : kinds)
            if (calls[i] == kind) return static_cast<int>(i) + 1;
    FAIL("the commit made no such call");
    return 0;
}

fs::path staging_of(const TransactionRoot& root) {
    return root.dir / ".atomfile-transaction";
}

// A transaction killed at its first rename: the journal is on disk, nothing is published.
void crash_committed(const TransactionRoot& root) {
    const int k = first_call_of_a_commit({Call::rename});
    REQUIRE(WIFSIGNALED(run_killed_at_call(k, [&] { root.commit_all(); })));
    REQUIRE(fs::exists(staging_of(root) / "journal"));
    REQUIRE(root.all_old());
}

// A transaction killed at its first sync: staged, the journal not yet written.
void crash_uncommitted(const TransactionRoot& root) {
    const int k = first_call_of_a_commit({Call::fsync, Call::fdatasync});
    REQUIRE(WIFSIGNALED(run_killed_at_call(k, [&] { root.commit_all(); })));
    REQUIRE(fs::exists(staging_of(root)));
    REQUIRE(root.all_old());
}

// The rest of the set is what a roll-forward gives, a.conf is the plain writer's, and a later
// recover() has nothing left to undo it with.
void check_rolled_forward_then_mine(const TransactionRoot& root) {
    CHECK_FALSE(fs::exists(staging_of(root)));
    CHECK(recover(root.root()) == Recovery::nothing);
    CHECK(read_file(root.dir / "a.conf") == mine);
    CHECK(read_file(root.dir / "sub/b.conf") == root.new_text("sub/b.conf"));
    CHECK(read_file(root.dir / "new/dir/c.conf") == root.new_text("new/dir/c.conf"));
    CHECK_FALSE(fs::exists(root.dir / "gone.conf"));
}

// A child process that holds a Transaction on root with a.conf staged, signals `staged` and
// commits after `hold`.
pid_t live_transaction(const TransactionRoot& root, std::chrono::milliseconds hold) {
    int ready[2];
    REQUIRE(::pipe(ready) == 0);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::close(ready[0]);
        try {
            Transaction tx(root.root());
            tx.write("a.conf", root.new_text("a.conf"));
            (void)!::write(ready[1], "x", 1);
            std::this_thread::sleep_for(hold);
            tx.commit();
        } catch (...) {
            ::_exit(2);
        }
        ::_exit(0);
    }
    ::close(ready[1]);
    char byte = 0;
    REQUIRE(::read(ready[0], &byte, 1) == 1);
    ::close(ready[0]);
    return pid;
}

int exit_status(pid_t pid) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

// Changes the working directory for its lifetime.
class InDirectory {
  public:
    explicit InDirectory(const fs::path& dir) : before_(fs::current_path()) {
        fs::current_path(dir);
    }
    ~InDirectory() { fs::current_path(before_); }

  private:
    fs::path before_;
};

}  // namespace

TEST_CASE("write_atomic below a crashed, committed transaction rolls it forward first") {
    TransactionRoot root;
    crash_committed(root);
    CHECK(write_atomic((root.dir / "a.conf").string(), mine));
    check_rolled_forward_then_mine(root);
}

TEST_CASE("write_atomic below a crashed, uncommitted transaction rolls it back first") {
    TransactionRoot root;
    crash_uncommitted(root);
    CHECK(write_atomic((root.dir / "sub/b.conf").string(), mine));
    CHECK_FALSE(fs::exists(staging_of(root)));
    CHECK(read_file(root.dir / "sub/b.conf") == mine);
    CHECK(read_file(root.dir / "a.conf") == root.old_text);
    CHECK(read_file(root.dir / "gone.conf") == root.old_text);
    CHECK_FALSE(fs::exists(root.dir / "new"));
    CHECK(fs::hard_link_count(root.dir / "a.conf") == 1);  // old-0 is gone with the staging
}

TEST_CASE("a relative path finds the transaction root above the working directory") {
    TransactionRoot root;
    crash_committed(root);
    {
        InDirectory in(root.dir / "sub");
        CHECK(write_atomic("../a.conf", mine));
    }
    check_rolled_forward_then_mine(root);
}

TEST_CASE("write_atomic below a live transaction waits for its publish, then writes") {
    TransactionRoot root;
    pid_t holder = live_transaction(root, 300ms);
    const auto start = std::chrono::steady_clock::now();
    CHECK(write_atomic((root.dir / "a.conf").string(), mine));
    CHECK(std::chrono::steady_clock::now() - start >= 250ms);
    CHECK(exit_status(holder) == 0);
    CHECK(read_file(root.dir / "a.conf") == mine);  // after the transaction's, not under it
    CHECK_FALSE(fs::exists(staging_of(root)));
}

TEST_CASE("a live transaction outlasting lock_timeout fails the write on the root's lock") {
    TransactionRoot root;
    pid_t holder = live_transaction(root, 1500ms);
    std::error_code ec;
    CHECK_FALSE(write_atomic((root.dir / "a.conf").string(), mine,
                             ReplaceOptions().with_lock_timeout(100ms), ec));
    CHECK(step_of(ec) == Step::lock_root);
    CHECK(ec == std::errc::timed_out);
    try {
        write_atomic((root.dir / "a.conf").string(), mine,
                     ReplaceOptions().with_lock_timeout(100ms));
        FAIL("no error");
    } catch (const Error& e) {
        CHECK(e.path() == root.root() + "/.atomfile-transaction.lock");
        CHECK(e.second_path() == (root.dir / "a.conf").string());
    }
    CHECK(read_file(root.dir / "a.conf") == root.old_text);  // nothing written
    // A wait the caller cancels ends at once.
    const auto start = std::chrono::steady_clock::now();
    write_atomic((root.dir / "a.conf").string(), mine,
                 ReplaceOptions().with_cancel_lock_wait([] { return true; }), ec);
    CHECK(ec == std::errc::operation_canceled);
    CHECK(std::chrono::steady_clock::now() - start < 1s);
    CHECK(exit_status(holder) == 0);
    CHECK(read_file(root.dir / "a.conf") == root.new_text("a.conf"));
}

TEST_CASE("a Batch below a crashed, committed transaction rolls it forward before staging") {
    TransactionRoot root;
    crash_committed(root);
    Batch batch;
    batch.write((root.dir / "a.conf").string(), mine);
    batch.write((root.dir / "other.conf").string(), mine);
    batch.commit();
    check_rolled_forward_then_mine(root);
    CHECK(read_file(root.dir / "other.conf") == mine);
}

TEST_CASE("NamedTemporaryFile::persist below a crashed, committed transaction rolls it forward") {
    TransactionRoot root;
    crash_committed(root);
    NamedTemporaryFile temp(NamedTemporaryFileOptions().with_dir(root.root()));
    temp.write(mine);
    temp.persist((root.dir / "a.conf").string());
    check_rolled_forward_then_mine(root);
}

TEST_CASE("another user's staging directory in a sticky directory neither blocks nor steers") {
    if (!running_as_root()) return;
    ScratchDir shared;
    REQUIRE(::chmod(shared.path().c_str(), 01777) == 0);
    // What nobody could plant there: a staging directory with a journal rolling a file of
    // theirs over ours, and the root's lock file, held.
    const fs::path staging = shared / ".atomfile-transaction";
    fs::create_directory(staging);
    write_file(staging / "new-0", "nobody's content\n");
    transaction::Journal journal;
    journal.entries.push_back({false, false, 0, "target"});
    write_file(staging / "journal", transaction::encode_journal(journal));
    write_file(shared / "target", "old\n");
    write_file(shared / ".atomfile-transaction.lock", "");
    for (const fs::path& planted :
         {staging, staging / "journal", staging / "new-0", shared / ".atomfile-transaction.lock"})
        REQUIRE(::lchown(planted.c_str(), 65534, 65534) == 0);
    FileDescriptor held(::open((shared / ".atomfile-transaction.lock").c_str(), O_RDONLY));
    REQUIRE(::flock(held.get(), LOCK_EX) == 0);
    CHECK(write_atomic((shared / "target").string(), mine,
                       ReplaceOptions().with_lock_timeout(100ms)));
    CHECK(read_file(shared / "target") == mine);
    CHECK(read_file(staging / "new-0") == "nobody's content\n");  // neither used nor removed
    CHECK(fs::exists(staging / "journal"));
}
