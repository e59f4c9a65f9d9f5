// recover(): a committed journal rolled forward, anything else rolled back, a journal naming
// anything outside the root refused untouched.
#include <doctest/doctest.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <optional>

#include "lib/transaction_support.hpp"
#include "transaction/journal.hpp"

using namespace atomfile;
using namespace atomfile::test;
using namespace atomfile::transaction;

namespace {

// Stages the transaction as a crash right after the commit point would leave it: the new files
// and old links in the staging directory, the journal written, nothing published.
void leave_committed(const TransactionRoot& root, const Journal& journal) {
    const fs::path staging = root.dir / ".atomfile-transaction";
    fs::create_directory(staging);
    for (const JournalEntry& entry : journal.entries) {
        if (!entry.remove) write_file(staging / new_name(entry.index), root.new_text(entry.path));
        if (entry.has_old)
            fs::create_hard_link(root.dir / entry.path, staging / old_name(entry.index));
    }
    write_file(staging / "journal", encode_journal(journal));
}

Journal the_journal() {
    Journal journal;
    journal.entries.push_back({false, true, 0, "a.conf"});
    journal.entries.push_back({false, true, 1, "sub/b.conf"});
    journal.entries.push_back({false, false, 2, "new/dir/c.conf"});
    journal.entries.push_back({true, true, 3, "gone.conf"});
    return journal;
}

Step refused_step(const std::string& root) {
    std::error_code ec;
    recover(root, ec);
    CHECK(ec);
    return step_of(ec);
}

}  // namespace

TEST_CASE("recover with no interrupted transaction does nothing") {
    TransactionRoot root;
    CHECK(recover(root.root()) == Recovery::nothing);
    CHECK(root.all_old());
}

