#include "json/json_command_line.hpp"

#include <cerrno>
#include <fstream>
#include <istream>
#include <iterator>
#include <sstream>

#include "cli/tool_options.hpp"
#include "error_support.hpp"
#include "json/json_format.hpp"
#include "json/json_scanner.hpp"

namespace atomfile::json {

namespace {

// How many arguments each operation takes, path first.
int arity(const std::string& name) {
    if (name == "get" || name == "delete") return 1;
    if (name == "set" || name == "set-string" || name == "append" || name == "test") return 2;
    if (name == "merge" || name == "patch") return -1;  // one JSON argument, no path
    throw UsageError("unknown operation '" + name + "'");
}

std::uint64_t parse_number(const std::string& option, const std::string& text, bool suffixes) {
    std::size_t end = 0;
    unsigned long long value = 0;
    try {
        if (!text.empty() && text[0] != '-') value = std::stoull(text, &end);
    } catch (const std::exception&) {
        end = 0;
    }
    std::string rest = text.substr(end);
    std::uint64_t scale = 1;
    if (suffixes && rest.size() == 1) {
        std::size_t power = std::string("KMG").find(rest[0]);
        if (power != std::string::npos)
            scale = std::uint64_t{1} << (10 * (power + 1)), rest.clear();
    }
    if (end == 0 || !rest.empty()) throw UsageError(option + " needs a number, not '" + text + "'");
    return value * scale;
}

Durability parse_durability(const std::string& text) {
    if (text == "full") return Durability::full;
    if (text == "data") return Durability::data;
    if (text == "none") return Durability::none;
    throw UsageError("--durability must be full, data or none, not '" + text + "'");
}

// Splits "--name=value" or "-xVALUE"; value stays empty when none is attached.
void split_option(const std::string& arg, std::string& name, std::optional<std::string>& value) {
    std::size_t split = arg[1] == '-' ? arg.find('=') : 2;
    name = arg.substr(0, split);
    if (split < arg.size()) value = arg.substr(split + (arg[1] == '-' ? 1 : 0));
}

class OptionReader {
  public:
    OptionReader(const std::vector<std::string>& args, Settings& settings)
        : args_(args), settings_(settings) {}
    // Reads options; returns the index of FILE.
    std::size_t read();

  private:
    std::string take_value(const std::string& name, std::optional<std::string>& inline_value);
    void apply(const std::string& name, std::optional<std::string> inline_value);

