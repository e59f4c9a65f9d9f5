// The tools' own system calls: open_for_reading, which opens a SOURCE of atomic-install and
// atomic-commit, applying the fs.protected_symlinks rule whatever the sysctl says.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <functional>
#include <initializer_list>
#include <string>

#include "cli/system.hpp"
#include "support/test_support.hpp"

namespace cli = atomfile::cli;

using namespace atomfile::test;

namespace {

constexpr uid_t nobody = 65534;

// A sticky, world-writable directory of root's (a /tmp) next to a file only root may read.
struct Shared {
    ScratchDir scratch;
    fs::path sticky = scratch / "sticky";
    fs::path secret = scratch / "secret";

    Shared() {
        REQUIRE(::mkdir(sticky.c_str(), 0700) == 0);
        REQUIRE(::chmod(sticky.c_str(), 01777) == 0);
        write_file(secret, "TOPSECRET\n");
        REQUIRE(::chmod(secret.c_str(), 0600) == 0);
    }
    // A symlink at name in the sticky directory to target, owned by owner.
    fs::path link(const std::string& name, const fs::path& target, uid_t owner) const {
        const fs::path path = sticky / name;
        REQUIRE(::symlink(target.c_str(), path.c_str()) == 0);
        REQUIRE(::lchown(path.c_str(), owner, owner) == 0);
        return path;
    }
};

// What open_for_reading gives for path: the file's content, or "errno N" when it fails.
std::string open_and_read(const fs::path& path) {
    cli::system::FileIdentity identity;
    const int fd = cli::system::open_for_reading(path.c_str(), identity);
    if (fd < 0) return "errno " + std::to_string(errno);
    std::string content;
    char buffer[256];
    ssize_t got;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0)
        content.append(buffer, static_cast<std::size_t>(got));
    cli::system::close_fd(fd);
    return content;
}

const std::string refused = "errno " + std::to_string(EACCES);

// What body returns, run in a child process started with the descriptors closed (doctest's own
// output and this process's descriptors are left alone); body's string comes back through a pipe.
std::string with_closed(std::initializer_list<int> closed,
                        const std::function<std::string()>& body) {
    int ends[2];
    REQUIRE(::pipe2(ends, O_CLOEXEC) == 0);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        const int report = ::fcntl(ends[1], F_DUPFD_CLOEXEC, 10);
        ::close(ends[0]);
        ::close(ends[1]);
        for (int fd : closed) ::close(fd);
        const std::string result = body();
        const bool sent =
            ::write(report, result.data(), result.size()) == static_cast<ssize_t>(result.size());
        ::_exit(sent ? 0 : 1);
    }
    ::close(ends[1]);
    std::string result;
    char buffer[512];
    ssize_t got;
    while ((got = ::read(ends[0], buffer, sizeof buffer)) > 0)
        result.append(buffer, static_cast<std::size_t>(got));
    ::close(ends[0]);
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    CHECK(status == 0);
    return result;
}

// How a read (fd 0) or a write (fds 1, 2) of fd ends: "ok" or "errno N".
std::string use(int fd) {
    char byte = 'x';
    const ssize_t done = fd == 0 ? ::read(fd, &byte, 1) : ::write(fd, &byte, 1);
    return done >= 0 ? "ok" : "errno " + std::to_string(errno);
}

// The descriptors the next open gets, and how each standard one behaves now.
std::string after_reserving(const fs::path& file) {
    const int reserved = cli::system::reserve_standard_descriptors();
    const int opened = ::open(file.c_str(), O_RDWR | O_CLOEXEC);
    // Above 2 is what matters: which one depends on what the test runner left open.
    const std::string next = opened > 2 ? "above 2" : std::to_string(opened);
    std::string result = "reserve " + std::to_string(reserved) + ", next open " + next + ";";
    for (int fd = 0; fd <= 2; ++fd) {
        const int flags = ::fcntl(fd, F_GETFD);
        result += " " + std::to_string(fd) + ": " + use(fd) + ", seen open " +
                  std::to_string(cli::system::is_open_descriptor(fd)) +
                  ((flags >= 0 && (flags & FD_CLOEXEC)) ? ", cloexec;" : ";");
    }
    return result;
}

const std::string bad_descriptor = "errno " + std::to_string(EBADF);
const std::string all_three_reserved = "reserve 0, next open above 2; 0: " + bad_descriptor +
                                       ", seen open 0, cloexec; 1: " + bad_descriptor +
                                       ", seen open 0, cloexec; 2: " + bad_descriptor +
                                       ", seen open 0, cloexec;";

}  // namespace

