// json-edit's command line: options, then FILE, then operations with their arguments.
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

#include "atomfile/replace.hpp"
#include "json/json_path.hpp"

namespace atomfile::json {

class UsageError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

struct Operation {
    std::string name;       // get, set, set-string, delete, append, merge, patch, test
    std::string path_text;  // as given (empty for merge and patch)
    Path path;
    std::string argument;  // the JSON (or, for set-string, the TEXT) as given, @FILE read
    std::string value;     // the argument as one JSON value, trimmed, once validated
    bool modifies() const { return name != "get" && name != "test"; }
};

struct Settings {
    bool help = false, version = false;
    bool dry_run = false, diff = false, create = false, lock = true;
    std::optional<std::string> indent;  // the unit, from --indent
    std::string backup_suffix;          // empty: no backup
    Durability durability = Durability::full;
    std::optional<std::chrono::milliseconds> lock_timeout;  // --lock-timeout; else the library's
    HardLinkPolicy hard_links = HardLinkPolicy::break_link;
    OwnerPolicy owner_policy = OwnerPolicy::keep_if_permitted;
    std::function<void(const OwnerNotKept&)> on_owner_not_kept;  // set by json-edit, not parsed
    std::size_t max_depth = 1000;
    std::optional<std::uint64_t> max_size;
    std::string file;
    std::vector<Operation> operations;
};

// Parses args (without the program name). Throws UsageError, for a bad path too.
Settings parse_command_line(const std::vector<std::string>& args);

// Replaces "@FILE" and "@-" JSON arguments by their content (at most one "@-", and none when
// FILE is "-"). Throws UsageError, or atomfile::Error when a file cannot be read.
void load_arguments(Settings& settings, std::istream& in);

// A JSON argument that is not valid JSON.
class ArgumentError : public std::runtime_error {
  public:
    using std::runtime_error::runtime_error;
};

// Validates each JSON argument (max_depth applies; duplicate keys are refused) and stores its
// trimmed text in Operation::value; set-string TEXT becomes a JSON string. Throws ArgumentError.
void prepare_values(Settings& settings);

}  // namespace atomfile::json
