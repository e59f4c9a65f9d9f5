// The helpers atomic-write, atomic-edit and with-tempdir share.
#include <doctest/doctest.h>
#include <sys/stat.h>

#include <chrono>
#include <sstream>

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

TEST_CASE("a backup suffix with a slash is a usage error naming the suffix") {
    CHECK_THROWS_WITH_AS(settings_from({"-b/x"}),
                         "invalid backup suffix '/x' (a suffix cannot contain '/')",
                         cli::UsageError);
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

TEST_CASE("--lock-timeout takes seconds or inf, rounds up to milliseconds and implies the lock") {
    using std::chrono::milliseconds;
    auto timed = settings_from({"--lock-timeout=2.5"});
    CHECK(timed.replace.lock);
    CHECK(timed.replace.lock_timeout == milliseconds(2500));
    CHECK(settings_from({"--lock-timeout", "0"}).replace.lock_timeout == milliseconds(0));
    CHECK(settings_from({"--lock-timeout=.25"}).replace.lock_timeout == milliseconds(250));
    CHECK(settings_from({"--lock-timeout=0.0001"}).replace.lock_timeout == milliseconds(1));
    CHECK(settings_from({"--lock-timeout=inf"}).replace.lock_timeout.count() < 0);
    CHECK(settings_from({"--lock-timeout=infinity"}).replace.lock_timeout.count() < 0);
    CHECK(settings_from({}).replace.lock_timeout == std::chrono::seconds(30));
}

TEST_CASE("a negative, empty or malformed lock timeout is a usage error naming it") {
    for (const char* bad : {"-1", "", ".", "abc", "1e3", "1.2.3", "2s", "1234567890"}) {
        CAPTURE(bad);
        CHECK_THROWS_WITH_AS(
            settings_from({"--lock-timeout", bad}),
            ("invalid lock timeout '" + std::string(bad) + "' (seconds, e.g. 2.5, or inf)").c_str(),
            cli::UsageError);
    }
}

TEST_CASE("--refuse-hard-links and --keep-owner choose the library's policies") {
    auto defaults = settings_from({});
    CHECK(defaults.replace.hard_links == atomfile::HardLinkPolicy::break_link);
    CHECK(defaults.replace.owner_policy == atomfile::OwnerPolicy::keep_if_permitted);
    CHECK(settings_from({"--refuse-hard-links"}).replace.hard_links ==
          atomfile::HardLinkPolicy::refuse);
    CHECK(settings_from({"--keep-owner=strict"}).replace.owner_policy ==
          atomfile::OwnerPolicy::strict);
    CHECK(settings_from({"--keep-owner", "never"}).replace.owner_policy ==
          atomfile::OwnerPolicy::ignore);
    CHECK(settings_from({"--keep-owner=if-permitted"}).replace.owner_policy ==
          atomfile::OwnerPolicy::keep_if_permitted);
    CHECK_THROWS_WITH_AS(settings_from({"--keep-owner=yes"}),
                         "invalid --keep-owner 'yes' (if-permitted, strict or never)",
                         cli::UsageError);
}

TEST_CASE("a value glued to a short option is validated as that option's value") {
    // "-dash.txt" is -d with "ash.txt": the message names the value, not a missing operand.
    CHECK_THROWS_WITH_AS(settings_from({"-dash.txt"}),
                         "invalid durability 'ash.txt' (full, data or none)", cli::UsageError);
}

TEST_CASE("help shows short and long option on one line, GNU style, and the exit statuses") {
    cli::po::options_description options;
    cli::add_update_options(options, true);
    options.add_options()("prefix", cli::po::value<std::string>()->default_value("tmp"),
                          "start of the name");
    std::ostringstream out;
    cli::print_help(out, "tool [OPTIONS] FILE", "Does things.", options, "  0  done\n");
    const std::string help = out.str();
    CHECK(help.rfind("Usage: tool [OPTIONS] FILE\n\nDoes things.\n\nOptions:\n", 0) == 0);
    CHECK(help.find("\n  -a, --append ") != std::string::npos);
    CHECK(help.find("\n      --keep-if-empty ") != std::string::npos);
    CHECK(help.find("\n  -m, --mode=OCTAL ") != std::string::npos);
    CHECK(help.find("\n  -b, --backup[=SUFFIX] ") != std::string::npos);
    CHECK(help.find("\n      --lock-timeout=SECONDS ") != std::string::npos);
    CHECK(help.find("\n      --prefix=ARG ") != std::string::npos);
    CHECK(help.find("start of the name (default: tmp)") != std::string::npos);
    CHECK(help.find("[ --") == std::string::npos);  // Boost's "-a [ --append ]"
    CHECK(help.find("(=") == std::string::npos);    // Boost's "LEVEL (=full)"
    const std::string statuses = "\nExit status:\n  0  done\n";
    REQUIRE(help.size() > statuses.size());
    CHECK(help.substr(help.size() - statuses.size()) == statuses);
}

TEST_CASE("help lines stay within 79 columns and descriptions start in one column") {
    cli::po::options_description options;
    cli::add_update_options(options, true);
    std::ostringstream out;
    cli::print_options(out, options);
    std::istringstream lines(out.str());
    std::string line;
    std::size_t column = 0;
    while (std::getline(lines, line)) {
        CAPTURE(line);
        CHECK(line.size() <= 79);
        const std::size_t text = line.find_first_not_of(' ', line.find("  ", 2));
        if (line.rfind("  -a, --append", 0) == 0) column = text;
    }
    CHECK(column > 0);
    CHECK(out.str().find("\n" + std::string(column, ' ') + "~umask)") != std::string::npos);
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
