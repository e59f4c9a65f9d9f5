#include <doctest/doctest.h>

#include <cerrno>
#include <string>

#include "atomfile/error.hpp"
#include "error_support.hpp"

using atomfile::Error;
using atomfile::Step;

TEST_CASE("an error names the step, the path and the system's reason, and keeps errno") {
    try {
        atomfile::throw_error(EIO, "sync temp file", "/srv/app.conf");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(std::string(e.what()) ==
              "atomfile: sync temp file '/srv/app.conf': Input/output error");
        CHECK(e.code() == std::errc::io_error);
        CHECK(e.step() == "sync temp file");
        CHECK(e.path() == "/srv/app.conf");
    }
}

TEST_CASE("an error about two paths names both") {
    Error e(std::make_error_code(std::errc::cross_device_link), "rename temp over target", "/a/t",
            "/b/f");
    CHECK(std::string(e.what()) ==
          "atomfile: rename temp over target '/a/t' -> '/b/f': Invalid cross-device link");
    CHECK(e.second_path() == "/b/f");
}

TEST_CASE("capture_error turns exceptions into error codes and clears the code on success") {
    std::error_code ec = std::make_error_code(std::errc::io_error);
    atomfile::capture_error(ec, [] {});
    CHECK_FALSE(ec);
    atomfile::capture_error(ec, [] { atomfile::throw_error(ENOSPC, "write temp file", "f"); });
    CHECK(ec == std::errc::no_space_on_device);
    atomfile::capture_error(ec, [] { throw std::bad_alloc(); });
    CHECK(ec == std::errc::not_enough_memory);
}

TEST_CASE("an error carries its step as an enum, and its words are the step's text") {
    try {
        atomfile::throw_error(EIO, Step::directory_sync, "/srv/app.conf");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::directory_sync);
        CHECK(e.step() == "sync directory after replace");
        CHECK(std::string(e.what()) ==
              "atomfile: sync directory after replace '/srv/app.conf': Input/output error");
    }
}

TEST_CASE("a step given in words is recognised as the step those words name") {
    Error known(std::make_error_code(std::errc::io_error), "sync directory after replace", "f");
    CHECK(known.step_id() == Step::directory_sync);
    CHECK(known.code() == atomfile::errc::replaced_not_durable);
    Error own(std::make_error_code(std::errc::io_error), "run command", "f");
    CHECK(own.step_id() == Step::other);
    CHECK(own.step() == "run command");
    CHECK(own.code() == std::errc::io_error);
}

TEST_CASE("a step with more to say keeps its words in the message and its enum for callers") {
    try {
        atomfile::throw_error(ETIMEDOUT,
                              atomfile::StepWords{Step::lock,
                                                  "timed out after 2 s waiting for "
                                                  "the update lock on L held by pid 7"},
                              "f", "L");
        FAIL("no exception");
    } catch (const Error& e) {
        CHECK(e.step_id() == Step::lock);
        CHECK(e.step() == "timed out after 2 s waiting for the update lock on L held by pid 7");
        CHECK(std::string(e.what()).find("held by pid 7") != std::string::npos);
        CHECK(e.code() == atomfile::errc::lock_timeout);
    }
}

TEST_CASE("every step has its own non-empty words, except the caller's own") {
    CHECK(std::string(atomfile::step_text(Step::other)).empty());
    for (int i = 1; i <= static_cast<int>(Step::skip_mount_point); ++i) {
        const std::string words = atomfile::step_text(static_cast<Step>(i));
        CHECK_FALSE(words.empty());
        Error e(std::make_error_code(std::errc::io_error), words, "f");
        CHECK(static_cast<int>(e.step_id()) == i);  // no two steps share their words
    }
}

TEST_CASE("a code carries step and errno, compares with std::errc and gives the errno back") {
    const std::error_code ec = atomfile::make_error_code(Step::directory_sync, EIO);
    CHECK(ec.category() == atomfile::error_category());
    CHECK(std::string(ec.category().name()) == "atomfile");
    CHECK(ec == std::errc::io_error);
    CHECK(ec != std::errc::no_space_on_device);
    CHECK(ec.message() == std::generic_category().message(EIO));
    CHECK(atomfile::errno_of(ec) == std::error_code(EIO, std::generic_category()));
    CHECK(atomfile::step_of(ec) == Step::directory_sync);
}

