// json-edit's command line: FILE, then operations with their arguments, and options anywhere.
//
// An argument starting with '-' is an option when its name is one (so `set /x -1` sets a
// negative number and `json-edit f set /a 1 -n` is a dry run); before FILE, every such argument
// must be one. `--` ends the options: everything after it is FILE, operations and arguments,
// for a value that is itself an option's name (`-- set-string /a -n`).
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iosfwd>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/json.hpp"
#include "atomfile/replace.hpp"

namespace atomfile::json {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Operation {
    // get, keys, length, type, set, set-string, delete, append, merge, patch, test
    std::string name;
    std::string path_text;  // as given, checked (empty for merge and patch)
    std::string argument;   // the JSON (or, for set-string, the TEXT) as given, @FILE read
    std::string value;      // the argument as one JSON value, trimmed, once validated
    bool modifies() const;
    bool reads_only() const { return !modifies() && name != "test"; }
};

struct Settings {
    bool help = false, version = false;
    bool dry_run = false, diff = false, create = false, lock = true;
    bool strict = false;     // --strict: RFC 8259 only, for FILE and the arguments
    bool raw = false;        // -r: get prints strings without quotes
    bool if_exists = false;  // --if-exists: get and delete of a missing PATH do nothing
    std::optional<std::string> default_value;  // --default: what get prints for a missing PATH
    std::optional<std::string> indent;         // the unit, from --indent
    std::string backup_suffix;                 // empty: no backup
    Durability durability = Durability::full;
    std::optional<std::chrono::milliseconds> lock_timeout;  // --lock-timeout; else the library's
    HardLinkPolicy hard_links = HardLinkPolicy::break_link;
    OwnerPolicy owner_policy = OwnerPolicy::keep_if_permitted;
    std::function<void(const OwnerNotKept&)> on_owner_not_kept;  // set by json-edit, not parsed
    bool in_place_fallback = false;  // --in-place-fallback (ReplaceOptions::in_place_fallback)
    std::string undo_directory;      // --undo-dir, only with --in-place-fallback
    // The notice that FILE is overwritten in place; set by json-edit, not parsed.
    std::function<void(const Error&, const std::string&)> on_in_place_fallback;
    std::size_t max_depth = 1000;
    std::optional<std::uint64_t> max_size;
    std::string file;
    std::vector<Operation> operations;
};

// Parses args (without the program name). Throws UsageError, for a bad path too.
Settings parse_command_line(const std::vector<std::string>& args);

// Replaces "@FILE" and "@-" arguments (JSON, and set-string's TEXT) by their content (at most
// one "@-", and none when FILE is "-"). Throws UsageError, or atomfile::Error (step "read
// argument") when a file cannot be read.
void load_arguments(Settings& settings, std::istream& in);

// Everything in (standard input) to its end. A failed read (a closed descriptor, a directory)
// throws atomfile::Error with path "-" and step "read standard input", saying why.
std::string read_standard_input(std::istream& in);

// A JSON argument that is not valid JSON.
class ArgumentError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Validates each JSON argument and --default as atomfile::json reads a document (max_depth and
// --strict apply; duplicate keys are refused) and stores its trimmed text in Operation::value;
// set-string TEXT becomes a JSON string. Throws ArgumentError; for a bare word, the message
// suggests the JSON string.
void prepare_values(Settings& settings);

}  // namespace atomfile::json
