// atomic-install: direct calls of run_atomic_install and black-box runs of the built binary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "cli/atomic_install.hpp"
#include "support/test_support.hpp"
#include "tools/tool_test_support.hpp"

using namespace atomfile::test;
using atomfile::cli::run_atomic_install;
using atomfile::platform::Call;

namespace {

DirectRun install(const std::vector<std::string>& args) {
    return capture_run(
        [&](std::ostream& out, std::ostream& err) { return run_atomic_install(args, out, err); });
}

ino_t inode_of(const fs::path& path) {
    struct stat st {};
    REQUIRE(::lstat(path.c_str(), &st) == 0);
    return st.st_ino;
}

bool contains(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

// Sets the umask for the scope.
struct ScopedUmask {
    explicit ScopedUmask(mode_t mask) : previous(::umask(mask)) {}
    ~ScopedUmask() { ::umask(previous); }
    mode_t previous;
};

// a, b and c (content "A\n"...) in dir/src, and dir/dst holding an old b.
struct ThreeSources {
    ScratchDir dir;
    fs::path src = dir / "src";
    fs::path dst = dir / "dst";
    ThreeSources() {
        fs::create_directory(src);
        fs::create_directory(dst);
        write_file(src / "a", "A\n");
        write_file(src / "b", "B\n");
        write_file(src / "c", "C\n");
        write_file(dst / "b", "old b\n");
    }
    std::vector<std::string> sources() const {
        return {(src / "a").string(), (src / "b").string(), (src / "c").string()};
    }
};

}  // namespace

TEST_CASE("SOURCE DEST copies the content and gives DEST mode 0755 whatever the umask") {
    ScratchDir dir;
    write_file(dir / "src", "payload\n");
    ::chmod((dir / "src").c_str(), 0600);
    ScopedUmask umask(077);
    auto run = install({(dir / "src").string(), (dir / "dest").string()});
    CHECK(run.status == 0);
    CHECK(run.err.empty());
    CHECK(read_file(dir / "dest") == "payload\n");
    CHECK(file_mode(dir / "dest") == 0755);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"dest", "src"});
}

TEST_CASE("-v whose report cannot be written exits 3, every DEST replaced, never 1") {
    // 1 says "nothing was replaced"; a closed or full standard output after the commit made it
    // say so of files already new.
    ScratchDir dir;
    write_file(dir / "src", "payload\n");
    write_file(dir / "dest", "old\n");
    std::ostream broken(nullptr);  // every write fails, as on a full or closed standard output
    std::ostringstream err;
    const int status =
        run_atomic_install({"-v", (dir / "src").string(), (dir / "dest").string()}, broken, err);
    CHECK(status == 3);
    CHECK(err.str() ==
          "atomic-install: every DEST was replaced, but the -v report could not be "
          "written\n");
    CHECK(read_file(dir / "dest") == "payload\n");
}

TEST_CASE("-m gives DEST the mode, octal or symbolic as chmod applies it to mode 0") {
    ScratchDir dir;
    write_file(dir / "src", "x");
    const std::vector<std::pair<std::string, unsigned>> modes = {
        {"0640", 0640},        {"4755", 04755}, {"u+x", 0100},     {"a=r", 0444},
        {"u=rwx,go=rx", 0755}, {"+x", 0111},    {"u=rw,g=u", 0660}};
    for (const auto& entry : modes) {
        const std::string& text = entry.first;
        const unsigned mode = entry.second;
        CAPTURE(text);
        auto run = install({"-m", text, (dir / "src").string(), (dir / "dest").string()});
        CHECK(run.status == 0);
        CHECK(file_mode(dir / "dest") == mode);
    }
}

TEST_CASE("an existing DEST gets a new inode, the new content and the mode asked, not its own") {
    ScratchDir dir;
    write_file(dir / "src", "new\n");
    write_file(dir / "dest", "old\n");
    ::chmod((dir / "dest").c_str(), 0600);
    const ino_t before = inode_of(dir / "dest");
    auto run = install({"-m", "644", (dir / "src").string(), (dir / "dest").string()});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "dest") == "new\n");
    CHECK(file_mode(dir / "dest") == 0644);
    CHECK(inode_of(dir / "dest") != before);
}

