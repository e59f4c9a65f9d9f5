// Transaction: several files replaced, created and removed all or nothing; the documented
// outcome of a failure at each system call; a crash at each system call, then recover().
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <optional>

#include "lib/replace_support.hpp"
#include "lib/transaction_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;

namespace {

// Fails the k-th system call made while it lives (any kind, any thread) with EIO.
class FailNthCall {
  public:
    explicit FailNthCall(int k) : scope_([this](Call) { return ++seen_ == k_ ? EIO : 0; }), k_(k) {}
    bool fired() const { return seen_ >= k_; }

  private:
    platform::FaultScope scope_;
    int k_;
    int seen_ = 0;
};

int calls_of_a_commit() {
    TransactionRoot root;
    CallRecorder recorder;
    root.commit_all();
    return static_cast<int>(recorder.calls().size());
}

bool is_after_commit_point(Step step) {
    return step == Step::directory_sync || step == Step::retire_journal;
}

}  // namespace

TEST_CASE("a commit replaces, creates in new subdirectories and removes, leaving nothing") {
    TransactionRoot root;
    ::chmod((root.dir / "a.conf").c_str(), 0640);
    root.commit_all();
    CHECK(root.all_new());
    CHECK(file_mode(root.dir / "a.conf") == 0640);
    root.check_clean();
}

