// NamedTemporaryFile::persist: a caller's named temp published through the replace engine.
#include <doctest/doctest.h>

#include "atomfile/named_temporary_file.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;

namespace {

NamedTemporaryFile temp_in(const fs::path& dir, const std::string& content) {
    NamedTemporaryFileOptions options;
    options.dir = dir.string();
    NamedTemporaryFile temp(options);
    temp.write(content);
    return temp;
}

}  // namespace

TEST_CASE("persist publishes the temp at the target with the target's mode, and lets it go") {
    ScratchDir dir;
    write_file(dir / "target", "old");
    fs::permissions(dir / "target", fs::perms(0644));
    {
        NamedTemporaryFile temp = temp_in(dir.path(), "new");
        temp.persist((dir / "target").string());
        CHECK(temp.path().empty());
        CHECK(temp.closed());
    }
    CHECK(read_file(dir / "target") == "new");
    CHECK(file_mode(dir / "target") == 0644);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
}

TEST_CASE("persist syncs the file and the directory") {
    ScratchDir dir;
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    CallRecorder recorder;
    temp.persist((dir / "target").string());
    CHECK(recorder.count(platform::Call::fsync) == 2);
    CHECK(recorder.count(platform::Call::rename) == 1);
}

TEST_CASE("persist across file systems fails with EXDEV and never copies") {
    ScratchDir dir;
    write_file(dir / "target", "old");
    if (!fs::is_directory("/dev/shm")) {
        MESSAGE("skipped: no /dev/shm to hold a temp on another file system");
        return;
    }
    std::string temp_path;
    {
        NamedTemporaryFile temp = temp_in("/dev/shm", "new");
        temp_path = temp.path();
        try {
            temp.persist((dir / "target").string());
            FAIL("persist crossed file systems");
        } catch (const Error& e) {
            CHECK(e.code() == std::errc::cross_device_link);
            CHECK(e.step() == "rename temp over target");
        }
        CHECK(fs::exists(temp_path));  // still the caller's
        CHECK(temp.path() == temp_path);
    }
    CHECK_FALSE(fs::exists(temp_path));  // removed with the object, as its options say
    CHECK(read_file(dir / "target") == "old");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
}

TEST_CASE("persist with create_only refuses an existing target and keeps the temp") {
    ScratchDir dir;
    write_file(dir / "target", "old");
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    ReplaceOptions options;
    options.create_only = true;
    CHECK_THROWS_AS(temp.persist((dir / "target").string(), options), Error);
    CHECK_FALSE(temp.closed());
    CHECK(read_file(dir / "target") == "old");
    temp.persist((dir / "fresh").string(), options);
    CHECK(read_file(dir / "fresh") == "new");
}

TEST_CASE("persist keeps a backup and follows a symlinked target") {
    ScratchDir dir;
    write_file(dir / "real", "v1");
    fs::create_symlink("real", dir / "link");
    NamedTemporaryFile temp = temp_in(dir.path(), "v2");
    ReplaceOptions options;
    options.backup_suffix = "~";
    temp.persist((dir / "link").string(), options);
    CHECK(fs::is_symlink(dir / "link"));
    CHECK(read_file(dir / "real") == "v2");
    CHECK(read_file(dir / "real~") == "v1");
}

TEST_CASE("persist of a closed temp is refused") {
    ScratchDir dir;
    NamedTemporaryFile temp = temp_in(dir.path(), "x");
    temp.release();
    std::error_code ec;
    try {
        temp.persist((dir / "target").string());
    } catch (const Error& e) {
        ec = e.code();
    }
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK_FALSE(fs::exists(dir / "target"));
}

TEST_CASE("persist's error_code form publishes the temp and clears the code") {
    ScratchDir dir;
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    std::error_code ec = std::make_error_code(std::errc::io_error);
    temp.persist((dir / "target").string(), {}, ec);
    CHECK_FALSE(ec);
    CHECK(temp.closed());
    CHECK(read_file(dir / "target") == "new");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
}

TEST_CASE("persist's error_code form reports create_only's refusal as errc::target_exists") {
    ScratchDir dir;
    write_file(dir / "target", "old");
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    ReplaceOptions options;
    options.create_only = true;
    std::error_code ec;
    temp.persist((dir / "target").string(), options, ec);
    CHECK(ec == atomfile::errc::target_exists);
    CHECK(ec == std::errc::file_exists);
    CHECK_FALSE(temp.closed());  // still the caller's
    CHECK(read_file(dir / "target") == "old");
}

TEST_CASE("persist's error_code form sees a failed directory sync as replaced_not_durable") {
    ScratchDir dir;
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    ScopedFault fault(platform::Call::fsync, EIO, 2);
    std::error_code ec;
    temp.persist((dir / "target").string(), {}, ec);
    CHECK(ec == atomfile::errc::replaced_not_durable);
    CHECK(errno_of(ec) == std::error_code(EIO, std::generic_category()));
    CHECK(temp.closed());  // the file is at the target now, no longer the object's
    CHECK(read_file(dir / "target") == "new");
}

TEST_CASE("persist's error_code form on a closed file reports bad_file_descriptor") {
    ScratchDir dir;
    NamedTemporaryFile temp = temp_in(dir.path(), "new");
    temp.close();
    std::error_code ec;
    temp.persist((dir / "target").string(), {}, ec);
    CHECK(ec == std::errc::bad_file_descriptor);
    CHECK(step_of(ec) == Step::persist);
    CHECK_FALSE(fs::exists(dir / "target"));
}