TEST_CASE("-D creates the missing parent directories of DEST") {
    ScratchDir dir;
    write_file(dir / "src", "deep\n");
    auto run = install({"-D", (dir / "src").string(), (dir / "a/b/c/dest").string()});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "a/b/c/dest") == "deep\n");
    auto without = install({(dir / "src").string(), (dir / "x/y/dest").string()});
    CHECK(without.status == 1);
    CHECK(!fs::exists(dir / "x"));
}

TEST_CASE("-t DIRECTORY installs every SOURCE into it under its own name; -D creates it") {
    ThreeSources files;
    std::vector<std::string> args = {"-t", files.dst.string()};
    for (const auto& source : files.sources()) args.push_back(source);
    auto run = install(args);
    CHECK(run.status == 0);
    CHECK(read_file(files.dst / "a") == "A\n");
    CHECK(read_file(files.dst / "b") == "B\n");
    CHECK(read_file(files.dst / "c") == "C\n");

    const fs::path made = files.dir / "new/sub";
    auto missing = install({"-t", made.string(), (files.src / "a").string()});
    CHECK(missing.status == 1);
    CHECK(contains(missing.err, "target '" + made.string() + "' is not a directory"));
    auto created = install({"-D", "-t", made.string(), (files.src / "a").string()});
    CHECK(created.status == 0);
    CHECK(read_file(made / "a") == "A\n");
}

TEST_CASE("SOURCE... DIRECTORY installs every SOURCE into DIRECTORY") {
    ThreeSources files;
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string() + "/");
    auto run = install(args);
    CHECK(run.status == 0);
    CHECK(list_dir(files.dst) == std::vector<std::string>{"a", "b", "c"});
    CHECK(read_file(files.dst / "b") == "B\n");
}

TEST_CASE("a DEST that is a directory receives SOURCE under its name; -T refuses it instead") {
    ThreeSources files;
    auto run = install({(files.src / "a").string(), files.dst.string()});
    CHECK(run.status == 0);
    CHECK(read_file(files.dst / "a") == "A\n");
    auto refused = install({"-T", (files.src / "b").string(), files.dst.string()});
    CHECK(refused.status == 1);
    CHECK(contains(refused.err, files.dst.string() + ": is a directory"));
    CHECK(fs::is_directory(files.dst));
    CHECK(list_dir(files.dst) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("several SOURCEs into a DEST that is not a directory fail naming it") {
    ThreeSources files;
    auto run = install(
        {(files.src / "a").string(), (files.src / "b").string(), (files.dst / "b").string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, "target '" + (files.dst / "b").string() + "' is not a directory"));
    CHECK(read_file(files.dst / "b") == "old b\n");
}

TEST_CASE("a missing SOURCE replaces nothing, exits 1 and names it") {
    ThreeSources files;
    fs::remove(files.src / "c");
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string());
    auto run = install(args);
    CHECK(run.status == 1);
    CHECK(contains(run.err, (files.src / "c").string() + ": open source: No such file"));
    CHECK(contains(run.err, "nothing was replaced"));
    CHECK(read_file(files.dst / "b") == "old b\n");
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});  // no a, no temp
}

TEST_CASE("a SOURCE that is a directory is omitted as install(1) does: nothing is replaced") {
    ThreeSources files;
    fs::create_directory(files.src / "sub");
    auto run =
        install({(files.src / "a").string(), (files.src / "sub").string(), files.dst.string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, (files.src / "sub").string() + ": is a directory: omitted"));
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});
}

TEST_CASE("a FIFO SOURCE is refused at once, not read") {
    ScratchDir dir;
    REQUIRE(::mkfifo((dir / "fifo").c_str(), 0600) == 0);
    auto run = install({(dir / "fifo").string(), (dir / "dest").string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, (dir / "fifo").string() + ": not a regular file"));
    CHECK(!fs::exists(dir / "dest"));
}

TEST_CASE("/dev/null as SOURCE makes an empty DEST, as with install(1)") {
    ScratchDir dir;
    write_file(dir / "log", "old log\n");
    auto run = install({"-m", "644", "/dev/null", (dir / "log").string()});
    CHECK(run.status == 0);
    CHECK(read_file(dir / "log").empty());
    CHECK(file_mode(dir / "log") == 0644);
}

