// What atomic-write, atomic-edit and with-tempdir share: exit statuses, the update options,
// command-line splitting at "--", "{}" substitution and the --help/--version texts.
#pragma once

#include <boost/program_options.hpp>
#include <chrono>
#include <ostream>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/replace.hpp"

namespace atomfile::cli {

namespace po = boost::program_options;

// Exit statuses. Each man page lists the ones its tool uses.
namespace exit_status {
inline constexpr int success = 0;
// atomic-write: the update failed; FILE is untouched.
inline constexpr int failure = 1;
// atomic-write: bad usage.
inline constexpr int usage = 2;
// atomic-write: FILE was replaced, but the directory sync or the backup failed afterwards.
inline constexpr int replaced_with_error = 3;
// atomic-edit and with-tempdir: the tool itself failed (bad usage included), so that COMMAND's
// own statuses pass through unambiguously (the convention of env, nice and timeout).
inline constexpr int tool_failure = 125;
// atomic-edit and with-tempdir: COMMAND could not be run.
inline constexpr int cannot_run = 127;
// Ended by a caught signal: 128 + its number.
inline constexpr int signal_base = 128;
}  // namespace exit_status

// Bad usage; the message is phrased for the user.
class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// The settings of an update shared by atomic-write and atomic-edit.
struct UpdateSettings {
    ReplaceOptions replace;
    bool append = false;         // old content first, then the new
    bool keep_if_empty = false;  // empty new input: leave FILE alone
    bool parents = false;        // create missing parent directories
};

// Adds -a, --keep-if-empty, -p, -m, -b, --no-follow, -d, --lock-timeout, --refuse-hard-links,
// --keep-owner and (with with_lock) -l.
void add_update_options(po::options_description& options, bool with_lock);
// Reads the options added above; throws UsageError naming the bad value for a bad mode,
// durability, lock timeout or owner policy. --lock-timeout implies the lock.
UpdateSettings update_settings(const po::variables_map& values);

// A --lock-timeout value: seconds, fractions allowed ("0", "2.5"), rounded up to whole
// milliseconds; "inf" or "infinity" waits forever (a negative duration, as ReplaceOptions reads
// it). Anything else, a negative number included, throws UsageError naming the text.
std::chrono::milliseconds parse_lock_timeout(const std::string& text);
// A --keep-owner value: "if-permitted" (the default: keep where allowed, warn otherwise),
// "strict" (refuse to change the owner) or "never". Throws UsageError naming the text.
OwnerPolicy parse_owner_policy(const std::string& text);
// A --backup suffix, checked: empty, or holding '/' (a name in another directory), is a UsageError.
std::string parse_backup_suffix(const std::string& text);

// The arguments before the first "--" and those after it (COMMAND).
struct SplitArguments {
    std::vector<std::string> before;
    std::vector<std::string> after;
    bool has_separator = false;
};
SplitArguments split_at_separator(const std::vector<std::string>& args);

// Parses args; operands (non-options) are collected under "operand". Throws UsageError.
po::variables_map parse_arguments(const std::vector<std::string>& args,
                                  const po::options_description& options);
// The operands parse_arguments collected (empty when there were none).
std::vector<std::string> operands(const po::variables_map& values);

// Every "{}" inside every argument replaced by replacement.
std::vector<std::string> substitute_braces(std::vector<std::string> args,
                                           const std::string& replacement);

// "TOOL: MESSAGE" and a pointer to --help.
void report_usage_error(std::ostream& err, const std::string& tool, const std::string& message);
// "TOOL (atomfile) VERSION".
void print_version(std::ostream& out, const std::string& tool);
// The usage line, a description, the options in GNU style ("  -a, --append   text", a value as
// "--mode=OCTAL" or "--backup[=SUFFIX]", descriptions aligned and wrapped at 79 columns) and,
// when exit_statuses is not empty, an "Exit status:" section with that text.
void print_help(std::ostream& out, const std::string& usage, const std::string& description,
                const po::options_description& options, const std::string& exit_statuses = {});
// "full", "data" or "none", as --durability takes it; anything else is a UsageError.
Durability parse_durability(const std::string& text);
// The options alone, as print_help renders them.
void print_options(std::ostream& out, const po::options_description& options);

}  // namespace atomfile::cli
