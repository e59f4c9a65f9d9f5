#include "json/json_edit.hpp"

#include <algorithm>
#include <cerrno>
#include <cstdint>
#include <iostream>
#include <iterator>
#include <memory>
#include <new>
#include <optional>
#include <sstream>
#include <stdexcept>
#include <system_error>

#include "atomfile/error.hpp"
#include "atomfile/json.hpp"
#include "atomfile/read_file.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/version.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "json/json_command_line.hpp"
#include "json/json_diff.hpp"

namespace atomfile::json {

namespace {

constexpr const char* tool = "json-edit";

constexpr const char* help_text = R"(Usage: json-edit [OPTIONS] FILE OP [OP...]
Edits a JSON or JSONC file in place, changing only the bytes of the edited values, and replaces
it atomically. FILE '-' reads standard input and writes standard output. Options may come
anywhere; '--' ends them.

Operations (PATH: JSON Pointer "/a/0" or jq-style ".a[0]", .a[-1], ."a.b"; JSON or TEXT '@FILE'
or '@-' reads it):
  get PATH                print the value at PATH
  keys PATH               print the member names (sorted) or array indices at PATH
  length PATH             print the number of members, elements or characters at PATH
  type PATH               print the type of the value at PATH
  set PATH JSON           set PATH, creating what is missing (.new[0] makes an array)
  set-string PATH TEXT    set PATH to TEXT as a JSON string
  delete PATH             remove PATH
  append PATH JSON        append to the array at PATH, creating it if missing
  merge JSON              apply an RFC 7396 merge patch at the root
  patch JSON              apply an RFC 6902 patch, all or nothing
  test PATH JSON          fail unless the value at PATH equals JSON

Options:
  -n, --dry-run           print the new document, write nothing
      --diff              print a unified diff of the change
  -r, --raw               get prints strings without quotes
      --default JSON      what get prints when PATH is missing
      --if-exists         get and delete of a missing PATH do nothing
      --strict            RFC 8259 only: no comments, no trailing commas
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
      --in-place-fallback when FILE cannot be renamed over (a bind mount, a directory you may
                          not write), overwrite it in place, crash-safe through an undo record
      --undo-dir DIR      keep --in-place-fallback's undo record (and, for an unwritable
                          directory, the new content) in DIR (default: FILE's directory)
      --max-depth N       refuse nesting deeper than N (default 1000)
      --max-size N[KMG]   refuse files larger than N bytes
  -h, --help, --version
Exit status: 0 done, 1 an operation failed, 2 bad usage, 3 invalid JSON, 4 I/O error
(FILE untouched), 5 FILE replaced but the directory sync after it failed.
)";

struct Source {
    std::string label;     // FILE as given, for messages
    bool missing = false;  // FILE did not exist (and --create was given)
};

// A usage problem found once FILE is read (exit status 2).
class LateUsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

void write_pieces(std::ostream& out, const std::array<std::string_view, 3>& pieces) {
    for (auto piece : pieces) out.write(piece.data(), static_cast<std::streamsize>(piece.size()));
}

void warn_duplicates(const Document& document, const Source& source, std::ostream& err) {
    for (const DuplicateKey& duplicate : document.duplicates())
        err << tool << ": " << source.label << ": warning: duplicate key \"" << duplicate.key
            << "\" at line " << duplicate.line << ", column " << duplicate.column << '\n';
}

// --indent tab in a file indented with spaces (or spaces in a tab-indented file) would mix both
// in one file: refused rather than applied half way.
void check_indent(const Settings& settings, const Document& document, const Source& source) {
    if (!settings.indent || settings.indent->empty() || !document.indented()) return;
    bool tab = *settings.indent == "\t", file_tab = document.indent() == "\t";
    if (tab == file_tab) return;
    throw LateUsageError(std::string("--indent ") + (tab ? "tab" : "N") + ": " + source.label +
                         " is indented with " + (file_tab ? "tabs" : "spaces") +
                         "; inserted values would mix tabs and spaces (leave --indent out to "
                         "follow the file)");
}

// A FILE's text: a regular file mapped, never copied (a big file costs no fresh memory), or
// anything else read; shared with the Document parsed from it.
using Content = std::shared_ptr<const FileContent>;

Content content_of(std::string text) {
    return std::make_shared<const FileContent>(std::move(text));
}

// Parses the document; reports invalid JSON (exit 3) and warns of duplicate keys.
std::optional<Document> load(const Settings& settings, const Content& text, const Source& source,
                             std::ostream& err) {
    try {
        Document document = Document::parse_external(
            text->view(), text,
            {settings.strict ? Dialect::strict : Dialect::jsonc, settings.max_depth});
        check_indent(settings, document, source);
        if (settings.indent)
            document.set_indent(*settings.indent);
        else if (source.missing)
            document.set_indent("  ");
        warn_duplicates(document, source, err);
        return document;
    } catch (const ParseError& e) {
        err << tool << ": " << source.label << ": line " << e.line() << ", column " << e.column()
            << ": " << e.what() << '\n';
        return std::nullopt;
    }
}

// ---- queries -------------------------------------------------------------------------------

// A JSON string literal, for names and words that are printed as JSON.
std::string quote(const std::string& text) {
    return nlohmann::json(text).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string json_array(const std::vector<std::string>& items) {
    std::string text = "[";
    for (const auto& item : items) text += (text.size() > 1 ? "," : "") + item;
    return text + "]";
}

// jq's keys: an object's names sorted by code point, an array's indices.
std::string keys_of(const Document& document, const std::string& path) {
    std::vector<std::string> items;
    if (document.type(path) == Type::array) {
        for (std::size_t i = 0, n = document.size(path); i < n; ++i)
            items.push_back(std::to_string(i));
        return json_array(items);
    }
    std::vector<std::string> names = document.keys(path);
    std::sort(names.begin(), names.end());
    for (const auto& name : names) items.push_back(quote(name));
    return json_array(items);
}

std::size_t code_points(std::string_view utf8) {
    return static_cast<std::size_t>(std::count_if(utf8.begin(), utf8.end(), [](char c) {
        return (static_cast<unsigned char>(c) & 0xC0) != 0x80;
    }));
}

// jq's length: members, elements, characters; a number's absolute value; null 0.
std::string length_of(const Document& document, const std::string& path) {
    switch (document.type(path)) {
        case Type::object:
        case Type::array:
            return std::to_string(document.size(path));
        case Type::null:
            return "0";
        case Type::boolean:
            throw OperationError("boolean (" + *document.get_text(path) + ") has no length");
        case Type::number: {
            std::string number = document.get_text(path).value_or("");
            return number.rfind('-', 0) == 0 ? number.substr(1) : number;
        }
        case Type::string:
            break;
    }
    return std::to_string(code_points(document.get(path)->get<std::string>()));
}

// Fails an operation on a missing PATH, saying why the path names nothing (type() throws that).
[[noreturn]] void fail_missing(const Document& document, const std::string& path) {
    document.type(path);
    throw OperationError(path + ": no such value");
}

// get: the value in the document's style, or with -r a string's text.
void print_get(const Settings& settings, const Document& document, const std::string& path,
               std::ostream& out) {
    if (settings.raw && document.type(path) == Type::string) {
        try {
            out << document.get(path)->get<std::string>() << '\n';
            return;
        } catch (const OperationError&) {
            // Escapes nlohmann does not decode (a lone surrogate): printed as JSON below.
        }
    }
    std::optional<std::string> value = document.print(path);
    if (!value) fail_missing(document, path);
    out << *value << '\n';
}

// A JSON value made by the command (keys, type, --default), printed as get prints values.
void print_value(const Settings& settings, const Document& document, const std::string& value,
                 std::ostream& out) {
    if (settings.raw && value.front() == '"') {
        try {
            out << nlohmann::json::parse(value).get<std::string>() << '\n';
            return;
        } catch (const nlohmann::json::exception&) {
        }
    }
    out << document.format(value) << '\n';
}

// Whether an operation on a missing PATH is skipped (--if-exists) or answered (--default).
bool answered_missing(const Settings& settings, const Document& document,
                      const Operation& operation, std::ostream& out) {
    bool reads = operation.name == "get";
    if (!(reads || operation.name == "delete") || document.contains(operation.path_text))
        return false;
    if (reads && settings.default_value) {
        print_value(settings, document, *settings.default_value, out);
        return true;
    }
    return settings.if_exists;
}

void remove(Document& document, const std::string& path) {
    if (!document.remove(path)) fail_missing(document, path);
}

void apply_operation(const Settings& settings, Document& document, const Operation& operation,
                     std::ostream& out) {
    const std::string& name = operation.name;
    const std::string& path = operation.path_text;
    if (answered_missing(settings, document, operation, out)) return;
    if (name == "get")
        print_get(settings, document, path, out);
    else if (name == "keys")
        print_value(settings, document, keys_of(document, path), out);
    else if (name == "length")
        out << length_of(document, path) << '\n';
    else if (name == "type")
        print_value(settings, document, quote(type_name(document.type(path))), out);
    else if (name == "set" || name == "set-string")
        document.set_text(path, operation.value);
    else if (name == "delete")
        remove(document, path);
    else if (name == "append")
        document.append_text(path, operation.value);
    else if (name == "merge")
        document.merge_text(operation.value);
    else if (name == "patch")
        document.apply_patch_text(operation.value);
    else if (!document.test_text(path, operation.value))
        throw OperationError("the value differs");
}

// Applies every operation in order; stops at the first failure and returns its exit code.
int apply_operations(const Settings& settings, Document& document, const Source& source,
                     std::ostream& out, std::ostream& err) {
    for (const Operation& operation : settings.operations) {
        try {
            apply_operation(settings, document, operation, out);
        } catch (const OperationError& e) {
            err << tool << ": " << source.label << ": " << operation.name
                << (operation.path_text.empty() ? "" : " " + operation.path_text) << ": "
                << e.what() << '\n';
            return exit_code::operation_failed;
        }
    }
    return exit_code::success;
}

bool modifies(const Settings& settings) {
    return std::any_of(settings.operations.begin(), settings.operations.end(),
                       [](const Operation& operation) { return operation.modifies(); });
}

ReplaceOptions replace_options(const Settings& settings) {
    ReplaceOptions options;
    options.lock = settings.lock;
    options.durability = settings.durability;
    options.backup_suffix = settings.backup_suffix;
    options.missing_ok = true;  // a missing FILE is reported below, as "open", unless --create
    if (settings.lock_timeout) options.lock_timeout = *settings.lock_timeout;
    options.hard_links = settings.hard_links;
    options.owner_policy = settings.owner_policy;
    options.on_owner_not_kept = settings.on_owner_not_kept;
    options.in_place_fallback = settings.in_place_fallback;
    options.undo_directory = settings.undo_directory;
    options.on_in_place_fallback = settings.on_in_place_fallback;
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
    std::string text;
    try {
        text = read_standard_input(in);
    } catch (const Error& e) {
        cli::report_error(err, tool, e);
        return exit_code::io_error;
    }
    if (settings.max_size && text.size() > *settings.max_size) {
        cli::report_error(err, tool, "-", "read", "File too large");
        return exit_code::io_error;
    }
    std::string original = settings.diff ? text : std::string();
    std::optional<Document> document = load(settings, content_of(std::move(text)), source, err);
    if (!document) return exit_code::invalid_json;
    int code = apply_operations(settings, *document, source, out, err);
    if (code == exit_code::success && modifies(settings))
        show(settings, *document, original, source, out);
    return code;
}

std::uint64_t size_limit(const Settings& settings) {
    return settings.max_size.value_or(no_size_limit);
}

// Reads a FILE that will not be written: any kind of file, a pipe or /dev/stdin included.
Content read_only(const Settings& settings, Source& source) {
    try {
        return std::make_shared<const FileContent>(map_file(settings.file, size_limit(settings)));
    } catch (const Error& e) {
        if (!settings.create || e.step() != "open" ||
            e.code() != std::errc::no_such_file_or_directory)
            throw;
    }
    source.missing = true;
    return content_of("{}\n");
}

// An edit of something that is not a regular file (a pipe, a FIFO, a device), which cannot be
// replaced; the message says how to edit what it holds.
class NotInPlace : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// A pipe reached through /dev/fd/N or /proc/self/fd/N resolves to the kernel's "pipe:[N]" name,
// which no file has; a FIFO or a device is refused by the engine as not a regular file.
bool not_replaceable(const Error& e) {
    if (e.step_id() == Step::not_regular) return e.code() != std::errc::is_a_directory;
    for (const std::string& path : {e.path(), e.second_path()})
        for (const char* kind : {"pipe:[", "socket:[", "anon_inode:"})
            if (path.find(kind) != std::string::npos) return true;
    return false;
}

// Mapped when the old content is replaced only by rename, never rewritten in place. The in-place
// fallback overwrites and truncates the very pages a mapping shows, so then it is read into
// memory: the edit's pieces, which point into it, stay valid whatever the commit does.
FileContent read_original(const Settings& settings, const AtomicFile& file) {
    if (!settings.in_place_fallback)
        return map_descriptor(file.original_descriptor(), settings.file, size_limit(settings));
    return FileContent(
        read_descriptor(file.original_descriptor(), settings.file, size_limit(settings)));
}

// Reads FILE through the AtomicFile, under its lock, when it will be written.
Content read_source(const Settings& settings, std::optional<AtomicFile>& file, Source& source) {
    // /dev/stdin with standard input closed leads to the tool's placeholder, /dev/null: its
    // nothing is no document to read, and no file to replace.
    if (cli::system::names_closed_standard_descriptor(settings.file.c_str()) == 1)
        throw Error(std::make_error_code(std::errc::bad_file_descriptor),
                    cli::system::reading_step("open"), settings.file);
    if (!modifies(settings) || settings.dry_run) return read_only(settings, source);
    try {
        file.emplace(settings.file, replace_options(settings));
    } catch (const Error& e) {
        if (not_replaceable(e))
            throw NotInPlace(
                "cannot edit in place: not a regular file; to edit what it holds, "
                "read it as standard input with FILE '-' (json-edit - OPS < " +
                settings.file + " > NEW)");
        if (e.code() == std::errc::is_a_directory) throw Error(e.code(), "open", settings.file);
        throw;
    }
    if (file->original_descriptor() < 0) {
        if (!settings.create)
            throw Error(std::make_error_code(std::errc::no_such_file_or_directory), "open",
                        settings.file);
        source.missing = true;
        return content_of("{}\n");
    }
    auto text = std::make_shared<const FileContent>(read_original(settings, *file));
    if (settings.create && text->view().empty()) {
        source.missing = true;
        return content_of("{}\n");
    }
    return text;
}

// A mapped FILE that another program truncates in place (atomfile's writers never do: they
// replace the file) makes reading the pages cut off raise SIGBUS; json-edit then reports an I/O
// error instead of dying of the signal. Nothing has been replaced at that point.
const char truncated_message[] =
    "json-edit: the file was truncated while being read, by a program writing it in place\n";

// A big file's edit is written out while a second thread validates the text, when nothing can
// be said before validation ends: only edits, of a mapped file, with no -n or --diff.
constexpr std::size_t concurrent_from = 1 << 20;

bool edits_concurrently(const Settings& settings, const std::optional<AtomicFile>& file,
                        const FileContent& text) {
    return file && text.mapped() && text.view().size() >= concurrent_from && !settings.diff &&
           !settings.dry_run &&
           std::all_of(settings.operations.begin(), settings.operations.end(),
                       [](const Operation& operation) { return operation.modifies(); });
}

// Writes the document into the temp. The pieces it keeps of a mapped FILE are copied from FILE's
// descriptor by the kernel (AtomicFile::copy_from): no user-space copy and no page fault, so
// a big file's unchanged bytes cost what cp pays, while the validating thread reads the mapping.
void write_document(AtomicFile& file, const Document& document, const FileContent& text) {
    const int descriptor = text.mapped() ? file.original_descriptor() : -1;
    const auto begin = reinterpret_cast<std::uintptr_t>(text.view().data());
    const std::size_t size = text.view().size();
    for (std::string_view piece : document.pieces()) {
        const auto at = reinterpret_cast<std::uintptr_t>(piece.data());
        if (descriptor >= 0 && !piece.empty() && at >= begin && at - begin <= size &&
            piece.size() <= size - (at - begin))
            file.copy_from(descriptor, at - begin, piece.size());
        else
            file.write(piece);
    }
}

// A commit that failed: its message, and whether FILE was replaced all the same (the rename was
// done, the directory sync after it failed: exit status 5) or is untouched (4).
int commit_failed(const Error& e, std::ostream& err) {
    cli::report_error(err, tool, e);
    return is_replaced(e) ? exit_code::replaced_not_durable : exit_code::io_error;
}

// The edit, written into the temp while the text is validated; committed only once the text is
// known valid. nullopt when anything is to be said (invalid JSON, a duplicate key's warning, an
// operation's failure or output): nothing is committed then, and the caller starts again the
// plain way, which says it exactly as without this.
std::optional<int> edit_while_validating(const Settings& settings, AtomicFile& file,
                                         const Content& text, const Source& source,
                                         std::ostream& err) {
    std::optional<Document> document;
    std::optional<Error> write_error;  // reported once the text is known valid, as it would be
    bool written = false;
    try {
        document = Document::parse_external_concurrently(
            text->view(), text,
            {settings.strict ? Dialect::strict : Dialect::jsonc, settings.max_depth});
        check_indent(settings, *document, source);
        if (settings.indent) document->set_indent(*settings.indent);
        std::ostringstream said;
        if (apply_operations(settings, *document, source, said, said) == exit_code::success &&
            said.tellp() == 0) {
            try {
                if (document->changed()) write_document(file, *document, *text);
            } catch (const Error& e) {
                write_error = e;
            }
            written = true;
        }
    } catch (const std::exception&) {
        // Said again, in order, by the plain way.
    }
    if (!document || !document->validated() || !written) return std::nullopt;
    if (!document->changed()) return exit_code::success;
    try {
        if (write_error) throw *write_error;
        file.commit();
    } catch (const Error& e) {
        return commit_failed(e, err);
    }
    return exit_code::success;
}

// --diff shows what the edit changes before it is made: a diff that cannot be written (a full
// disk, a closed descriptor) leaves FILE untouched, as exit status 4 promises.
bool diff_written(std::ostream& out, std::ostream& err) {
    // A write that failed while the diff was written, just before: errno still says why.
    const int failed_write = out ? 0 : errno;
    const int error = failed_write != 0 ? failed_write : cli::flush_standard_output(out);
    if (error == 0) return true;
    cli::report_standard_output_error(err, tool, error, "; nothing was changed");
    cli::standard_output_failure_reported();
    return false;
}

int edit_file(const Settings& settings, std::ostream& out, std::ostream& err,
              bool concurrently = true) {
    Source source{settings.file};
    std::optional<AtomicFile> file;
    Content text;
    try {
        text = read_source(settings, file, source);
    } catch (const Error& e) {
        cli::report_error(err, tool, e);
        return exit_code::io_error;
    } catch (const NotInPlace& e) {
        err << tool << ": " << settings.file << ": " << e.what() << '\n';
        return exit_code::io_error;
    }
    if (text->mapped()) cli::system::exit_on_bus_error(truncated_message, exit_code::io_error);
    if (concurrently && edits_concurrently(settings, file, *text)) {
        if (auto code = edit_while_validating(settings, *file, text, source, err)) return *code;
        file.reset();  // the temp discarded and the lock released: the plain way takes them anew
        text.reset();
        return edit_file(settings, out, err, false);
    }
    std::string original = settings.diff ? std::string(text->view()) : std::string();
    std::optional<Document> document = load(settings, text, source, err);
    if (!document) return exit_code::invalid_json;
    int code = apply_operations(settings, *document, source, out, err);
    if (code != exit_code::success) return code;
    if (modifies(settings)) show(settings, *document, original, source, out);
    if (!file || !(document->changed() || source.missing)) return exit_code::success;
    if (settings.diff && !diff_written(out, err)) return exit_code::io_error;
    try {
        write_document(*file, *document, *text);
        file->commit();
    } catch (const Error& e) {
        return commit_failed(e, err);
    }
    return exit_code::success;
}

int run(const std::vector<std::string>& args, std::istream& in, std::ostream& out,
        std::ostream& err) {
    Settings settings;
    // The warning that the owner was not kept comes during the commit, before the rename: held
    // back until FILE has really been replaced, so a refusal later in the commit is not
    // preceded by it.
    std::ostringstream owner_warnings;
    try {
        settings = parse_command_line(args);
        settings.on_owner_not_kept = cli::owner_warning(owner_warnings, tool);
        settings.on_in_place_fallback = cli::in_place_notice(err, tool);
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
    try {
        if (settings.file == "-") return edit_stream(settings, in, out, err);
        int code = edit_file(settings, out, err);
        if (code == exit_code::success || code == exit_code::replaced_not_durable)
            err << owner_warnings.str();
        return code;
    } catch (const LateUsageError& e) {
        err << tool << ": " << e.what() << '\n';
        return exit_code::usage;
    } catch (const std::bad_alloc&) {
        // A document too big for the memory left (ulimit -v): FILE is untouched, its temp
        // discarded on the way here; the message names it as exit status 4 promises.
        cli::report_error(err, tool, settings.file, "load and edit",
                          std::generic_category().message(ENOMEM));
        return exit_code::io_error;
    }
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
