#include "cli/tool_options.hpp"

#include <cerrno>
#include <utility>

#include "atomfile/error.hpp"
#include "atomfile/version.hpp"
#include "platform/posix.hpp"

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

Durability parse_durability(const std::string& text) {
    if (text == "full") return Durability::full;
    if (text == "data") return Durability::data;
    if (text == "none") return Durability::none;
    throw UsageError("invalid durability '" + text + "' (full, data or none)");
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

}  // namespace

void add_update_options(po::options_description& options, bool with_lock) {
    // One option per line reads best.
    // clang-format off
    options.add_options()
        ("append,a", po::bool_switch(), "write FILE's old content first, then the new")
        ("keep-if-empty", po::bool_switch(), "leave FILE alone when the new content is empty")
        ("parents,p", po::bool_switch(), "create missing parent directories")
        ("mode,m", po::value<std::string>()->value_name("OCTAL"),
         "mode of a newly created FILE (default 0666 & ~umask)")
        ("backup,b", po::value<std::string>()->implicit_value("~")->value_name("SUFFIX"),
         "keep the previous content as FILE + SUFFIX (default ~)")
        ("no-follow", po::bool_switch(), "replace a symlink FILE itself, not the file it names")
        ("durability,d", po::value<std::string>()->default_value("full")->value_name("LEVEL"),
         "full, data or none (see atomic-write(1))");
    // clang-format on
    if (with_lock)
        options.add_options()("lock,l", po::bool_switch(),
                              "hold the update lock, so concurrent locked writers lose nothing");
}

UpdateSettings update_settings(const po::variables_map& values) {
    UpdateSettings settings;
    settings.append = flag(values, "append");
    settings.keep_if_empty = flag(values, "keep-if-empty");
    settings.parents = flag(values, "parents");
    if (values.count("mode")) settings.replace.mode = parse_mode(values["mode"].as<std::string>());
    if (values.count("backup")) {
        settings.replace.backup_suffix = values["backup"].as<std::string>();
        if (settings.replace.backup_suffix.empty())
            throw UsageError("the backup suffix must not be empty");
    }
    settings.replace.follow_symlinks = !flag(values, "no-follow");
    settings.replace.durability = parse_durability(values["durability"].as<std::string>());
    settings.replace.lock = flag(values, "lock");
    return settings;
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

void print_help(std::ostream& out, const std::string& usage, const std::string& description,
                const po::options_description& options) {
    out << "Usage: " << usage << "\n\n" << description << "\n\n" << options;
}

void create_parent_directories(const std::string& file_path) {
    auto last_slash = file_path.find_last_of('/');
    if (last_slash == std::string::npos || last_slash == 0) return;
    const std::string parent = file_path.substr(0, last_slash);
    const unsigned mode = 0777 & ~platform::current_umask();
    for (std::size_t end = 0; end != std::string::npos;) {
        end = parent.find('/', end + 1);
        std::string prefix = parent.substr(0, end);
        if (platform::make_directory_at(platform::current_directory, prefix.c_str(), mode) == 0)
            continue;
        if (errno != EEXIST) throw_errno("create parent directory", prefix);
        platform::FileStatus status;
        if (platform::stat_at(platform::current_directory, prefix.c_str(), status, true) != 0)
            throw_errno("create parent directory", prefix);
        if (status.type != platform::FileType::directory)
            throw_error(ENOTDIR, "create parent directory", prefix);
    }
}

}  // namespace atomfile::cli