TEST_CASE("closed standard descriptors are reserved: nothing opened later lands on 0, 1 or 2") {
    ScratchDir dir;
    write_file(dir / "lock", "");
    // Without the reservation the file opened next would be 0, and "standard error" a file.
    CHECK(with_closed({0, 1, 2}, [&] { return after_reserving(dir / "lock"); }) ==
          all_three_reserved);
    CHECK(read_file(dir / "lock") == "");
    // Only the closed ones are taken; an open one is left as it was.
    const std::string only_error = with_closed({2}, [&] {
        const std::string result = after_reserving(dir / "lock");
        return result.substr(0, result.find(';') + 1) +
               " 2:" + result.substr(result.rfind(':') + 1);
    });
    CHECK(only_error ==
          "reserve 0, next open above 2; 2: " + bad_descriptor + ", seen open 0, cloexec;");
}

TEST_CASE("where /dev/null cannot be opened, an O_PATH descriptor of / reserves the place") {
    ScratchDir dir;
    write_file(dir / "lock", "");
    const std::string result = with_closed({0, 1, 2}, [&] {
        cli::system::set_fault_plan(
            [](cli::system::Call call) { return call == cli::system::Call::reserve ? ENOENT : 0; });
        std::string report = after_reserving(dir / "lock");
        struct stat st;
        const bool root =
            ::fstat(0, &st) == 0 && S_ISDIR(st.st_mode) && (::fcntl(0, F_GETFL) & O_PATH) != 0;
        return report + (root ? " / as O_PATH" : " not / as O_PATH");
    });
    CHECK(result == all_three_reserved + " / as O_PATH");
    CHECK(read_file(dir / "lock") == "");
}

TEST_CASE("/dev/stdin, /dev/fd/N and /proc/self/fd/N of a closed standard descriptor fail EBADF") {
    // Without the check they would read the placeholder, /dev/null, as an empty file: an
    // atomic-commit SOURCE or a json-edit @FILE silently empty.
    const std::string result = with_closed({0, 1}, [] {
        cli::system::reserve_standard_descriptors();
        // One statement each: reading_step() speaks of the call just made.
        std::string report = open_and_read("/dev/stdin");
        report += " (" + cli::system::reading_step("open") + "), ";
        report += open_and_read("/dev/fd/0") + ", ";
        report += open_and_read("/proc/self/fd/1");
        report += " (" + cli::system::reading_step("open") + "), ";
        report += std::to_string(cli::system::names_closed_standard_descriptor("/dev/stdout"));
        report += " " + cli::system::reading_step("open") + ", ";
        // /dev/null itself, and another descriptor on it, are no closed standard descriptor.
        const int other = ::open("/dev/null", O_RDONLY | O_CLOEXEC);
        report += "'" + open_and_read("/dev/null") + "' '";
        report += open_and_read("/proc/self/fd/" + std::to_string(other)) + "' ";
        report += std::to_string(cli::system::names_closed_standard_descriptor("/dev/null"));
        report += " " + cli::system::reading_step("open");
        return report;
    });
    CHECK(result == bad_descriptor + " (open: standard input is closed), " + bad_descriptor + ", " +
                        bad_descriptor +
                        " (open: standard output is closed), 1 open: "
                        "standard output is closed, '' '' 0 open");
}

TEST_CASE("an open standard input is still read through /dev/stdin") {
    ScratchDir dir;
    write_file(dir / "input", "piped\n");
    const std::string result = with_closed({1}, [&] {
        const int input = ::open((dir / "input").c_str(), O_RDONLY);
        ::dup2(input, 0);
        cli::system::reserve_standard_descriptors();
        return open_and_read("/dev/stdin") + std::to_string(cli::system::is_open_descriptor(0));
    });
    CHECK(result == "piped\n1");
}

