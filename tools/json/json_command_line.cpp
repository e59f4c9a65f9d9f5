#include "json/json_command_line.hpp"

#include <istream>
#include <iterator>
#include <optional>
#include <sstream>
#include <stdexcept>

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "cli/system.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::json {

namespace {

// How many arguments each operation takes, path first.
int arity(const std::string& name) {
    if (name == "get" || name == "delete" || name == "keys" || name == "length" || name == "type")
        return 1;
    if (name == "set" || name == "set-string" || name == "append" || name == "test") return 2;
    if (name == "merge" || name == "patch") return -1;  // one JSON argument, no path
    if (name.size() > 1 && name[0] == '-') throw UsageError("unknown option '" + name + "'");
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

// --indent: a number of spaces (0 to 16) or "tab".
std::string parse_indent(const std::string& value) {
    if (value == "tab") return "\t";
    std::size_t spaces = 0;
    for (char c : value) {
        if (c < '0' || c > '9' || spaces > 16) throw std::invalid_argument("bad --indent");
        spaces = spaces * 10 + static_cast<std::size_t>(c - '0');
    }
    if (value.empty() || spaces > 16) throw std::invalid_argument("bad --indent");
    return std::string(spaces, ' ');
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
    else if (name == "--strict")
        s.strict = true;
    else if (name == "-r" || name == "--raw")
        s.raw = true;
    else if (name == "--if-exists")
        s.if_exists = true;
    else if (name == "--in-place-fallback")
        s.in_place_fallback = true;
    else
        return false;
    return true;
}

bool takes_value(const std::string& name) {
    for (const char* option : {"--indent", "-d", "--durability", "--lock-timeout", "--keep-owner",
                               "--max-depth", "--max-size", "--default", "--undo-dir"})
        if (name == option) return true;
    return false;
}

bool is_option_name(const std::string& name) {
    Settings scratch;
    return set_flag(scratch, name) || takes_value(name) || name == "-b" || name == "--backup";
}

class OptionReader {
  public:
    OptionReader(const std::vector<std::string>& args, Settings& settings)
        : args_(args), settings_(settings) {}
    // Reads options wherever they are; returns the other arguments (FILE, operations and their
    // arguments) in order.
    std::vector<std::string> read();

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

void OptionReader::apply(const std::string& name, std::optional<std::string> inline_value) {
    Settings& s = settings_;
    if (set_flag(s, name)) {
        if (inline_value) throw UsageError(name + " takes no value");
    } else if (name == "-b" || name == "--backup") {
        try {  // the value is optional: only attached
            s.backup_suffix = cli::parse_backup_suffix(inline_value.value_or("~"));
        } catch (const cli::UsageError& e) {
            throw UsageError(e.what());
        }
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
    } else if (name == "--default") {
        s.default_value = take_value(name, inline_value);
    } else if (name == "--undo-dir") {
        s.undo_directory = take_value(name, inline_value);
        if (s.undo_directory.empty()) throw UsageError("--undo-dir needs a directory");
    } else {
        throw UsageError("unknown option '" + name + "'");
    }
}

// Before FILE every argument starting with '-' is an option; after it, only one whose name is an
// option's, so that values such as -1 stay values.
std::vector<std::string> OptionReader::read() {
    std::vector<std::string> operands;
    while (next_ < args_.size()) {
        const std::string& arg = args_[next_];
        if (arg == "--") {
            operands.insert(operands.end(), args_.begin() + static_cast<std::ptrdiff_t>(next_) + 1,
                            args_.end());
            break;
        }
        std::string name;
        std::optional<std::string> value;
        if (arg.size() >= 2 && arg[0] == '-') split_option(arg, name, value);
        if (name.empty() || (!operands.empty() && !is_option_name(name))) {
            operands.push_back(arg);
            ++next_;
            continue;
        }
        ++next_;
        apply(name, value);
    }
    return operands;
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
            validate_path(operation.path_text);
        } catch (const PathError& e) {
            throw UsageError("bad path '" + operation.path_text + "': " + e.what());
        }
        settings.operations.push_back(std::move(operation));
    }
}

// "@FILE" or "@-" in place of a JSON argument or set-string's TEXT.
bool names_file(const Operation& operation) {
    return !operation.argument.empty() && operation.argument.front() == '@';
}

}  // namespace

bool Operation::modifies() const {
    for (const char* editor : {"set", "set-string", "delete", "append", "merge", "patch"})
        if (name == editor) return true;
    return false;
}

