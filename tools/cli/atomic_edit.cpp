#include "cli/atomic_edit.hpp"

#include <cerrno>

#include "atomfile/directories.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/replace.hpp"
#include "cli/child_process.hpp"
#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

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

// The grammar: [OPTIONS] FILE [--] COMMAND [ARG...], or, for a FILE that starts with '-',
// [OPTIONS] -- FILE -- COMMAND [ARG...]: a "--" before any operand ends the options, the next
// word is FILE whatever it looks like, and a second "--" must separate it from COMMAND.
void take_file_and_command(const SplitArguments& split, std::vector<std::string> words,
                           Request& request) {
    if (words.empty() && split.has_separator) {
        if (split.after.empty()) throw UsageError("missing FILE operand after --");
        request.file = split.after.front();
        if (split.after.size() < 2 || split.after[1] != "--")
            throw UsageError("a second -- must follow FILE '" + request.file +
                             "' given after -- (atomic-edit -- FILE -- COMMAND)");
        request.command.assign(split.after.begin() + 2, split.after.end());
    } else {
        if (words.empty()) throw UsageError("missing FILE operand");
        if (split.has_separator && words.size() > 1)
            throw UsageError("unexpected operand '" + words[1] + "' before --");
        request.file = words.front();
        request.command.assign(words.begin() + 1, words.end());
        request.command.insert(request.command.end(), split.after.begin(), split.after.end());
    }
    if (request.file.empty()) throw UsageError("'': empty file name");
    if (request.command.empty()) throw UsageError("missing COMMAND");
}

Request parse_request(const std::vector<std::string>& args) {
    const SplitArguments split = split_at_separator(args);
    const auto values = parse_options(split);
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    // Option values first: a bad one names itself rather than hide behind an operand count.
    request.settings = update_settings(values);
    request.settings.replace.lock = true;  // what makes concurrent edits safe
    take_file_and_command(split, operands(values), request);
    return request;
}

// FILE's old content as COMMAND's standard input: the descriptor the engine opened (never the
// path, which may lead elsewhere now), rewound, or /dev/null when there is none.
FileDescriptor open_input(const AtomicFile& file) {
    FileDescriptor input = file.duplicate_original();
    if (input) return input;
    input = FileDescriptor(system::open_null_device());
    if (!input) throw_errno("open for reading", "/dev/null");
    return input;
}

// Runs COMMAND with its standard output on a pipe that is copied into the temp while it runs,
// in constant memory. The temp itself is never handed to COMMAND: a command that reopens
// /dev/stdout (truncating it, writing at its own offset) then behaves as under
// `COMMAND | sponge FILE`. The copy lasts until end of input, that is until COMMAND and every
// process it left holding its standard output have closed it (as sponge); then COMMAND's exit
// is awaited. A caught signal ends the copy at once: the read end is closed (a writer left gets
// SIGPIPE rather than blocking), the signal forwarded and COMMAND awaited.
ChildOutcome run_into_temp(system::SpawnRequest spawn, AtomicFile& file, SignalCatcher& signals,
                           std::ostream& err) {
    const std::string program = spawn.argv.front();
    int read_end = -1, write_end = -1;
    if (system::make_pipe(read_end, write_end) != 0)
        throw_errno("create pipe for command output", program);
    FileDescriptor output(read_end);
    spawn.stdout_fd = write_end;
    ChildOutcome outcome;
    const int pid = start_child(spawn, outcome, tool, err);
    // Only COMMAND (and what it starts) may hold the write end, or end of input never comes: a
    // failed close is not ignored (the descriptor may still be open).
    const int close_error = system::close_fd(write_end) == 0 ? 0 : errno;
    if (pid < 0) return outcome;
    try {
        if (close_error != 0)
            throw_error(close_error, "close pipe for command output", file.target_path());
        copy_into(file, output.get(), signals, "copy command output into temp file");
    } catch (...) {
        output.reset();
        wait_for_child(pid, program, signals, outcome);
        throw;
    }
    output.reset();
    wait_for_child(pid, program, signals, outcome);
    return outcome;
}

int edit(const Request& request, SignalCatcher& signals, std::ostream& err) {
    const UpdateSettings& settings = request.settings;
    if (settings.parents) create_parent_directories(request.file);
    std::optional<AtomicFile> opened = open_target(request.file, settings.replace, signals);
    if (!opened) return exit_status::signal_base + signals.caught();
    AtomicFile& file = *opened;
    if (settings.append) file.write_original([&signals] { return signals.caught() != 0; });
    const std::uint64_t size_before = file.size();
    FileDescriptor input = open_input(file);
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();

    system::SpawnRequest spawn;
    spawn.argv = substitute_braces(request.command, request.file);
    spawn.stdin_fd = input.get();
    ChildOutcome outcome = run_into_temp(spawn, file, signals, err);
    if (!outcome.started) return outcome.exit_status;
    if (outcome.first_signal != 0) return exit_status::signal_base + outcome.first_signal;
    if (outcome.exit_status != 0) return outcome.exit_status;
    if (settings.keep_if_empty && file.size() == size_before) return exit_status::success;
    file.commit();
    return exit_status::success;
}

constexpr ToolInfo info = {
    tool,
    "atomic-edit [OPTIONS] FILE [--] COMMAND [ARG...]\n"
    "  or:  atomic-edit [OPTIONS] -- FILE -- COMMAND [ARG...]",
    "Run COMMAND with FILE's content on standard input; if it exits 0, replace\n"
    "FILE atomically with its standard output. \"{}\" in ARGs stands for FILE.\n"
    "The -- before COMMAND is needed when an ARG starts with '-'; the second form\n"
    "names a FILE that starts with '-'.",
    option_descriptions,
    exit_status::tool_failure,
    exit_status::tool_failure,
    exit_status::tool_failure,
    "  0      COMMAND exited 0; FILE was replaced (or left alone by --keep-if-empty or\n"
    "         --skip-unchanged)\n"
    "  1-124  COMMAND's own failing status; FILE is untouched\n"
    "  125    atomic-edit itself failed or was misused\n"
    "  126    COMMAND was found but could not be run\n"
    "  127    COMMAND was not found\n"
    "  128+N  COMMAND ended by signal N, or atomic-edit got it; FILE is untouched\n",
};

}  // namespace

int run_atomic_edit(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return edit(request, signals, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