TEST_CASE("recover of a root without a transaction creates nothing and needs no write access") {
    TransactionRoot root;
    CHECK(recover(root.root()) == Recovery::nothing);
    CHECK_FALSE(fs::exists(root.dir / ".atomfile-transaction.lock"));
    if (!running_as_root()) return;
    ::chmod(root.root().c_str(), 0755);  // root's, and nobody may not write in it
    pid_t pid = ::fork();
    if (pid == 0) {
        if (::setgid(65534) != 0 || ::setuid(65534) != 0) ::_exit(2);
        std::error_code ec;
        ::_exit(recover(root.root(), ec) == Recovery::nothing && !ec ? 0 : 1);
    }
    int status = 0;
    ::waitpid(pid, &status, 0);
    CHECK(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
}

TEST_CASE("a committed journal is rolled forward, and again harmlessly if it comes back") {
    TransactionRoot root;
    leave_committed(root, the_journal());
    CHECK(recover(root.root()) == Recovery::rolled_forward);
    CHECK(root.all_new());
    root.check_clean();
    // A power cut can bring back a retired journal with its old links: nothing changes.
    write_file(root.dir / "gone.conf", "made after the transaction\n");
    fs::create_directory(root.dir / ".atomfile-transaction");
    write_file(root.dir / ".atomfile-transaction/old-3", "the removed file\n");
    write_file(root.dir / ".atomfile-transaction/journal", encode_journal(the_journal()));
    CHECK(recover(root.root()) == Recovery::rolled_forward);
    CHECK(read_file(root.dir / "gone.conf") == "made after the transaction\n");
    CHECK(read_file(root.dir / "a.conf") == root.new_text("a.conf"));
}

TEST_CASE("a staging directory with a torn or missing journal is rolled back") {
    for (std::size_t cut : {std::size_t(0), std::size_t(30), std::size_t(1000)}) {
        CAPTURE(cut);
        TransactionRoot root;
        leave_committed(root, the_journal());
        const std::string journal = encode_journal(the_journal());
        if (cut < journal.size())
            write_file(root.dir / ".atomfile-transaction/journal", journal.substr(0, cut));
        else
            fs::remove(root.dir / ".atomfile-transaction/journal");
        CHECK(recover(root.root()) == Recovery::rolled_back);
        CHECK(root.all_old());
        root.check_clean();
    }
}

TEST_CASE("a journal naming a path outside the root or through a symlink is refused untouched") {
    for (const std::string& outside : {std::string("../victim"), std::string("/tmp/victim"),
                                       std::string("planted/victim"), std::string("sub/../a")}) {
        CAPTURE(outside);
        TransactionRoot root;
        ScratchDir elsewhere;
        write_file(elsewhere / "victim", "precious\n");
        fs::create_directory_symlink(elsewhere.path(), root.dir / "planted");
        Journal journal = the_journal();
        journal.entries.push_back({true, false, 4, outside});
        leave_committed(root, journal);
        CHECK(refused_step(root.root()) == Step::refuse_journal);
        CHECK(root.all_old());
        CHECK(read_file(elsewhere / "victim") == "precious\n");
        CHECK(fs::exists(root.dir / ".atomfile-transaction/journal"));
        // A Transaction on the root refuses to run over it as well.
        CHECK_THROWS_AS(Transaction(root.root()), Error);
    }
}

TEST_CASE("a journal grown past any journal's size is refused untouched, not read into memory") {
    TransactionRoot root;
    leave_committed(root, the_journal());
    const fs::path journal = root.dir / ".atomfile-transaction/journal";
    REQUIRE(::truncate(journal.c_str(), journal_size_limit + 1) == 0);  // sparse: costs nothing
    CHECK(refused_step(root.root()) == Step::refuse_journal);
    CHECK(root.all_old());
    CHECK(fs::file_size(journal) == std::uintmax_t(journal_size_limit + 1));
}

TEST_CASE("another user's staging directory or journal is refused") {
    if (!running_as_root()) return;
    TransactionRoot root;
    leave_committed(root, the_journal());
    REQUIRE(::chown((root.dir / ".atomfile-transaction/journal").c_str(), 65534, 65534) == 0);
    CHECK(refused_step(root.root()) == Step::refuse_journal);
    REQUIRE(::chown((root.dir / ".atomfile-transaction").c_str(), 65534, 65534) == 0);
    CHECK(refused_step(root.root()) == Step::refuse_journal);
    CHECK(root.all_old());
}

TEST_CASE("recover waiting for a held root lock ends when cancel_lock_wait says so, or times out") {
    TransactionRoot root;
    { Transaction made_the_lock_file(root.root()); }
    leave_committed(root, the_journal());
    TransactionReadLock reader(root.root(), std::chrono::milliseconds(0));
    REQUIRE(reader.held());
    const auto failure_of = [&root](const ReplaceOptions& options) {
        std::optional<Error> failure;
        try {
            recover(root.root(), options);
        } catch (const Error& e) {
            failure = e;
        }
        REQUIRE(failure.has_value());
        CHECK(failure->step_id() == Step::lock_root);
        return failure->code();
    };

    int asked = 0;
    ReplaceOptions cancellable;
    cancellable.lock_timeout = std::chrono::seconds(3);  // without the check: ETIMEDOUT, not this
    cancellable.cancel_lock_wait = [&asked] { return ++asked >= 3; };
    CHECK(failure_of(cancellable) == std::errc::operation_canceled);
    CHECK(asked == 3);  // asked while it waited, not only before the first try
    CHECK(root.all_old());

    ReplaceOptions bounded;
    bounded.lock_timeout = std::chrono::milliseconds(150);
    bounded.cancel_lock_wait = [] { return false; };
    const auto start = std::chrono::steady_clock::now();
    CHECK(failure_of(bounded) == std::errc::timed_out);
    const auto waited = std::chrono::steady_clock::now() - start;
    CHECK(waited >= std::chrono::milliseconds(150));
    CHECK(waited < std::chrono::seconds(2));
    CHECK(root.all_old());

    reader.release();  // the journal was left for the next try
    CHECK(recover(root.root(), bounded) == Recovery::rolled_forward);
    CHECK(root.all_new());
    root.check_clean();
}
