#include "json/json_edit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <optional>

#include "atomfile/replace.hpp"
#include "atomfile/version.hpp"
#include "cli/tool_error.hpp"
#include "error_support.hpp"
#include "json/json_command_line.hpp"
#include "json/json_diff.hpp"
#include "json/json_document.hpp"
#include "json/json_patch.hpp"

namespace atomfile::json {

namespace {

namespace fs = std::filesystem;

constexpr const char* tool = "json-edit";

constexpr const char* help_text = R"(Usage: json-edit [OPTIONS] FILE OP [OP...]
Edits a JSON file in place, changing only the bytes of the edited values, and replaces it
atomically. FILE '-' reads standard input and writes standard output.

Operations (PATH: JSON Pointer "/a/0" or dotted ".a[0]"; JSON '@FILE' or '@-' reads it):
  get PATH                print the value at PATH
  set PATH JSON           set PATH, creating missing parent objects
  set-string PATH TEXT    set PATH to TEXT as a JSON string
  delete PATH             remove PATH
  append PATH JSON        append to the array at PATH
  merge JSON              apply an RFC 7396 merge patch at the root
  patch JSON              apply an RFC 6902 patch, all or nothing
  test PATH JSON          fail unless the value at PATH equals JSON

Options:
  -n, --dry-run           print the new document, write nothing
      --diff              print a unified diff of the change
      --indent N|tab      indentation of inserted values (default: detected)
      --create            a missing FILE starts as {}
  -b, --backup[=SUFFIX]   keep the old file as FILE~ (or FILE SUFFIX)
  -d, --durability full|data|none
      --no-lock           do not take the update lock
      --lock-timeout S    wait at most S seconds (or inf) for the lock (default 30)
      --refuse-hard-links
                          fail if FILE has other hard links (default: they keep the old content)
      --keep-owner WHEN   if-permitted (default: warn when FILE's owner cannot be kept),
                          strict (refuse) or never
      --max-depth N       refuse nesting deeper than N (default 1000)
      --max-size N[KMG]   refuse files larger than N bytes
  -h, --help, --version
Exit status: 0 done, 1 an operation failed, 2 bad usage, 3 invalid JSON, 4 I/O error.
)";

struct Source {
    std::string label;     // FILE as given, for messages
    bool missing = false;  // FILE did not exist (and --create was given)
};

void write_pieces(std::ostream& out, const std::array<std::string_view, 3>& pieces) {
    for (auto piece : pieces) out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
}

void warn_duplicates(const Document& document, const std::string& text, const Source& source,
                     std::ostream& err) {
    for (const DuplicateKey& duplicate : document.duplicates()) {
        std::size_t line = 0, column = 0;
        line_and_column(text, duplicate.offset, line, column);
        err << tool << ": " << source.label << ": warning: duplicate key \"" << duplicate.key
            << "\" at line " << line << ", column " << column << '\n';
    }
}

// Parses the document; reports invalid JSON (exit 3) and warns of duplicate keys.
std::optional<Document> load(const Settings& settings, std::string text, const Source& source,
                             std::ostream& err) {
    try {
        Document document(std::move(text), settings.max_depth);
        if (settings.indent)
            document.set_indent(*settings.indent);
        else if (source.missing)
            document.set_indent("  ");
        if (!document.duplicates().empty()) warn_duplicates(document, document.text(), source, err);
        return document;
    } catch (const SyntaxError& e) {
        err << tool << ": " << source.label << ": line " << e.line() << ", column " << e.column()
            << ": " << e.what() << '\n';
        return std::nullopt;
    }
}

void apply_operation(Document& document, const Operation& operation, std::ostream& out) {
    const std::string& name = operation.name;
    if (name == "get")
        out << document.print(operation.path) << '\n';
    else if (name == "set" || name == "set-string")
        document.set(operation.path, operation.value);
    else if (name == "delete")
        document.remove(operation.path);
    else if (name == "append")
        document.append(operation.path, operation.value);
    else if (name == "merge")
        apply_merge_patch(document, {}, operation.value);
    else if (name == "patch")
        apply_patch(document, operation.value);
    else if (!json_equal(document.get(operation.path), operation.value))
        throw OperationError("the value differs");
}

// Applies every operation in order; stops at the first failure and returns its exit code.
int apply_operations(const Settings& settings, Document& document, const Source& source,
                     std::ostream& out, std::ostream& err) {
    for (const Operation& operation : settings.operations) {
        try {
            apply_operation(document, operation, out);
        } catch (const OperationError& e) {
            err << tool << ": " << source.label << ": " << operation.name
                << (operation.path_text.empty() && operation.path.empty()
                        ? ""
                        : " " + (operation.path_text.empty() ? "\"\"" : operation.path_text))
                << ": " << e.what() << '\n';
            return exit_code::operation_failed;
        }
    }
    return exit_code::success;
}

bool modifies(const Settings& settings) {
    return std::any_of(settings.operations.begin(), settings.operations.end(),
                       [](const Operation& operation) { return operation.modifies(); });
}

// Reads a file that will not be written (no lock needed), in one read of its size.
std::string read_plain(const std::string& path) {
    errno = 0;
    std::ifstream file(path, std::ios::binary | std::ios::ate);
    std::string text(file ? static_cast<std::size_t>(std::max<std::streamoff>(file.tellg(), 0)) : 0,
                     '\0');
    file.seekg(0);
    file.read(text.data(), static_cast<std::streamsize>(text.size()));
    text.resize(static_cast<std::size_t>(file.gcount()));
    if (file) text.append(std::istreambuf_iterator<char>(file), {});
    if (!file.is_open() || file.bad()) throw_error(errno ? errno : EIO, "read", path);
    return text;
}

// Whether FILE is missing (and may be, with --create); throws Error for other problems.
bool check_file(const Settings& settings) {
    std::error_code ec;
    fs::file_status status = fs::status(settings.file, ec);
    if (ec && status.type() != fs::file_type::not_found) throw Error(ec, "inspect", settings.file);
    if (status.type() == fs::file_type::not_found) {
        if (!settings.create) throw_error(ENOENT, "open", settings.file);
        return true;
    }
    if (fs::is_directory(status)) throw_error(EISDIR, "open", settings.file);
    std::uintmax_t size = fs::is_regular_file(status) ? fs::file_size(settings.file, ec) : 0;
    if (ec) throw Error(ec, "check size", settings.file);
    if (settings.max_size && size > *settings.max_size)
        throw_error(EFBIG, "check size", settings.file);
    return false;
}

ReplaceOptions replace_options(const Settings& settings) {
    ReplaceOptions options;
    options.lock = settings.lock;
    options.durability = settings.durability;
    options.backup_suffix = settings.backup_suffix;
    options.missing_ok = settings.create;
    if (settings.lock_timeout) options.lock_timeout = *settings.lock_timeout;
    options.hard_links = settings.hard_links;
    options.owner_policy = settings.owner_policy;
    options.on_owner_not_kept = settings.on_owner_not_kept;
    return options;
}

// Prints what -n and --diff ask for.
void show(const Settings& settings, Document& document, const std::string& original,
          const Source& source, std::ostream& out) {
    if (settings.diff)
        out << unified_diff(original, document.text(), source.label, source.label);
    else if (settings.dry_run || settings.file == "-")
        write_pieces(out, document.pieces());
}

int edit_stream(const Settings& settings, std::istream& in, std::ostream& out, std::ostream& err) {
    Source source{"-"};
    std::string text(std::istreambuf_iterator<char>(in), {});
    if (settings.max_size && text.size() > *settings.max_size) {
        cli::report_error(err, tool, "-", "read", "File too large");
        return exit_code::io_error;
    }
    std::string original = settings.diff ? text : std::string();
    std::optional<Document> document = load(settings, std::move(text), source, err);
    if (!document) return exit_code::invalid_json;
    int code = apply_operations(settings, *document, source, out, err);
    if (code == exit_code::success && modifies(settings))
        show(settings, *document, original, source, out);
    return code;
}

// Reads FILE (through the AtomicFile, under its lock, when it will be written).
std::string read_source(const Settings& settings, std::optional<AtomicFile>& file, Source& source) {
    source.missing = check_file(settings);
    if (modifies(settings) && !settings.dry_run) {
        file.emplace(settings.file, replace_options(settings));
        std::string text = file->read_original();
        if (source.missing && text.empty()) return "{}\n";
        return text;
    }
    return source.missing ? "{}\n" : read_plain(settings.file);
}

int edit_file(const Settings& settings, std::ostream& out, std::ostream& err) {
    Source source{settings.file};
    std::optional<AtomicFile> file;
    std::string text;
    try {
        text = read_source(settings, file, source);
    } catch (const Error& e) {
        cli::report_error(err, tool, e);
        return exit_code::io_error;
    }
    std::string original = settings.diff ? text : std::string();
    std::optional<Document> document = load(settings, std::move(text), source, err);
    if (!document) return exit_code::invalid_json;
    int code = apply_operations(settings, *document, source, out, err);
    if (code != exit_code::success) return code;
    if (modifies(settings)) show(settings, *document, original, source, out);
    if (!file || !(document->changed() || source.missing)) return exit_code::success;
    try {
        for (auto piece : document->pieces()) file->write(piece);
        file->commit();
    } catch (const Error& e) {
        cli::report_error(err, tool, e);
        return exit_code::io_error;
    }
    return exit_code::success;
}

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
        std::ostream& err) {
    Settings settings;
    try {
        settings = parse_command_line(args);
        settings.on_owner_not_kept = cli::owner_warning(err, tool);
        if (settings.help) return out << help_text, exit_code::success;
        if (settings.version) return out << tool << " (atomfile) " << version << '\n', 0;
        load_arguments(settings, in);
    } catch (const UsageError& e) {
        err << tool << ": " << e.what() << "\nTry 'json-edit --help' for more information.\n";
        return exit_code::usage;
    } catch (const Error& e) {
        cli::report_error(err, tool, e);
        return exit_code::io_error;
    }
    try {
        prepare_values(settings);
    } catch (const ArgumentError& e) {
        err << tool << ": " << e.what() << '\n';
        return exit_code::invalid_json;
    }
    if (settings.file == "-") return edit_stream(settings, in, out, err);
    return edit_file(settings, out, err);
}

}  // namespace

int run_json_edit(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
                  std::ostream& err) {
    try {
        return run(args, in, out, err);
    } catch (const std::bad_alloc&) {
        err << tool << ": out of memory\n";
    } catch (const std::exception& e) {
        err << tool << ": " << e.what() << '\n';
    }
    return exit_code::io_error;
}

}  // namespace atomfile::json
