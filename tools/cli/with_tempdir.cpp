#include "cli/with_tempdir.hpp"

#include "atomfile/error.hpp"
#include "atomfile/temporary_directory.hpp"
#include "cli/child_process.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "with-tempdir";

struct Request {
    std::vector<std::string> command;
    TemporaryDirectoryOptions directory;
    bool change_directory = false;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // One option per line reads best.
    // clang-format off
    options.add_options()
        ("prefix", po::value<std::string>()->default_value("tmp"), "start of the directory's name")
        ("suffix", po::value<std::string>()->default_value(""), "end of the directory's name")
        ("dir", po::value<std::string>()->value_name("DIR"),
         "create it in DIR (default: $TMPDIR, then /tmp...)")
        ("keep,k", po::bool_switch(), "keep the directory and print its path on standard error")
        ("cd,C", po::bool_switch(), "run COMMAND inside the directory");
    // clang-format on
    add_help_and_version(options);
    return options;
}

Request parse_request(const std::vector<std::string>& args) {
    const SplitArguments split = split_at_separator(args);
    po::variables_map values;
    try {
        values = parse_arguments(split.before, option_descriptions());
    } catch (const UsageError& e) {
        if (split.has_separator) throw;
        throw UsageError(std::string(e.what()) + " (put -- before COMMAND)");
    }
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    auto words = operands(values);
    if (split.has_separator && !words.empty())
        throw UsageError("unexpected operand '" + words.front() + "' before --");
    request.command = words;
    request.command.insert(request.command.end(), split.after.begin(), split.after.end());
    if (request.command.empty()) throw UsageError("missing COMMAND");
    request.directory.prefix = values["prefix"].as<std::string>();
    request.directory.suffix = values["suffix"].as<std::string>();
    if (values.count("dir")) request.directory.dir = values["dir"].as<std::string>();
    request.directory.delete_file = !values["keep"].as<bool>();
    request.change_directory = values["cd"].as<bool>();
    return request;
}

// Removes the directory; a failure is reported, and fails the run only when COMMAND succeeded
// (a failing COMMAND's status says more). A file system left mounted inside is skipped by the
// removal (see TemporaryDirectory) and reported the same way, with what to do about it.
int remove_directory(TemporaryDirectory& directory, int status, std::ostream& err) {
    if (!directory.delete_file()) {
        err << tool << ": kept " << directory.path() << '\n';
        return status;
    }
    try {
        directory.cleanup();
        return status;
    } catch (const Error& e) {
        report_error(err, tool, e);
        if (e.code() == std::errc::device_or_resource_busy)
            err << tool << ": kept " << directory.path() << ": unmount " << e.path()
                << ", then remove it\n";
        return status == exit_status::success ? exit_status::tool_failure : status;
    }
}

int run(const Request& request, SignalCatcher& signals, std::ostream& err) {
    TemporaryDirectory directory(request.directory);
    system::SpawnRequest spawn;
    spawn.argv = substitute_braces(request.command, directory.path());
    // TMP and TEMP too: some programs (ported from Windows, some build tools) read those instead.
    for (const char* name : {"TMPDIR=", "TMP=", "TEMP="})
        spawn.set_env.push_back(name + directory.path());
    if (request.change_directory) spawn.working_directory = directory.path();
    int status = exit_status::signal_base + signals.caught();
    if (signals.caught() == 0) status = run_child(spawn, signals, tool, err).exit_status;
    return remove_directory(directory, status, err);
}

constexpr ToolInfo info = {
    tool,
    "with-tempdir [OPTIONS] -- COMMAND [ARG...]",
    "Run COMMAND with a fresh private directory as $TMPDIR (and \"{}\" in ARGs),\n"
    "then remove the directory however COMMAND ends.",
    option_descriptions,
    exit_status::tool_failure,
    exit_status::tool_failure,
    exit_status::tool_failure,
    "  N      COMMAND's own status (128+N: ended by signal N)\n"
    "  125    with-tempdir itself failed or was misused, or COMMAND succeeded but the\n"
    "         directory could not be removed entirely\n"
    "  126    COMMAND was found but could not be run\n"
    "  127    COMMAND was not found\n",
};

}  // namespace

int run_with_tempdir(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return run(request, signals, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