TEST_CASE("another user's symlink in a sticky directory is refused with EACCES, and said so") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    Shared shared;
    const fs::path planted = shared.link("src", shared.secret, nobody);
    CHECK(open_and_read(planted) == refused);
    CHECK(cli::system::reading_step("open source") ==
          "open source: refusing to follow a symlink another user planted in a sticky directory");
    // Through a link of root's that leads to the planted one: each link met is checked.
    const fs::path own = shared.link("own", planted, 0);
    CHECK(open_and_read(own) == refused);
    // Named relative to the working directory, the same.
    const fs::path was = fs::current_path();
    fs::current_path(shared.sticky);
    const std::string relative = open_and_read("src");
    fs::current_path(was);
    CHECK(relative == refused);
    // A plain file of nobody's there is no link to follow: opened, and no refusal reported.
    write_file(shared.sticky / "plain", "nobody's\n");
    REQUIRE(::chown((shared.sticky / "plain").c_str(), nobody, nobody) == 0);
    CHECK(open_and_read(shared.sticky / "plain") == "nobody's\n");
    CHECK(cli::system::reading_step("open source") == "open source");
}

TEST_CASE("a symlink of the caller or of the sticky directory's owner is followed") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    Shared shared;
    CHECK(open_and_read(shared.link("own", shared.secret, 0)) == "TOPSECRET\n");
    const fs::path was = fs::current_path();
    fs::current_path(shared.sticky);
    const std::string relative = open_and_read("own");
    fs::current_path(was);
    CHECK(relative == "TOPSECRET\n");
    // A relative link is read relative to its own directory, not the caller's.
    write_file(shared.sticky / "beside", "beside\n");
    CHECK(open_and_read(shared.link("relative", "beside", 0)) == "beside\n");
    // The directory's owner may be trusted with links in it: nobody's link in nobody's /tmp.
    const fs::path planted = shared.link("src", shared.secret, nobody);
    REQUIRE(::chown(shared.sticky.c_str(), nobody, nobody) == 0);
    CHECK(open_and_read(planted) == "TOPSECRET\n");
}

TEST_CASE("another user's symlink is followed where the directory is not sticky and shared") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    Shared shared;
    const fs::path planted = shared.link("src", shared.secret, nobody);
    for (const mode_t mode : {0777, 01755}) {
        CAPTURE(mode);
        REQUIRE(::chmod(shared.sticky.c_str(), mode) == 0);
        CHECK(open_and_read(planted) == "TOPSECRET\n");
    }
}

TEST_CASE("another user's symlink on the way to the file is refused as the kernel's rule does") {
    if (!running_as_root()) {
        MESSAGE("skipped: needs root and uid 65534");
        return;
    }
    Shared shared;
    // nobody's link to the directory holding the secret: the path names the secret's own name.
    shared.link("dir", shared.scratch.path(), nobody);
    CHECK(open_and_read(shared.sticky / "dir/secret") == refused);
    CHECK(open_and_read(shared.sticky / "dir/./secret") == refused);
    // A link of root's whose text goes through it: each link met is checked.
    CHECK(open_and_read(shared.link("own", "dir/secret", 0)) == refused);
    // A link of root's own to the directory is followed, as the planted one is not.
    CHECK(open_and_read(shared.link("mine", shared.scratch.path(), 0) / "secret") == "TOPSECRET\n");
    // A name with a trailing slash through a planted link is refused, not "not a directory".
    cli::system::FileIdentity identity;
    CHECK(cli::system::open_for_reading((shared.sticky / "dir/").c_str(), identity) == -1);
    CHECK(errno == EACCES);
}

TEST_CASE("links of procfs, loops and trailing slashes are met as open(2) meets them") {
    ScratchDir dir;
    write_file(dir / "file", "still open\n");
    const int held = ::open((dir / "file").c_str(), O_RDONLY | O_CLOEXEC);
    REQUIRE(held >= 0);
    REQUIRE(::unlink((dir / "file").c_str()) == 0);
    // /proc/self/fd/N of a removed file: its text names nothing, the kernel still opens it.
    CHECK(open_and_read("/proc/self/fd/" + std::to_string(held)) == "still open\n");
    ::close(held);
    REQUIRE(::symlink("two", (dir / "one").c_str()) == 0);
    REQUIRE(::symlink("one", (dir / "two").c_str()) == 0);
    CHECK(open_and_read(dir / "one") == "errno " + std::to_string(ELOOP));
    write_file(dir / "plain", "plain\n");
    CHECK(open_and_read(dir.path().string() + "/plain/") == "errno " + std::to_string(ENOTDIR));
    REQUIRE(::symlink("plain", (dir / "to-plain").c_str()) == 0);
    CHECK(open_and_read(dir / "to-plain") == "plain\n");
    CHECK(open_and_read(dir.path().string() + "/to-plain/") == "errno " + std::to_string(ENOTDIR));
    CHECK(open_and_read(dir.path().string() + "/./to-plain") == "plain\n");
}