    const std::vector<std::string>& args_;
    Settings& settings_;
    std::size_t next_ = 0;
};

std::string OptionReader::take_value(const std::string& name,
                                     std::optional<std::string>& inline_value) {
    if (inline_value) return *inline_value;
    if (next_ >= args_.size()) throw UsageError(name + " needs a value");
    return args_[next_++];
}

// Options without a value; false when name is not one of them.
bool set_flag(Settings& s, const std::string& name) {
    if (name == "-h" || name == "--help")
        s.help = true;
    else if (name == "--version")
        s.version = true;
    else if (name == "-n" || name == "--dry-run")
        s.dry_run = true;
    else if (name == "--diff")
        s.diff = true;
    else if (name == "--create")
        s.create = true;
    else if (name == "--no-lock")
        s.lock = false;
    else if (name == "--refuse-hard-links")
        s.hard_links = HardLinkPolicy::refuse;
    else
        return false;
    return true;
}

void OptionReader::apply(const std::string& name, std::optional<std::string> inline_value) {
    Settings& s = settings_;
    if (set_flag(s, name)) {
        if (inline_value) throw UsageError(name + " takes no value");
    } else if (name == "-b" || name == "--backup") {
        s.backup_suffix = inline_value.value_or("~");  // the value is optional: only attached
    } else if (name == "--indent") {
        try {
            s.indent = parse_indent(take_value(name, inline_value));
        } catch (const std::invalid_argument&) {
            throw UsageError("--indent needs a number of spaces (0 to 16) or 'tab'");
        }
    } else if (name == "-d" || name == "--durability") {
        s.durability = parse_durability(take_value(name, inline_value));
    } else if (name == "--lock-timeout" || name == "--keep-owner") {
        const std::string text = take_value(name, inline_value);
        try {  // the same words as atomic-write and atomic-edit
            if (name == "--lock-timeout")
                s.lock_timeout = cli::parse_lock_timeout(text);
            else
                s.owner_policy = cli::parse_owner_policy(text);
        } catch (const cli::UsageError& e) {
            throw UsageError(e.what());
        }
    } else if (name == "--max-depth") {
        s.max_depth = parse_number(name, take_value(name, inline_value), false);
        if (s.max_depth == 0) throw UsageError("--max-depth must be at least 1");
    } else if (name == "--max-size") {
        s.max_size = parse_number(name, take_value(name, inline_value), true);
    } else {
        throw UsageError("unknown option '" + name + "'");
    }
}

std::size_t OptionReader::read() {
    while (next_ < args_.size()) {
        const std::string& arg = args_[next_];
        if (arg == "--") return next_ + 1;
        if (arg.size() < 2 || arg[0] != '-') return next_;
        ++next_;
        std::string name;
        std::optional<std::string> value;
        split_option(arg, name, value);
        apply(name, value);
    }
    return next_;
}

void read_operations(const std::vector<std::string>& args, std::size_t next, Settings& settings) {
    while (next < args.size()) {
        Operation operation;
        operation.name = args[next++];
        int count = arity(operation.name);
        if (next + static_cast<std::size_t>(count < 0 ? 1 : count) > args.size())
            throw UsageError(operation.name + " needs " +
                             (count == 1   ? "a PATH"
                              : count == 2 ? "a PATH and a value"
                                           : "JSON"));
        if (count > 0) operation.path_text = args[next++];
        if (count != 1) operation.argument = args[next++];
        try {
            operation.path = parse_path(operation.path_text);
        } catch (const PathError& e) {
            throw UsageError("bad path '" + operation.path_text + "': " + e.what());
        }
        settings.operations.push_back(std::move(operation));
    }
}

std::string read_stream(std::istream& in) {
    return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

bool takes_json(const Operation& operation) {
    return operation.name != "set-string" && !operation.argument.empty() &&
           operation.argument.front() == '@';
}

}  // namespace

Settings parse_command_line(const std::vector<std::string>& args) {
    Settings settings;
    std::size_t next = OptionReader(args, settings).read();
    if (settings.help || settings.version) return settings;
    if (settings.lock_timeout && !settings.lock)
        throw UsageError("--lock-timeout and --no-lock contradict each other");
    if (next >= args.size()) throw UsageError("missing FILE");
    settings.file = args[next++];
    if (settings.file.empty()) throw UsageError("'': empty file name");
    read_operations(args, next, settings);
    if (settings.operations.empty()) throw UsageError("no operation given");
    return settings;
}

void load_arguments(Settings& settings, std::istream& in) {
    bool stdin_used = settings.file == "-";
    for (Operation& operation : settings.operations) {
        if (!takes_json(operation)) continue;
        std::string source = operation.argument.substr(1);
        if (source == "-") {
            if (stdin_used) throw UsageError("standard input can be read only once");
            stdin_used = true;
            operation.argument = read_stream(in);
            continue;
        }
        errno = 0;
        std::ifstream file(source, std::ios::binary);
        if (file) operation.argument = read_stream(file);
        if (!file.is_open() || file.bad())
            throw_error(errno ? errno : EIO, "read argument", source);
    }
}

void prepare_values(Settings& settings) {
    for (std::size_t i = 0; i < settings.operations.size(); ++i) {
        Operation& operation = settings.operations[i];
        if (operation.name == "get" || operation.name == "delete") continue;
        bool text = operation.name == "set-string";
        std::string json = text ? quote(operation.argument) : operation.argument;
        std::string where =
            "argument of operation " + std::to_string(i + 1) + " (" + operation.name + "): ";
        ScanReport report;
        try {
            report = validate(json, settings.max_depth);
        } catch (const SyntaxError& e) {
            std::ostringstream message;
            if (text)
                message << "not valid UTF-8";
            else
                message << "line " << e.line() << ", column " << e.column() << ": " << e.what();
            throw ArgumentError(where + message.str());
        }
        if (!report.duplicates.empty())
            throw ArgumentError(where + "duplicate key \"" + report.duplicates.front().key + "\"");
        operation.value = json.substr(report.root_begin, report.root_end - report.root_begin);
    }
}

}  // namespace atomfile::json
