// atomic-recover: a transaction root or an in-place overwrite's FILE, what it says it did, and
// the documented exit statuses.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <sstream>

#include "cli/atomic_recover.hpp"
#include "lib/transaction_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

DirectRun recover_tool(const std::vector<std::string>& args) {
    return capture_run([&](std::ostream& out, std::ostream& err) {
        return cli::run_atomic_recover(args, out, err);
    });
}

// A transaction that crashed before its commit point: what recover() rolls back.
void leave_torn_transaction(const TransactionRoot& root) {
    fs::create_directory(root.dir / ".atomfile-transaction");
    write_file(root.dir / ".atomfile-transaction/new-0", "torn");
}

}  // namespace

TEST_CASE("atomic-recover says what it did and refuses bad usage") {
    TransactionRoot root;
    DirectRun run = recover_tool({root.root()});
    CHECK(run.status == 0);
    CHECK(run.out == root.root() + ": nothing to recover\n");
    leave_torn_transaction(root);
    run = recover_tool({root.root()});
    CHECK(run.status == 0);
    CHECK(run.out == root.root() + ": rolled back (every file old)\n");
    root.check_clean();
    CHECK(recover_tool({}).status == 2);
    CHECK(recover_tool({root.root(), root.root()}).status == 2);
    // A file (not a directory) is the other subject: its in-place undo record, here none.
    run = recover_tool({(root.dir / "a.conf").string()});
    CHECK(run.status == 0);
    CHECK(run.out == (root.dir / "a.conf").string() + ": nothing to recover\n");
    CHECK(recover_tool({"--undo-dir", root.root(), root.root()}).status == 2);
}

TEST_CASE("a report that cannot be written exits 3, the recovery done and said on stderr") {
    TransactionRoot root;
    leave_torn_transaction(root);
    std::ostream broken(nullptr);  // every write fails, as on a full or closed standard output
    std::ostringstream err;
    CHECK(cli::run_atomic_recover({root.root()}, broken, err) == 3);
    CHECK(err.str().rfind("atomic-recover: " + root.root() +
                              ": rolled back (every file old); the report could not be written "
                              "on standard output: ",
                          0) == 0);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE("atomic-recover with standard output on a full device exits 3 after recovering") {
    TransactionRoot root;
    leave_torn_transaction(root);
    ScratchDir scratch;
    const pid_t pid = ::fork();
    if (pid == 0) {
        const int full = ::open("/dev/full", O_WRONLY);
        const int err = ::open((scratch / "err").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
        if (full < 0 || err < 0 || ::dup2(full, 1) < 0 || ::dup2(err, 2) < 0) ::_exit(126);
        const std::string tool = tool_path("atomic-recover");
        ::execl(tool.c_str(), tool.c_str(), root.root().c_str(), static_cast<char*>(nullptr));
        ::_exit(127);
    }
    const int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 3);
    const std::string said = test::read_file(scratch / "err");
    CHECK(said.find(root.root() + ": rolled back (every file old); the report could not be") !=
          std::string::npos);
    CHECK(said.find("No space left on device") != std::string::npos);
    CHECK(said.find("write error on standard output") == std::string::npos);  // said once
    CHECK(root.all_old());
    root.check_clean();
}
