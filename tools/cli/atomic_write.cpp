#include "cli/atomic_write.hpp"

#include "atomfile/directories.hpp"
#include "atomfile/replace.hpp"
#include "cli/open_target.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-write";

struct Request {
    std::string file;
    UpdateSettings settings;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    add_update_options(options, true);
    add_help_and_version(options);
    return options;
}

constexpr ToolInfo info = {
    tool,
    "atomic-write [OPTIONS] FILE",
    "Read standard input to its end, then atomically replace FILE with it.\n"
    "Use -- before a FILE that starts with '-'.",
    option_descriptions,
    exit_status::usage,
    exit_status::failure,
    exit_status::replaced_with_error,
    "  0      FILE was replaced (or left alone by --keep-if-empty or --skip-unchanged)\n"
    "  1      the update failed; FILE is untouched\n"
    "  2      bad usage; nothing was touched\n"
    "  3      FILE was replaced, but the directory sync failed\n"
    "  128+N  signal N arrived before the commit; FILE is untouched\n",
};

Request parse_request(const std::vector<std::string>& args) {
    auto values = parse_arguments(args, option_descriptions());
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    // Option values first: "-dash.txt" is -d with the value "ash.txt", and saying so beats
    // "missing FILE operand".
    request.settings = update_settings(values);
    auto files = operands(values);
    if (files.size() != 1)
        throw UsageError(files.empty() ? "missing FILE operand" : "expected exactly one FILE");
    request.file = files.front();
    if (request.file.empty()) throw UsageError("'': empty file name");
    return request;
}

// A closed descriptor 0 would be taken by the first file the tool opens (the target's
// directory), and "reading" it would fail with a puzzling "Is a directory".
void check_input_open(int in_fd) {
    int open = system::is_open_descriptor(in_fd);
    if (open == 0) throw ToolFailure("standard input is closed");
    if (open < 0) throw_errno("check standard input", "");
}

// Streams the input into the temp and commits it unless a signal arrived or the input was empty
// under --keep-if-empty. Returns the exit status.
int update(const Request& request, int in_fd, const SignalCatcher& signals) {
    const UpdateSettings& settings = request.settings;
    check_input_open(in_fd);
    if (settings.parents) create_parent_directories(request.file);
    std::optional<AtomicFile> opened = open_target(request.file, settings.replace, signals);
    if (!opened) return exit_status::signal_base + signals.caught();
    AtomicFile& file = *opened;
    auto stop = [&signals] { return signals.caught() != 0; };
    if (settings.append) file.write_original(stop);
    const std::uint64_t moved =
        copy_into(file, in_fd, signals, "copy standard input into temp file");
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();
    if (settings.keep_if_empty && moved == 0) return exit_status::success;
    file.commit();
    return exit_status::success;
}

}  // namespace

int run_atomic_write(const std::vector<std::string>& args, int in_fd, std::ostream& out,
                     std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return update(request, in_fd, signals);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
