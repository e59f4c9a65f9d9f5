#include "cli/tool_options.hpp"

#include <algorithm>
#include <cerrno>
#include <sstream>
#include <utility>

#include "atomfile/version.hpp"
#include "cli/tool_error.hpp"

namespace atomfile::cli {

namespace {

// The hidden option that collects operands; not a name a user would type.
constexpr const char* operand_key = "operand";

unsigned parse_mode(const std::string& text) {
    bool octal = !text.empty() && text.size() <= 5 &&
                 text.find_first_not_of("01234567") == std::string::npos;
    unsigned mode = octal ? static_cast<unsigned>(std::stoul(text, nullptr, 8)) : 0;
    if (!octal || mode > 07777) throw UsageError("invalid mode '" + text + "' (octal, e.g. 0644)");
    return mode;
}

// A bare -b or --backup means the default suffix. Boost would otherwise take the next word (FILE)
// as the suffix, so these two spellings are recognised before its own parsing.
std::pair<std::string, std::string> bare_backup(const std::string& token) {
    if (token == "-b" || token == "--backup") return {"backup", "~"};
    return {};
}

bool flag(const po::variables_map& values, const char* name) {
    return values.count(name) != 0 && values[name].as<bool>();
}

std::string text_value(const po::variables_map& values, const char* name) {
    return values[name].as<std::string>();
}

// ---- help rendering ------------------------------------------------------------------------

constexpr std::size_t help_width = 79;
constexpr std::size_t widest_option_column = 30;

// One option as --help shows it: "  -m, --mode=OCTAL" and its description.
struct HelpLine {
    std::string option;
    std::string text;
};

// Boost renders a value as "NAME", "NAME (=DEFAULT)" or "[=NAME(=IMPLICIT)]"; GNU style wants
// "=NAME" or "[=NAME]", with the default said in the description.
std::string value_part(const po::option_description& option, std::string& default_text) {
    std::string parameter = option.format_parameter();
    if (parameter.empty()) return {};
    const bool optional = parameter.rfind("[=", 0) == 0;
    if (optional) parameter = parameter.substr(2, parameter.find_first_of("(]") - 2);
    auto decoration = parameter.find(" (=");
    if (decoration != std::string::npos) {
        default_text = parameter.substr(decoration + 3, parameter.size() - decoration - 4);
        parameter.erase(decoration);
    }
    if (parameter == "arg") parameter = "ARG";  // Boost's placeholder when no name was given
    return optional ? "[=" + parameter + "]" : "=" + parameter;
}

HelpLine help_line(const po::option_description& option) {
    const std::string shown =
        option.canonical_display_name(po::command_line_style::allow_dash_for_short);
    const bool has_short = shown.size() == 2 && shown[0] == '-';
    const std::string& long_name = option.long_name();
    std::string default_text;
    std::string value = value_part(option, default_text);
    HelpLine line;
    line.option = has_short ? "  " + shown + (long_name.empty() ? "" : ", ") : "      ";
    if (!long_name.empty()) line.option += "--" + long_name;
    line.option += value;
    line.text = option.description();
    if (!default_text.empty()) line.text += " (default: " + default_text + ")";
    return line;
}

// Writes text from column `indent` to help_width, breaking between words.
void write_wrapped(std::ostream& out, const std::string& text, std::size_t indent) {
    std::istringstream words(text);
    std::string word;
    std::size_t column = indent;
    bool first = true;
    while (words >> word) {
        if (!first && column + 1 + word.size() > help_width) {
            out << '\n' << std::string(indent, ' ');
            column = indent;
        } else if (!first) {
            out << ' ';
            ++column;
        }
        out << word;
        column += word.size();
        first = false;
    }
    out << '\n';
}

}  // namespace

Durability parse_durability(const std::string& text) {
    if (text == "full") return Durability::full;
    if (text == "data") return Durability::data;
    if (text == "none") return Durability::none;
    throw UsageError("invalid durability '" + text + "' (full, data or none)");
}

void add_update_options(po::options_description& options, bool with_lock) {
    // One option per line reads best.
    // clang-format off
    options.add_options()
        ("append,a", po::bool_switch(), "write FILE's old content first, then the new")
        ("keep-if-empty", po::bool_switch(), "leave FILE alone when the new content is empty")
        ("skip-unchanged", po::bool_switch(),
         "leave FILE alone (inode, mtime, links) when the new content equals the old")
        ("parents,p", po::bool_switch(), "create missing parent directories")
        ("mode,m", po::value<std::string>()->value_name("OCTAL"),
         "mode of a newly created FILE (default 0666 & ~umask)")
        ("backup,b", po::value<std::string>()->implicit_value("~")->value_name("SUFFIX"),
         "keep the previous content as FILE + SUFFIX (default ~)")
        ("no-follow", po::bool_switch(), "replace a symlink FILE itself, not the file it names")
        ("durability,d", po::value<std::string>()->value_name("LEVEL"),
         "full (default), data or none (see atomic-write(1))")
        ("refuse-hard-links", po::bool_switch(),
         "fail if FILE has other hard links (by default they keep the old content)")
        ("keep-owner", po::value<std::string>()->value_name("WHEN"),
         "if-permitted (default: warn when FILE's owner cannot be kept), strict (refuse) "
         "or never")
        ("in-place-fallback", po::bool_switch(),
         "when FILE cannot be renamed over (a bind mount, a directory you may not write), "
         "overwrite it in place, crash-safe through an undo record")
        ("undo-dir", po::value<std::string>()->value_name("DIR"),
         "keep --in-place-fallback's undo record (and, for an unwritable directory, the new "
         "content) in DIR (default: FILE's directory)");
    // clang-format on
    if (with_lock)
        options.add_options()("lock,l", po::bool_switch(),
                              "hold the update lock, so concurrent locked writers lose nothing");
    options.add_options()("lock-timeout", po::value<std::string>()->value_name("SECONDS"),
                          with_lock ? "wait at most SECONDS (or inf) for the lock; implies -l "
                                      "(default 30)"
                                    : "wait at most SECONDS (or inf) for the lock (default 30)");
}

std::string parse_backup_suffix(const std::string& text) {
    if (text.empty()) throw UsageError("the backup suffix must not be empty");
    if (text.find('/') != std::string::npos)
        throw UsageError("invalid backup suffix '" + text + "' (a suffix cannot contain '/')");
    return text;
}

UpdateSettings update_settings(const po::variables_map& values) {
    UpdateSettings settings;
    settings.append = flag(values, "append");
    settings.keep_if_empty = flag(values, "keep-if-empty");
    settings.parents = flag(values, "parents");
    settings.replace.skip_unchanged = flag(values, "skip-unchanged");
    if (values.count("mode")) settings.replace.mode = parse_mode(values["mode"].as<std::string>());
    if (values.count("backup")) {
        settings.replace.backup_suffix = parse_backup_suffix(values["backup"].as<std::string>());
    }
    settings.replace.follow_symlinks = !flag(values, "no-follow");
    if (values.count("durability"))
        settings.replace.durability = parse_durability(text_value(values, "durability"));
    settings.replace.lock = flag(values, "lock") || settings.append;  // -a is read-modify-write
    if (values.count("lock-timeout")) {
        settings.replace.lock_timeout = parse_lock_timeout(text_value(values, "lock-timeout"));
        settings.replace.lock = true;  // a timeout only makes sense for a lock
    }
    if (flag(values, "refuse-hard-links")) settings.replace.hard_links = HardLinkPolicy::refuse;
    settings.replace.in_place_fallback = flag(values, "in-place-fallback");
    if (values.count("undo-dir")) {
        settings.replace.undo_directory = text_value(values, "undo-dir");
        if (!settings.replace.in_place_fallback)
            throw UsageError("--undo-dir needs --in-place-fallback");
    }
    if (values.count("keep-owner"))
        settings.replace.owner_policy = parse_owner_policy(text_value(values, "keep-owner"));
    return settings;
}

std::chrono::milliseconds parse_lock_timeout(const std::string& text) {
    if (text == "inf" || text == "infinity") return std::chrono::milliseconds(-1);
    const auto point = text.find('.');
    const std::string whole = text.substr(0, point);
    const std::string fraction = point == std::string::npos ? "" : text.substr(point + 1);
    const bool digits_only = whole.find_first_not_of("0123456789") == std::string::npos &&
                             fraction.find_first_not_of("0123456789") == std::string::npos;
    // Nine digits of seconds is over 30 years: more is a typo, and would overflow.
    if (!digits_only || whole.size() + fraction.size() == 0 || whole.size() > 9)
        throw UsageError("invalid lock timeout '" + text + "' (seconds, e.g. 2.5, or inf)");
    long long ms = whole.empty() ? 0 : std::stoll(whole) * 1000;
    const std::string millis = (fraction + "000").substr(0, 3);
    ms += std::stoll(millis);
    // Round up, so that a tiny timeout still waits, never less than asked.
    if (fraction.size() > 3 && fraction.find_first_not_of('0', 3) != std::string::npos) ++ms;
    return std::chrono::milliseconds(ms);
}

OwnerPolicy parse_owner_policy(const std::string& text) {
    if (text == "if-permitted") return OwnerPolicy::keep_if_permitted;
    if (text == "strict") return OwnerPolicy::strict;
    if (text == "never") return OwnerPolicy::ignore;
    throw UsageError("invalid --keep-owner '" + text + "' (if-permitted, strict or never)");
}

SplitArguments split_at_separator(const std::vector<std::string>& args) {
    SplitArguments split;
    for (const auto& arg : args) {
        if (!split.has_separator && arg == "--")
            split.has_separator = true;
        else
            (split.has_separator ? split.after : split.before).push_back(arg);
    }
    return split;
}

po::variables_map parse_arguments(const std::vector<std::string>& args,
                                  const po::options_description& options) {
    po::options_description all;
    all.add(options);
    all.add_options()(operand_key, po::value<std::vector<std::string>>());
    po::positional_options_description positional;
    positional.add(operand_key, -1);
    po::variables_map values;
    po::command_line_parser parser(args);
    parser.options(all).positional(positional);
    if (all.find_nothrow("backup", false) != nullptr) parser.extra_parser(bare_backup);
    try {
        po::store(parser.run(), values);
        po::notify(values);
    } catch (const po::error& e) {
        throw UsageError(e.what());
    }
    return values;
}

std::vector<std::string> operands(const po::variables_map& values) {
    if (values.count(operand_key) == 0) return {};
    return values[operand_key].as<std::vector<std::string>>();
}

std::vector<std::string> substitute_braces(std::vector<std::string> args,
                                           const std::string& replacement) {
    for (auto& arg : args) {
        for (auto at = arg.find("{}"); at != std::string::npos; at = arg.find("{}", at)) {
            arg.replace(at, 2, replacement);
            at += replacement.size();
        }
    }
    return args;
}

void report_usage_error(std::ostream& err, const std::string& tool, const std::string& message) {
    err << tool << ": " << message << "\nTry '" << tool << " --help' for more information.\n";
}

void print_version(std::ostream& out, const std::string& tool) {
    out << tool << " (atomfile) " << atomfile::version << '\n';
}

void print_options(std::ostream& out, const po::options_description& options) {
    std::vector<HelpLine> lines;
    std::size_t column = 0;
    for (const auto& option : options.options()) {
        lines.push_back(help_line(*option));
        column = std::max(column, lines.back().option.size() + 2);
    }
    column = std::min(column, widest_option_column);
    for (const HelpLine& line : lines) {
        out << line.option;
        // An option too wide for the column gets its description on the next line.
        if (line.option.size() + 2 > column)
            out << '\n' << std::string(column, ' ');
        else
            out << std::string(column - line.option.size(), ' ');
        write_wrapped(out, line.text, column);
    }
}

void print_help(std::ostream& out, const std::string& usage, const std::string& description,
                const po::options_description& options, const std::string& exit_statuses) {
    out << "Usage: " << usage << "\n\n" << description << "\n\nOptions:\n";
    print_options(out, options);
    if (!exit_statuses.empty()) out << "\nExit status:\n" << exit_statuses;
}

}  // namespace atomfile::cli
