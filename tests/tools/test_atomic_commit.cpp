// atomic-commit: FILE=SOURCE operands and --remove committed all or nothing, standard input
// once, --expect, and the documented exit statuses.
#include <doctest/doctest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <sstream>

#include "cli/atomic_commit.hpp"
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

// atomic-commit started as a child on TransactionRoot's transaction, a.conf's SOURCE a FIFO
// (created here, no writer yet) and the rest from files; with expect, --expect a.conf=FIFO too.
pid_t start_with_fifo(const TransactionRoot& root, const ScratchDir& sources, bool expect) {
    REQUIRE(::mkfifo((sources / "fifo").c_str(), 0600) == 0);
    write_file(sources / "b", root.new_text("sub/b.conf"));
    write_file(sources / "c", root.new_text("new/dir/c.conf"));
    write_file(sources / "a", root.new_text("a.conf"));
    const std::string a = (expect ? sources / "a" : sources / "fifo").string();
    std::vector<std::string> argv = {tool_path("atomic-commit"),
                                     root.root(),
                                     "sub/b.conf=" + (sources / "b").string(),
                                     "a.conf=" + a,
                                     "new/dir/c.conf=" + (sources / "c").string(),
                                     "--remove=gone.conf"};
    if (expect) argv.push_back("--expect=a.conf=" + (sources / "fifo").string());
    return start_program(argv);
}

// Opens the FIFO for writing once the child has opened it for reading (ENXIO until then).
int open_fifo_writer(const ScratchDir& sources) {
    for (int i = 0; i < 2000; ++i) {
        const int fd = ::open((sources / "fifo").c_str(), O_WRONLY | O_NONBLOCK | O_CLOEXEC);
        if (fd >= 0 || errno != ENXIO) return fd;
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return -1;
}

}  // namespace

TEST_CASE("a FIFO SOURCE is read once its writer comes, as cat would read it") {
    TransactionRoot root;
    ScratchDir sources;
    const pid_t pid = start_with_fifo(root, sources, false);
    const int writer = open_fifo_writer(sources);
    REQUIRE(writer >= 0);
    std::this_thread::sleep_for(std::chrono::milliseconds(50));  // the reader waits for input
    const std::string text = root.new_text("a.conf");
    CHECK(::write(writer, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    ::close(writer);
    const int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(root.all_new());
    root.check_clean();
}

TEST_CASE("a signal while a FIFO SOURCE awaits its writer or its input ends the run unchanged") {
    // Before its writer comes (a SOURCE, an --expect SOURCE), and with a writer that is silent.
    for (const int variant : {0, 1, 2}) {
        CAPTURE(variant);
        TransactionRoot root;
        ScratchDir sources;
        const pid_t pid = start_with_fifo(root, sources, variant == 1);
        int writer = -1;
        if (variant == 2) {
            writer = open_fifo_writer(sources);
            CHECK(::write(writer, "partial", 7) == 7);
        }
        // The lock file appears when the transaction begins; the SOURCE is opened after it.
        for (int i = 0; i < 500 && !fs::exists(root.dir / ".atomfile-transaction.lock"); ++i)
            std::this_thread::sleep_for(std::chrono::milliseconds(10));
        std::this_thread::sleep_for(std::chrono::milliseconds(200));
        ::kill(pid, SIGTERM);
        const int status = wait_with_deadline(pid);
        if (writer >= 0) ::close(writer);
        REQUIRE(WIFEXITED(status));
        CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
        CHECK(root.all_old());
        root.check_clean();
    }
}

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
    CHECK(run.err.find("a.conf: check expected content: its content is not the one expected "
                       "(changed by someone else, or missing); nothing was committed\n") !=
          std::string::npos);
    CHECK(run.err.find("busy") == std::string::npos);
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
        // Before the journal's fdatasync: the 3 temps, the staging directory and the root. The
        // directories are fsync()ed after it.
        test::ScopedFault fail(platform::Call::fsync, EIO, 3 + 1 + 1 + 1);
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
