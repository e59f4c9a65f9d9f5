// atomic-commit: FILE=SOURCE operands and --remove committed all or nothing, standard input
// once, --expect, and the documented exit statuses.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>

#include "cli/atomic_commit.hpp"
#include "cli/atomic_recover.hpp"
#include "lib/transaction_support.hpp"
#include "platform/fault_seam.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

// Runs atomic-commit with standard input open on a file holding input.
DirectRun commit(const std::vector<std::string>& args, const std::string& input = "") {
    ScratchDir scratch;
    write_file(scratch / "stdin", input);
    const int in = ::open((scratch / "stdin").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(in >= 0);
    DirectRun run = capture_run([&](std::ostream& out, std::ostream& err) {
        return cli::run_atomic_commit(args, in, out, err);
    });
    ::close(in);
    return run;
}

DirectRun recover_tool(const std::vector<std::string>& args) {
    return capture_run([&](std::ostream& out, std::ostream& err) {
        return cli::run_atomic_recover(args, out, err);
    });
}

// The transaction of TransactionRoot, as atomic-commit operands, c.conf from standard input.
std::vector<std::string> operands(const TransactionRoot& root, const ScratchDir& sources) {
    write_file(sources / "a", root.new_text("a.conf"));
    write_file(sources / "b", root.new_text("sub/b.conf"));
    return {root.root(),
            "a.conf=" + (sources / "a").string(),
            "sub/b.conf=" + (sources / "b").string(),
            "new/dir/c.conf=-",
            "--remove",
            "gone.conf"};
}

}  // namespace

TEST_CASE("FILE=SOURCE operands, standard input and --remove are committed together") {
    TransactionRoot root;
    ScratchDir sources;
    std::vector<std::string> args = operands(root, sources);
    args.push_back("-v");
    DirectRun run = commit(args, root.new_text("new/dir/c.conf"));
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    CHECK(root.all_new());
    root.check_clean();
    CHECK(run.out == "wrote a.conf\nwrote sub/b.conf\nwrote new/dir/c.conf\nremoved gone.conf\n");
}

TEST_CASE("a missing SOURCE or an --expect that does not hold fails with 1, changing nothing") {
    TransactionRoot root;
    ScratchDir sources;
    std::vector<std::string> args = operands(root, sources);
    args.push_back("extra=" + (sources / "missing").string());
    DirectRun run = commit(args, "x");
    CHECK(run.status == 1);
    CHECK(root.all_old());
    root.check_clean();
    args = operands(root, sources);
    write_file(sources / "seen", "not what a.conf holds\n");
    args.push_back("--expect=a.conf=" + (sources / "seen").string());
    run = commit(args, "x");
    CHECK(run.status == 1);
    CHECK(run.err.find("check expected content") != std::string::npos);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE(
    "bad usage exits 2 touching nothing: no ROOT, nothing to commit, bad FILE=SOURCE, two -") {
    TransactionRoot root;
    for (const std::vector<std::string>& args : {std::vector<std::string>{},
                                                 {root.root()},
                                                 {root.root(), "a.conf"},
                                                 {root.root(), "=x"},
                                                 {root.root(), "a.conf="},
                                                 {root.root(), "a.conf=-", "b=-"},
                                                 {root.root(), "a.conf=-", "--durability=maybe"}}) {
        DirectRun run = commit(args, "x");
        CHECK(run.status == 2);
    }
    CHECK(root.all_old());
    CHECK_FALSE(fs::exists(root.dir / ".atomfile-transaction.lock"));
}

TEST_CASE("a directory sync failing after the commit point exits 3 with every FILE new") {
    TransactionRoot root;
    ScratchDir sources;
    std::vector<std::string> args = operands(root, sources);
    DirectRun run;
    {
        // The journal's is the last fdatasync; the directories are fsync()ed after it.
        test::ScopedFault fail(platform::Call::fsync, EIO, 3 + 1 + 1);
        run = commit(args, root.new_text("new/dir/c.conf"));
    }
    CHECK(run.status == 3);
    CHECK(root.all_new());
    CHECK(run.err.find("durability is unknown") != std::string::npos);
}

TEST_CASE("a closed or unreadable standard input fails with 1, never committed as empty") {
    TransactionRoot root;
    ScratchDir sources;
    const std::vector<std::string> args = operands(root, sources);
    int closed = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
    ::close(closed);
    DirectRun run = capture_run([&](std::ostream& out, std::ostream& err) {
        return cli::run_atomic_commit(args, closed, out, err);
    });
    CHECK(run.status == 1);
    CHECK(run.err.find("standard input is closed") != std::string::npos);
    CHECK(root.all_old());
    CHECK_FALSE(fs::exists(root.dir / ".atomfile-transaction.lock"));  // ROOT was not opened
    const int directory = ::open(sources.path().c_str(), O_RDONLY | O_CLOEXEC);  // read: EISDIR
    run = capture_run([&](std::ostream& out, std::ostream& err) {
        return cli::run_atomic_commit(args, directory, out, err);
    });
    ::close(directory);
    CHECK(run.status == 1);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE("a --verbose report that cannot be written exits 3: the commit did happen") {
    TransactionRoot root;
    ScratchDir sources;
    std::vector<std::string> args = operands(root, sources);
    args.push_back("--verbose");
    write_file(sources / "stdin", root.new_text("new/dir/c.conf"));
    const int in = ::open((sources / "stdin").c_str(), O_RDONLY | O_CLOEXEC);
    std::ostream broken(nullptr);  // every write fails, as on a full or closed standard output
    std::ostringstream err;
    const int status = cli::run_atomic_commit(args, in, broken, err);
    ::close(in);
    CHECK(status == 3);
    CHECK(err.str().find("every FILE has its new content") != std::string::npos);
    CHECK(root.all_new());
    root.check_clean();
}

TEST_CASE("a signal while standard input is awaited ends the run at once, changing nothing") {
    TransactionRoot root;
    ScratchDir sources;
    int input[2];
    REQUIRE(::pipe(input) == 0);
    std::vector<std::string> argv = operands(root, sources);
    argv.insert(argv.begin(), tool_path("atomic-commit"));
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(input[0], 0);
        std::vector<char*> raw;
        for (auto& arg : argv) raw.push_back(arg.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
    }
    ::close(input[0]);  // the write end stays open: no end of input ever comes
    for (int i = 0; i < 500 && !fs::exists(root.dir / ".atomfile-transaction"); ++i)
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
    ::kill(pid, SIGTERM);  // not SIGINT: a shell starting ctest in the background ignores it
    const int status = wait_with_deadline(pid);
    ::close(input[1]);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(root.all_old());
    root.check_clean();
}

TEST_CASE("atomic-recover says what it did and refuses bad usage") {
    TransactionRoot root;
    DirectRun run = recover_tool({root.root()});
    CHECK(run.status == 0);
    CHECK(run.out == root.root() + ": nothing to recover\n");
    fs::create_directory(root.dir / ".atomfile-transaction");
    write_file(root.dir / ".atomfile-transaction/new-0", "torn");
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