TEST_CASE("SOURCE == DEST is refused and the file is unchanged") {
    ScratchDir dir;
    write_file(dir / "f", "same\n");
    const ino_t before = inode_of(dir / "f");
    auto run = install({(dir / "f").string(), (dir / "./f").string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, "are the same file"));
    CHECK(inode_of(dir / "f") == before);
    CHECK(read_file(dir / "f") == "same\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"f"});
}

TEST_CASE("a SOURCE that is a symlink to DEST is refused as the same file, DEST's mode kept") {
    ScratchDir dir;
    write_file(dir / "f", "same\n");
    ::chmod((dir / "f").c_str(), 0600);
    REQUIRE(::symlink("f", (dir / "link").c_str()) == 0);
    const ino_t before = inode_of(dir / "f");
    auto run = install({(dir / "link").string(), (dir / "f").string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, "are the same file"));
    CHECK(inode_of(dir / "f") == before);
    struct stat status {};
    REQUIRE(::stat((dir / "f").c_str(), &status) == 0);
    CHECK((status.st_mode & 07777) == 0600);
}

TEST_CASE("a hard link of SOURCE as DEST gets a copy of its own, as with install(1)") {
    ScratchDir dir;
    write_file(dir / "f", "shared\n");
    REQUIRE(::link((dir / "f").c_str(), (dir / "g").c_str()) == 0);
    auto run = install({(dir / "f").string(), (dir / "g").string()});
    CHECK(run.status == 0);
    CHECK(inode_of(dir / "g") != inode_of(dir / "f"));
    CHECK(read_file(dir / "g") == "shared\n");
}

TEST_CASE("a symlink DEST is replaced by a regular file; the file it named is untouched") {
    ScratchDir dir;
    write_file(dir / "src", "new\n");
    write_file(dir / "victim", "victim\n");
    fs::create_symlink(dir / "victim", dir / "link");
    auto run = install({(dir / "src").string(), (dir / "link").string()});
    CHECK(run.status == 0);
    CHECK(fs::is_regular_file(fs::symlink_status(dir / "link")));
    CHECK(read_file(dir / "link") == "new\n");
    CHECK(read_file(dir / "victim") == "victim\n");
}

TEST_CASE("-C leaves a DEST with the same content and mode alone, and replaces any other") {
    ScratchDir dir;
    write_file(dir / "src", "same\n");
    write_file(dir / "same", "same\n");
    ::chmod((dir / "same").c_str(), 0755);
    write_file(dir / "other_mode", "same\n");
    ::chmod((dir / "other_mode").c_str(), 0644);
    write_file(dir / "other_content", "different\n");
    ::chmod((dir / "other_content").c_str(), 0755);
    const ino_t same = inode_of(dir / "same");
    const ino_t other_mode = inode_of(dir / "other_mode");
    const ino_t other_content = inode_of(dir / "other_content");
    for (const char* name : {"same", "other_mode", "other_content"}) {
        auto run = install({"-C", (dir / "src").string(), (dir / name).string()});
        CHECK(run.status == 0);
    }
    CHECK(inode_of(dir / "same") == same);
    CHECK(inode_of(dir / "other_mode") != other_mode);
    CHECK(file_mode(dir / "other_mode") == 0755);
    CHECK(inode_of(dir / "other_content") != other_content);
    CHECK(read_file(dir / "other_content") == "same\n");
}

TEST_CASE("two SOURCEs of the same name into one DIRECTORY replace nothing") {
    ThreeSources files;
    fs::create_directory(files.dir / "other");
    write_file(files.dir / "other/b", "other B\n");
    auto run =
        install({(files.src / "b").string(), (files.dir / "other/b").string(), files.dst.string()});
    CHECK(run.status == 1);
    CHECK(contains(run.err, (files.dst / "b").string()));
    CHECK(read_file(files.dst / "b") == "old b\n");
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});
}

TEST_CASE("a failing barrier fsync replaces nothing and exits 1") {
    ThreeSources files;
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string());
    DirectRun run;
    {
        ScopedFault fault(Call::fsync, EIO, 2);
        run = install(args);
    }
    CHECK(run.status == 1);
    CHECK(contains(run.err, "sync temp file"));
    CHECK(contains(run.err, "nothing was replaced"));
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});
    CHECK(read_file(files.dst / "b") == "old b\n");
}

