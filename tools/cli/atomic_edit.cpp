#include "cli/atomic_edit.hpp"

#include <cerrno>

#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "cli/child_process.hpp"
#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/stream_copy.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"
#include "platform/posix.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-edit";

struct Request {
    std::string file;
    std::vector<std::string> command;
    UpdateSettings settings;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    add_update_options(options, false);
    add_help_and_version(options);
    return options;
}

po::variables_map parse_options(const SplitArguments& split) {
    try {
        return parse_arguments(split.before, option_descriptions());
    } catch (const UsageError& e) {
        if (split.has_separator) throw;
        throw UsageError(std::string(e.what()) + " (put -- before COMMAND)");
    }
}

Request parse_request(const std::vector<std::string>& args) {
    const SplitArguments split = split_at_separator(args);
    const auto values = parse_options(split);
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    auto words = operands(values);
    if (words.empty()) throw UsageError("missing FILE operand");
    if (split.has_separator && words.size() > 1)
        throw UsageError("unexpected operand '" + words[1] + "' before --");
    request.file = words.front();
    request.command.assign(words.begin() + 1, words.end());
    request.command.insert(request.command.end(), split.after.begin(), split.after.end());
    if (request.command.empty()) throw UsageError("missing COMMAND");
    request.settings = update_settings(values);
    request.settings.replace.lock = true;  // what makes concurrent edits safe
    return request;
}

// FILE's content as COMMAND's standard input: FILE itself, or /dev/null when it is missing.
FileDescriptor open_input(const std::string& path) {
    FileDescriptor input(platform::open_read(platform::current_directory, path.c_str()));
    if (input) return input;
    if (errno != ENOENT) throw_errno("open for reading", path);
    input.reset(platform::open_read(platform::current_directory, "/dev/null"));
    if (!input) throw_errno("open for reading", "/dev/null");
    return input;
}

std::int64_t temp_size(const AtomicFile& file) {
    platform::FileStatus status;
    if (platform::stat_fd(file.temp_descriptor(), status) != 0)
        throw_errno("inspect temp file", file.target_path());
    return status.size;
}

int edit(const Request& request, SignalCatcher& signals, std::ostream& err) {
    const UpdateSettings& settings = request.settings;
    if (settings.parents) create_parent_directories(request.file);
    std::optional<AtomicFile> opened = open_target(request.file, settings.replace, signals);
    if (!opened) return exit_status::signal_base + signals.caught();
    AtomicFile& file = *opened;
    if (settings.append) copy_original_content(file, signals);
    const std::int64_t size_before = temp_size(file);
    FileDescriptor input = open_input(file.target_path());
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();

    platform::SpawnRequest spawn;
    spawn.argv = substitute_braces(request.command, request.file);
    spawn.stdin_fd = input.get();
    spawn.stdout_fd = file.temp_descriptor();
    ChildOutcome outcome = run_child(spawn, signals, tool, err);
    if (!outcome.started) return exit_status::cannot_run;
    if (outcome.first_signal != 0) return exit_status::signal_base + outcome.first_signal;
    if (outcome.exit_status != 0) return outcome.exit_status;
    if (settings.keep_if_empty && temp_size(file) == size_before) return exit_status::success;
    file.commit();
    return exit_status::success;
}

constexpr ToolInfo info = {
    tool,
    "atomic-edit [OPTIONS] FILE -- COMMAND [ARG...]",
    "Run COMMAND with FILE's content on standard input; if it exits 0, replace\n"
    "FILE atomically with its standard output. \"{}\" in ARGs stands for FILE.",
    option_descriptions,
    exit_status::tool_failure,
    exit_status::tool_failure,
    exit_status::tool_failure,
};

}  // namespace

int run_atomic_edit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return edit(request, signals, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