TEST_CASE("the errno of a code in another category is that code's generic errno") {
    const std::error_code generic(ENOSPC, std::generic_category());
    CHECK(atomfile::errno_of(generic) == generic);
    CHECK(atomfile::errno_of(std::error_code(ENOSPC, std::system_category())) == generic);
    CHECK(atomfile::step_of(generic) == Step::other);
    CHECK_FALSE(atomfile::errno_of(std::error_code()));
}

TEST_CASE("an error turns a generic code into atomfile's, keeping the errno") {
    Error e(std::error_code(ENOSPC, std::generic_category()), Step::write_temp, "f");
    CHECK(e.code().category() == atomfile::error_category());
    CHECK(e.code() == std::errc::no_space_on_device);
    CHECK(e.errno_code() == std::error_code(ENOSPC, std::generic_category()));
    CHECK(atomfile::step_of(e.code()) == Step::write_temp);
}

TEST_CASE("the noexcept form reports exactly the code the throwing form throws") {
    std::error_code ec;
    atomfile::capture_error(ec, [] { atomfile::throw_error(EIO, Step::directory_sync, "f"); });
    try {
        atomfile::throw_error(EIO, Step::directory_sync, "f");
    } catch (const Error& e) {
        CHECK(ec == e.code());
    }
    CHECK(ec == atomfile::errc::replaced_not_durable);
    CHECK(atomfile::errno_of(ec) == std::errc::io_error);
}

TEST_CASE("each contract condition matches its step and errno and nothing else") {
    using atomfile::make_error_code;
    CHECK(make_error_code(Step::directory_sync, EIO) == atomfile::errc::replaced_not_durable);
    CHECK(make_error_code(Step::directory_sync, EIO) == atomfile::errc::replaced);
    CHECK(make_error_code(Step::sync_temp, EIO) != atomfile::errc::replaced_not_durable);
    CHECK(make_error_code(Step::sync_temp, EIO) != atomfile::errc::replaced);
    CHECK(make_error_code(Step::conflict, EBUSY) == atomfile::errc::conflict);
    CHECK(make_error_code(Step::lock, ETIMEDOUT) == atomfile::errc::lock_timeout);
    CHECK(make_error_code(Step::lock, EDEADLK) == atomfile::errc::lock_deadlock);
    CHECK(make_error_code(Step::lock, EACCES) != atomfile::errc::lock_timeout);
    CHECK(make_error_code(Step::lock, EACCES) != atomfile::errc::lock_deadlock);
    CHECK(make_error_code(Step::lock_untrusted, EPERM) == atomfile::errc::lock_untrusted);
    CHECK(make_error_code(Step::target_exists, EEXIST) == atomfile::errc::target_exists);
    CHECK(make_error_code(Step::backup, EPERM) == atomfile::errc::backup_failed);
    CHECK(make_error_code(Step::backup, EPERM) != atomfile::errc::replaced);
}

TEST_CASE("replaced_backup_failed is never produced: no step and errno carries it") {
    for (int i = 0; i <= static_cast<int>(Step::skip_mount_point); ++i)
        for (int error : {EIO, ENOSPC, EPERM, EEXIST, EBUSY})
            CHECK(atomfile::make_error_code(static_cast<Step>(i), error) !=
                  atomfile::errc::replaced_backup_failed);
}

TEST_CASE("a plain errno code matches no contract condition") {
    const std::error_code plain(ETIMEDOUT, std::generic_category());
    CHECK(plain != atomfile::errc::lock_timeout);
    CHECK(std::make_error_code(std::errc::io_error) != atomfile::errc::replaced_not_durable);
}

TEST_CASE("the conditions have their own category and say what they mean") {
    const std::error_condition condition = atomfile::errc::replaced_not_durable;
    CHECK(condition.category() == atomfile::condition_category());
    CHECK(std::string(condition.category().name()) == "atomfile.condition");
    CHECK(condition.message().find("durability unknown") != std::string::npos);
    CHECK(std::error_condition(atomfile::errc::conflict).message() ==
          "the target was replaced concurrently");
}

TEST_CASE("an errno of 0 still makes a failing code") {
    const std::error_code ec = atomfile::make_error_code(Step::other, 0);
    CHECK(ec);
    CHECK(ec == std::errc::io_error);
}