TEST_CASE("a rename failing mid-commit exits 3 and lists the files replaced and not replaced") {
    ThreeSources files;
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string());
    DirectRun run;
    {
        ScopedFault fault(Call::rename, EIO, 1);  // b's: a and c, new, are linked at their names
        run = install(args);
    }
    CHECK(run.status == 3);
    CHECK(contains(run.err, "replaced: " + (files.dst / "a").string() + "\n"));
    CHECK(contains(run.err, "not replaced: " + (files.dst / "b").string() + "\n"));
    CHECK(contains(run.err, "not replaced: " + (files.dst / "c").string() + "\n"));
    CHECK(read_file(files.dst / "a") == "A\n");
    CHECK(read_file(files.dst / "b") == "old b\n");
    CHECK(list_dir(files.dst) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a failing directory sync exits 3 saying every file was replaced") {
    ThreeSources files;
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string());
    DirectRun run;
    {
        ScopedFault fault(Call::fsync, EIO, 4);  // three temps, then the directory
        run = install(args);
    }
    CHECK(run.status == 3);
    CHECK(contains(run.err, "sync directory after replace"));
    CHECK(contains(run.err, "every file was replaced"));
    CHECK(read_file(files.dst / "c") == "C\n");
}

TEST_CASE("bad usage exits 2 and touches nothing") {
    ScratchDir dir;
    write_file(dir / "src", "x");
    const std::string src = (dir / "src").string(), dest = (dir / "dest").string();
    const std::vector<std::pair<std::vector<std::string>, std::string>> cases = {
        {{}, "missing file operand"},
        {{src}, "missing destination file operand after '" + src + "'"},
        {{"-t", dir.path().string(), "-T", src}, "cannot combine"},
        {{"-T", src, src, dest}, "extra operand '" + dest + "'"},
        {{"-m", "999", src, dest}, "invalid mode '999'"},
        {{"-m", "u+q", src, dest}, "invalid mode 'u+q'"},
        {{"--durability=fast", src, dest}, "invalid durability 'fast'"},
        {{"-d"}, "missing DIRECTORY operand"},
        {{"-d", "-t", dest, dest}, "target directory not allowed"},
        {{"--strip", src, dest}, "strip"},
    };
    for (const auto& entry : cases) {
        const auto& args = entry.first;
        const std::string& message = entry.second;
        CAPTURE(message);
        auto run = install(args);
        CHECK(run.status == 2);
        CHECK(contains(run.err, message));
    }
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"src"});
}

TEST_CASE("-d creates each DIRECTORY and its parents and gives it MODE") {
    ScratchDir dir;
    auto run = install({"-d", "-m", "700", (dir / "a/b").string(), (dir / "c").string()});
    CHECK(run.status == 0);
    CHECK(fs::is_directory(dir / "a/b"));
    CHECK(file_mode(dir / "a/b") == 0700);
    CHECK(file_mode(dir / "c") == 0700);
    auto existing = install({"-d", (dir / "c").string()});
    CHECK(existing.status == 0);
    CHECK(file_mode(dir / "c") == 0755);
    write_file(dir / "file", "x");
    auto over_file = install({"-d", (dir / "file").string()});
    CHECK(over_file.status == 1);
    CHECK(read_file(dir / "file") == "x");
}

TEST_CASE("-v prints each file installed, after the commit") {
    ThreeSources files;
    auto run =
        install({"-v", (files.src / "a").string(), (files.src / "b").string(), files.dst.string()});
    CHECK(run.status == 0);
    CHECK(run.out == "'" + (files.src / "a").string() + "' -> '" + (files.dst / "a").string() +
                         "'\n'" + (files.src / "b").string() + "' -> '" +
                         (files.dst / "b").string() + "'\n");
}

TEST_CASE("--help lists the forms, the options and the exit statuses") {
    auto run = install({"--help"});
    CHECK(run.status == 0);
    for (const char* part :
         {"-t DIRECTORY SOURCE...", "-d DIRECTORY...", "  -D ", "--compare",
          "--target-directory=DIRECTORY", "--durability=LEVEL", "Exit status:", "  3 "})
        CHECK_MESSAGE(contains(run.out, part), part);
}

