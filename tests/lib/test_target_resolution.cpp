// Which file a replace acts on: symlinks followed (or not), and the temp's directory.
#include <doctest/doctest.h>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"
#include "replace/target_resolution.hpp"

using namespace atomfile;
using namespace atomfile::test;

TEST_CASE("a symlinked target has the file it points to replaced, and the link stays a link") {
    ScratchDir dir;
    fs::create_directory(dir / "real");
    fs::create_directory(dir / "links");
    write_file(dir / "real" / "config", "old");
    fs::create_symlink("../real/config", dir / "links" / "config");
    AtomicFile file((dir / "links" / "config").string());
    CHECK(file.target_path() == (dir / "links" / ".." / "real" / "config").string());
    file.write("new");
    file.commit();
    CHECK(fs::is_symlink(dir / "links" / "config"));
    CHECK(read_file(dir / "real" / "config") == "new");
    CHECK(list_dir(dir / "links") == std::vector<std::string>{"config"});
    CHECK(list_dir(dir / "real") == std::vector<std::string>{"config"});
}

TEST_CASE("a chain of links is followed to the end, absolute and relative alike") {
    ScratchDir dir;
    write_file(dir / "file", "old");
    fs::create_symlink(dir / "file", dir / "abs");
    fs::create_symlink("abs", dir / "rel");
    write_atomic((dir / "rel").string(), "new");
    CHECK(read_file(dir / "file") == "new");
    CHECK(fs::is_symlink(dir / "rel"));
    CHECK(fs::is_symlink(dir / "abs"));
}

TEST_CASE("a dangling link, followed, creates the file at its destination") {
    ScratchDir dir;
    fs::create_symlink("made", dir / "link");
    write_atomic((dir / "link").string(), "content");
    CHECK(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "made") == "content");
}

TEST_CASE("with follow_symlinks false the link itself is replaced by a regular file") {
    ScratchDir dir;
    write_file(dir / "file", "untouched");
    fs::create_symlink("file", dir / "link");
    ReplaceOptions options;
    options.follow_symlinks = false;
    write_atomic((dir / "link").string(), "replaced the link", options);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "replaced the link");
    CHECK(read_file(dir / "file") == "untouched");
}

TEST_CASE("safe_update without following reads through the link and replaces the link") {
    ScratchDir dir;
    write_file(dir / "file", "base");
    fs::create_symlink("file", dir / "link");
    ReplaceOptions options;
    options.follow_symlinks = false;
    safe_update((dir / "link").string(), [](const std::string& s) { return s + "+edit"; }, options);
    CHECK_FALSE(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "link") == "base+edit");
    CHECK(read_file(dir / "file") == "base");
}

TEST_CASE("a symlink loop fails with ELOOP and writes nothing") {
    ScratchDir dir;
    fs::create_symlink("b", dir / "a");
    fs::create_symlink("a", dir / "b");
    std::error_code ec;
    write_atomic((dir / "a").string(), "x", {}, ec);
    CHECK(ec == std::errc::too_many_symbolic_link_levels);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"a", "b"});
}

TEST_CASE("a bare name resolves in the working directory and a trailing slash is refused") {
    replace::Target bare = replace::resolve_target("some-file", true);
    CHECK(bare.directory == ".");
    CHECK(bare.name == "some-file");
    CHECK_THROWS_AS(replace::resolve_target("dir/", true), Error);
}
