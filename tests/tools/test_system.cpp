// The tools' own system calls: open_for_reading, which opens a SOURCE of atomic-install and
// atomic-commit, applying the fs.protected_symlinks rule whatever the sysctl says.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
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

}  // namespace

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