TEST_CASE("an expect() that no longer holds fails the commit and touches nothing") {
    TransactionRoot root;
    Transaction tx(root.root());
    tx.expect("a.conf", root.old_text);
    tx.expect("sub/b.conf", "what it held yesterday\n");
    root.stage(tx);
    std::error_code ec;
    tx.commit(ec);
    CHECK(step_of(ec) == Step::expect);
    CHECK(ec == std::errc::device_or_resource_busy);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE("expectations that hold let the commit through") {
    TransactionRoot root;
    Transaction tx(root.root());
    tx.expect("a.conf", root.old_text);
    tx.expect_missing("new/dir/c.conf");
    root.stage(tx);
    tx.commit();
    CHECK(root.all_new());
}

TEST_CASE("a transaction discarded or destroyed changes nothing and leaves nothing") {
    TransactionRoot root;
    {
        Transaction tx(root.root());
        root.stage(tx);
        CHECK(fs::exists(root.dir / ".atomfile-transaction"));
    }
    CHECK(root.all_old());
    root.check_clean();
    Transaction tx(root.root());
    root.stage(tx);
    tx.discard();
    CHECK(root.all_old());
    root.check_clean();
    std::error_code ec;
    tx.commit(ec);
    CHECK(ec == std::errc::bad_file_descriptor);
}

TEST_CASE("paths leaving the root, through symlinks or at non-files are refused at staging") {
    TransactionRoot root;
    fs::create_directory_symlink(root.dir / "sub", root.dir / "link");
    ::mkfifo((root.dir / "fifo").c_str(), 0600);
    Transaction tx(root.root());
    std::error_code ec;
    for (const char* path : {"../x", "/etc/passwd", "sub/../a.conf", "sub//b.conf", "", "sub/"}) {
        CAPTURE(path);
        tx.write(path, "x", ec);
        CHECK(ec == std::errc::invalid_argument);
    }
    tx.write("link/b.conf", "x", ec);
    CHECK(ec == std::errc::too_many_symbolic_link_levels);
    tx.remove("link", ec);
    CHECK(ec == std::errc::too_many_symbolic_link_levels);
    tx.write("fifo", "x", ec);  // must not hang
    CHECK(ec == std::errc::invalid_argument);
    tx.write("a.conf", "x");
    tx.write("a.conf", "y", ec);
    CHECK(ec == std::errc::invalid_argument);  // staged twice
    tx.commit();
    CHECK(read_file(root.dir / "a.conf") == "x");
    CHECK(read_file(root.dir / "sub/b.conf") == root.old_text);
}

TEST_CASE("write_from stages what a descriptor gives; a stop abandons it, staging nothing") {
    TransactionRoot root;
    int pipe_fds[2];
    REQUIRE(::pipe(pipe_fds) == 0);
    REQUIRE(::write(pipe_fds[1], "streamed\n", 9) == 9);
    ::close(pipe_fds[1]);
    Transaction tx(root.root());
    CHECK(tx.write_from("a.conf", pipe_fds[0]) == 9);
    ::close(pipe_fds[0]);
    REQUIRE(::pipe(pipe_fds) == 0);  // a writer that never ends its input
    std::error_code ec;
    tx.write_from(
        "sub/b.conf", pipe_fds[0], [] { return true; }, ec);
    CHECK(ec == std::errc::operation_canceled);
    ::close(pipe_fds[0]);
    ::close(pipe_fds[1]);
    tx.write("sub/b.conf", "written\n");  // the abandoned call staged nothing
    tx.commit();
    CHECK(read_file(root.dir / "a.conf") == "streamed\n");
    CHECK(read_file(root.dir / "sub/b.conf") == "written\n");
    root.check_clean();
}

TEST_CASE("the transaction's own names cannot be staged: its lock, staging directory, journal") {
    TransactionRoot root;
    {
        Transaction first(root.root());
        first.write("a.conf", "first\n");
        first.commit();
    }
    struct stat lock_before {};
    REQUIRE(::lstat((root.dir / ".atomfile-transaction.lock").c_str(), &lock_before) == 0);
    Transaction tx(root.root());
    tx.write("a.conf", "x\n");
    std::error_code ec;
    for (const char* path :
         {".atomfile-transaction.lock", ".atomfile-transaction", ".atomfile-transaction/journal",
          ".atomfile-transaction/new-0", ".atomfile-transaction/old-1"}) {
        CAPTURE(path);
        tx.write(path, "not the transaction's\n", ec);
        CHECK(ec == std::errc::invalid_argument);
        tx.remove(path, ec);
        CHECK(ec == std::errc::invalid_argument);
        tx.expect(path, "", ec);
        CHECK(ec == std::errc::invalid_argument);
    }
    tx.commit();
    CHECK(read_file(root.dir / "a.conf") == "x\n");
    // The lock file writers serialise on is still the same file.
    struct stat lock_after {};
    REQUIRE(::lstat((root.dir / ".atomfile-transaction.lock").c_str(), &lock_after) == 0);
    CHECK(lock_after.st_ino == lock_before.st_ino);
    root.check_clean();
}

Step step_of_construction(const std::string& root, const ReplaceOptions& options) {
    try {
        Transaction tx(root, options);
    } catch (const Error& e) {
        CHECK(e.code() == std::errc::timed_out);
        return e.step_id();
    }
    return Step::other;
}

TEST_CASE("writers on one root are serialised, and a reader's lock holds them off") {
    TransactionRoot root;
    ReplaceOptions quick;
    quick.lock_timeout = std::chrono::milliseconds(50);
    {
        Transaction first(root.root());
        CHECK(step_of_construction(root.root(), quick) == Step::lock_root);
    }
    {
        TransactionReadLock reader(root.root());
        CHECK(reader.held());
        TransactionReadLock second_reader(root.root(), std::chrono::milliseconds(50));
        CHECK(second_reader.held());
        CHECK(step_of_construction(root.root(), quick) == Step::lock_root);
    }
    root.commit_all(quick);
    CHECK(root.all_new());
}

TEST_CASE("a transaction waiting for a held root lock is cancelled by cancel_lock_wait") {
    TransactionRoot root;
    Transaction holder(root.root());
    root.stage(holder);
    int asked = 0;
    ReplaceOptions cancellable;
    cancellable.lock_timeout = std::chrono::seconds(3);  // without the check: ETIMEDOUT, not this
    cancellable.cancel_lock_wait = [&asked] { return ++asked >= 3; };
    std::optional<Error> failure;
    try {
        Transaction waiting(root.root(), cancellable);
    } catch (const Error& e) {
        failure = e;
    }
    REQUIRE(failure.has_value());
    CHECK(failure->step_id() == Step::lock_root);
    CHECK(failure->code() == std::errc::operation_canceled);
    CHECK(asked == 3);  // asked while it waited, not only before the first try
    CHECK(root.all_old());
    holder.commit();  // the waiter neither took nor disturbed the holder's lock or staging
    CHECK(root.all_new());
    root.check_clean();
}

TEST_CASE("a lock wait that runs out fails with ETIMEDOUT whether or not it can be cancelled") {
    TransactionRoot root;
    Transaction holder(root.root());
    // 1 ms leaves less than a whole millisecond to wait once the first try has failed; 130 ms
    // ends in a slice shorter than the others.
    for (const int ms : {1, 2, 130}) {
        CAPTURE(ms);
        ReplaceOptions options;
        options.lock_timeout = std::chrono::milliseconds(ms);
        options.cancel_lock_wait = [] { return false; };
        CHECK(step_of_construction(root.root(), options) == Step::lock_root);
    }
    ReplaceOptions no_wait;  // 0 asks for one try: busy is EWOULDBLOCK, as without the check
    no_wait.lock_timeout = std::chrono::milliseconds(0);
    no_wait.cancel_lock_wait = [] { return false; };
    std::error_code ec;
    try {
        Transaction tx(root.root(), no_wait);
    } catch (const Error& e) {
        ec = e.code();
    }
    CHECK(ec == std::errc::operation_would_block);
    CHECK(root.all_old());
}

TEST_CASE("a failure at any system call of a transaction has the documented outcome") {
    const int calls = calls_of_a_commit();
    REQUIRE(calls > 20);
    for (int k = 1; k <= calls; ++k) {
        CAPTURE(k);
        TransactionRoot root;
        std::optional<Step> failed;
        {
            FailNthCall fail(k);
            try {
                root.commit_all();
            } catch (const Error& e) {
                failed = e.step_id();
            }
        }
        CAPTURE(failed ? step_text(*failed) : "none");
        if (!failed || is_after_commit_point(*failed)) {
            CHECK(root.all_new());
        } else {
            CHECK(root.all_old());  // a failed publish was put back
            root.check_clean();
        }
        CHECK(recover(root.root()) != Recovery::rolled_back);
        CHECK((failed ? root.all_old() || is_after_commit_point(*failed) : root.all_new()));
        root.check_clean();
    }
}

TEST_CASE("a rename failing mid-publish puts back what was published") {
    TransactionRoot root;
    std::error_code ec;
    {
        ScopedFault fail(Call::rename, EIO, 2);
        Transaction tx(root.root());
        root.stage(tx);
        tx.commit(ec);
    }
    CHECK(step_of(ec) == Step::publish);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE("a crash at any system call of a commit, then recover(), gives all old or all new") {
    const int calls = calls_of_a_commit();
    int finished = 0;
    for (int k = 1; k <= calls + 1; ++k) {
        CAPTURE(k);
        TransactionRoot root;
        int status = run_killed_at_call(k, [&] { root.commit_all(); });
        const bool returned = WIFEXITED(status) && WEXITSTATUS(status) == 0;
        if (returned) {
            CHECK(root.all_new());
            ++finished;
        }
        const Recovery recovery = recover(root.root());
        CHECK((root.all_old() || root.all_new()));
        if (recovery == Recovery::rolled_back) CHECK(root.all_old());
        if (recovery == Recovery::rolled_forward) CHECK(root.all_new());
        root.check_clean();
    }
    CHECK(finished >= 1);
}