TEST_CASE("the built binary installs more files than the descriptor soft limit in one commit") {
    ScratchDir dir;
    fs::create_directory(dir / "src");
    fs::create_directory(dir / "dst");
    std::vector<std::string> argv = {tool_path("atomic-install"), "-t", (dir / "dst").string()};
    const int files = 400;
    for (int i = 0; i < files; ++i) {
        const fs::path source = dir / "src" / ("f" + std::to_string(i));
        write_file(source, std::to_string(i));
        argv.push_back(source.string());
    }
    pid_t pid = ::fork();
    if (pid == 0) {
        // 256 descriptors: a batch of 400 holds two or three each until it commits.
        struct rlimit limit {};
        ::getrlimit(RLIMIT_NOFILE, &limit);
        limit.rlim_cur = 256;
        ::setrlimit(RLIMIT_NOFILE, &limit);
        std::vector<char*> raw;
        for (auto& arg : argv) raw.push_back(arg.data());
        raw.push_back(nullptr);
        ::execv(raw[0], raw.data());
        ::_exit(127);
    }
    const int status = wait_with_deadline(pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);
    CHECK(list_dir(dir / "dst").size() == files);
    CHECK(read_file(dir / "dst/f399") == "399");
}

TEST_CASE("a signal while a SOURCE is still being read replaces nothing and exits 128+N") {
    ThreeSources files;
    // A terminal that never receives a line: reading it blocks, as a slow SOURCE would.
    const int terminal = ::posix_openpt(O_RDWR | O_NOCTTY);
    REQUIRE(terminal >= 0);
    REQUIRE(::grantpt(terminal) == 0);
    REQUIRE(::unlockpt(terminal) == 0);
    const std::string slow = ::ptsname(terminal);
    pid_t pid = start_program(
        {tool_path("atomic-install"), (files.src / "a").string(), slow, files.dst.string()});
    std::this_thread::sleep_for(std::chrono::milliseconds(300));
    ::kill(pid, SIGTERM);
    const int status = wait_with_deadline(pid);
    ::close(terminal);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 128 + SIGTERM);
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});
    CHECK(read_file(files.dst / "b") == "old b\n");
}

TEST_CASE("a signal raised while the last SOURCE is copied still replaces nothing") {
    ThreeSources files;
    std::vector<std::string> args = files.sources();
    args.push_back(files.dst.string());
    int copies = 0;
    DirectRun run;
    {
        // Raised inside the last copy: the signals are asked for at most every few milliseconds
        // while staging, so it is the ask before the commit that must see it.
        atomfile::platform::FaultScope raise_in_last_copy([&copies](Call call) {
            if (call == Call::copy && ++copies == 3) ::raise(SIGTERM);
            return 0;
        });
        run = install(args);
    }
    CHECK(run.status == 128 + SIGTERM);
    CHECK(list_dir(files.dst) == std::vector<std::string>{"b"});
    CHECK(read_file(files.dst / "b") == "old b\n");
}

namespace {

// How many lines of text contain part.
int count_lines_with(const std::string& text, const std::string& part) {
    std::istringstream lines(text);
    int count = 0;
    for (std::string line; std::getline(lines, line);)
        if (line.find(part) != std::string::npos) ++count;
    return count;
}

}  // namespace

TEST_CASE("the built binary asks for signals and looks at DEST by path a few times, not per file") {
    if (run_command({"strace", "-f", "-o", "/dev/null", "true"}).exit_status != 0) {
        MESSAGE("strace cannot trace here: skipped");
        return;
    }
    ScratchDir dir;
    fs::create_directory(dir / "src");
    fs::create_directory(dir / "dst");
    const fs::path trace = dir / "trace";
    // LeakSanitizer refuses to run under ptrace: in a sanitizer build the traced binary keeps
    // its other checks, without the leak check at exit.
    const char* asan_options = std::getenv("ASAN_OPTIONS");
    std::vector<std::string> argv = {
        "env",
        std::string("ASAN_OPTIONS=") + (asan_options ? asan_options : "") + ":detect_leaks=0",
        "strace",
        "-f",
        "-o",
        trace.string(),
        tool_path("atomic-install"),
        "-t",
        (dir / "dst").string()};
    const int files = 100;
    for (int i = 0; i < files; ++i) {
        write_file(dir / "src" / ("f" + std::to_string(i)), std::to_string(i));
        argv.push_back((dir / "src" / ("f" + std::to_string(i))).string());
    }
    REQUIRE(run_command(argv).exit_status == 0);
    CHECK(list_dir(dir / "dst").size() == files);
    CHECK(read_file(dir / "dst/f99") == "99");
    const std::string calls = read_file(trace);
    // Not several asks per file (each is a system call): one every few milliseconds at most.
    CHECK(count_lines_with(calls, "rt_sigtimedwait") < 20);
    // The same-file check looks at the directories once, not at each DEST by its path.
    CHECK(count_lines_with(calls, (dir / "dst/f").string()) == 0);
}
