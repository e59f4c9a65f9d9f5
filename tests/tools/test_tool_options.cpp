// The helpers atomic-write, atomic-edit and with-tempdir share.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include "cli/tool_options.hpp"
#include "support/test_support.hpp"

using namespace atomfile::test;
namespace cli = atomfile::cli;

namespace {

cli::UpdateSettings settings_from(const std::vector<std::string>& args) {
    cli::po::options_description options;
    cli::add_update_options(options, true);
    return cli::update_settings(cli::parse_arguments(args, options));
}

}  // namespace

TEST_CASE("the update options map onto ReplaceOptions") {
    auto defaults = settings_from({});
    CHECK(defaults.replace.durability == atomfile::Durability::full);
    CHECK(defaults.replace.follow_symlinks);
    CHECK_FALSE(defaults.replace.lock);
    CHECK_FALSE(defaults.replace.mode.has_value());
    CHECK(defaults.replace.backup_suffix.empty());

    auto all = settings_from({"-a", "--keep-if-empty", "-p", "-m", "0640", "--backup=.bak",
                              "--no-follow", "-d", "data", "-l"});
    CHECK(all.append);
    CHECK(all.keep_if_empty);
    CHECK(all.parents);
    CHECK(all.replace.mode == 0640u);
    CHECK(all.replace.backup_suffix == ".bak");
    CHECK_FALSE(all.replace.follow_symlinks);
    CHECK(all.replace.durability == atomfile::Durability::data);
    CHECK(all.replace.lock);
}

TEST_CASE("a bare -b or --backup means ~ and never takes the next word") {
    cli::po::options_description options;
    cli::add_update_options(options, true);
    for (const char* spelling : {"-b", "--backup"}) {
        auto values = cli::parse_arguments({spelling, "file"}, options);
        CHECK(cli::update_settings(values).replace.backup_suffix == "~");
        CHECK(cli::operands(values) == std::vector<std::string>{"file"});
    }
    CHECK(settings_from({"-b.orig"}).replace.backup_suffix == ".orig");
}

TEST_CASE("bad modes and durabilities are usage errors") {
    CHECK_THROWS_AS(settings_from({"-m", "abc"}), cli::UsageError);
    CHECK_THROWS_AS(settings_from({"-m", "8"}), cli::UsageError);
    CHECK_THROWS_AS(settings_from({"-m", "10000"}), cli::UsageError);
    CHECK_THROWS_AS(settings_from({"-m", ""}), cli::UsageError);
    CHECK(settings_from({"-m", "7777"}).replace.mode == 07777u);
    CHECK_THROWS_WITH_AS(settings_from({"-d", "fast"}),
                         "invalid durability 'fast' (full, data or none)", cli::UsageError);
    CHECK_THROWS_AS(settings_from({"--unknown"}), cli::UsageError);
}

TEST_CASE("arguments split at the first -- only") {
    auto split = cli::split_at_separator({"-k", "--", "cmd", "--", "x"});
    CHECK(split.has_separator);
    CHECK(split.before == std::vector<std::string>{"-k"});
    CHECK(split.after == std::vector<std::string>{"cmd", "--", "x"});
    auto none = cli::split_at_separator({"f", "sort"});
    CHECK_FALSE(none.has_separator);
    CHECK(none.before.size() == 2);
    CHECK(none.after.empty());
}

TEST_CASE("every {} in every argument is replaced, and the replacement is not rescanned") {
    auto args = cli::substitute_braces({"{}", "a{}b{}", "none", "{{}}"}, "/t/{}");
    CHECK(args == std::vector<std::string>{"/t/{}", "a/t/{}b/t/{}", "none", "{/t/{}}"});
}

TEST_CASE("parent directories are created like mkdir -p, with 0777 & ~umask") {
    ScratchDir dir;
    mode_t mask = ::umask(027);
    cli::create_parent_directories((dir / "a" / "b" / "c" / "file").string());
    ::umask(mask);
    CHECK(fs::is_directory(dir / "a" / "b" / "c"));
    CHECK(file_mode(dir / "a") == 0750);
    CHECK(file_mode(dir / "a" / "b" / "c") == 0750);
    CHECK_FALSE(fs::exists(dir / "a" / "b" / "c" / "file"));
    cli::create_parent_directories((dir / "a" / "b" / "c" / "file").string());  // all there
    cli::create_parent_directories("relative-file-in-cwd");                     // nothing to do
}

TEST_CASE("a parent that is a file or cannot be made is an error naming it") {
    ScratchDir dir;
    write_file(dir / "plain", "");
    try {
        cli::create_parent_directories((dir / "plain" / "sub" / "f").string());
        FAIL("no error");
    } catch (const atomfile::Error& e) {
        CHECK(e.code() == std::errc::not_a_directory);
        CHECK(e.path() == (dir / "plain").string());
        CHECK(e.step() == "create parent directory");
    }
    ScopedFault fault(atomfile::platform::Call::mkdir, EACCES, 0);
    CHECK_THROWS_AS(cli::create_parent_directories((dir / "new" / "f").string()), atomfile::Error);
    CHECK_FALSE(fs::exists(dir / "new"));
}