Settings parse_command_line(const std::vector<std::string>& args) {
    Settings settings;
    std::vector<std::string> operands = OptionReader(args, settings).read();
    if (settings.help || settings.version) return settings;
    if (settings.lock_timeout && !settings.lock)
        throw UsageError("--lock-timeout and --no-lock contradict each other");
    if (!settings.undo_directory.empty() && !settings.in_place_fallback)
        throw UsageError("--undo-dir needs --in-place-fallback");  // as atomic-write says
    if (operands.empty()) throw UsageError("missing FILE");
    settings.file = operands.front();
    if (settings.file.empty()) throw UsageError("'': empty file name");
    read_operations(operands, 1, settings);
    if (settings.operations.empty()) throw UsageError("no operation given");
    return settings;
}

namespace {

// @FILE is opened as atomic-install opens a SOURCE: another user's symlink planted in a sticky
// directory is not followed, so json-edit run by root cannot be made to copy /etc/shadow into
// a document others read.
std::string read_argument_file(const std::string& source) {
    namespace system = cli::system;
    system::FileIdentity identity;
    FileDescriptor fd(system::open_for_reading(source.c_str(), identity));
    if (!fd)
        throw Error(std::error_code(errno, std::generic_category()),
                    system::reading_step("read argument"), source);
    if (identity.kind == system::FileKind::directory)
        throw Error(std::make_error_code(std::errc::is_a_directory), "read argument", source);
    std::string text;
    if (system::read_to_end_or_signal(fd.get(), text) != 0)
        throw Error(std::error_code(errno, std::generic_category()), "read argument", source);
    return text;
}

}  // namespace

void load_arguments(Settings& settings, std::istream& in) {
    bool stdin_used = settings.file == "-";
    for (Operation& operation : settings.operations) {
        if (!names_file(operation)) continue;
        std::string source = operation.argument.substr(1);
        if (source == "-") {
            if (stdin_used) throw UsageError("standard input can be read only once");
            stdin_used = true;
            operation.argument = read_standard_input(in);
            continue;
        }
        operation.argument = read_argument_file(source);
    }
}

// libstdc++'s file buffer throws on a failed read, with errno as the code and a text about its
// own internals; the user is told which file could not be read, and why.
std::string read_standard_input(std::istream& in) {
    try {
        return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
    } catch (const std::ios_base::failure& e) {
        const bool has_errno = e.code().category() == std::system_category() ||
                               e.code().category() == std::generic_category();
        const int error = has_errno ? e.code().value() : EIO;
        throw Error(std::error_code(error, std::generic_category()), "read standard input", "-");
    }
}

namespace {

// A word that is no JSON but would be as a string: set /name hello meant "hello".
bool bare_word(const std::string& argument) {
    if (argument.empty() || argument.find_first_of("'\"{}[]:,") != std::string::npos) return false;
    char first = argument.front();
    return !(first == '-' || (first >= '0' && first <= '9')) &&
           argument.find_first_of("\n\r\t") == std::string::npos;
}

std::string describe_parse_error(const ParseError& e, const std::string& argument) {
    std::ostringstream message;
    if (bare_word(argument))
        message << "not JSON: did you mean '"
                << nlohmann::json(argument).dump(-1, ' ', false,
                                                 nlohmann::json::error_handler_t::replace)
                << "' or set-string?";
    else
        message << "line " << e.line() << ", column " << e.column() << ": " << e.what();
    return message.str();
}

// The argument as one validated JSON value, trimmed; where names it in messages.
std::string validated(const std::string& json, const Settings& settings, const std::string& where) {
    std::optional<Document> document;
    try {
        document = Document::parse(
            json, {settings.strict ? Dialect::strict : Dialect::jsonc, settings.max_depth});
    } catch (const ParseError& e) {
        throw ArgumentError(where + describe_parse_error(e, json));
    }
    if (!document->duplicates().empty())
        throw ArgumentError(where + "duplicate key \"" + document->duplicates().front().key + "\"");
    return *document->get_text("");
}

// set-string's TEXT as a JSON string.
std::string quoted(const std::string& text, const std::string& where) {
    try {
        return nlohmann::json(text).dump();
    } catch (const nlohmann::json::exception&) {
        throw ArgumentError(where + "not valid UTF-8");
    }
}

}  // namespace

void prepare_values(Settings& settings) {
    if (settings.default_value)
        settings.default_value = validated(*settings.default_value, settings, "--default: ");
    for (std::size_t i = 0; i < settings.operations.size(); ++i) {
        Operation& operation = settings.operations[i];
        if (arity(operation.name) == 1) continue;
        bool text = operation.name == "set-string";
        std::string where =
            "argument of operation " + std::to_string(i + 1) + " (" + operation.name + "): ";
        operation.value = validated(text ? quoted(operation.argument, where) : operation.argument,
                                    settings, where);
    }
}

}  // namespace atomfile::json
