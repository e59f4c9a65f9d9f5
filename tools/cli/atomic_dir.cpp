#include "cli/atomic_dir.hpp"

#include "atomfile/error.hpp"
#include "atomfile/swap.hpp"
#include "cli/child_process.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-dir";

struct Request {
    std::string dir;
    std::vector<std::string> command;
    DirectorySwapOptions swap;
    bool change_directory = false;
    ToolAction action = ToolAction::run;
};

// COMMAND did not succeed: the swap is abandoned and its status becomes atomic-dir's.
struct CommandDeclined {
    int status;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // One option per line reads best.
    // clang-format off
    options.add_options()
        ("copy", po::bool_switch(), "seed the new directory with DIR's current content")
        ("symlink-form", po::bool_switch(),
         "DIR is (or becomes) a symlink to a versioned directory, switched by rename")
        ("cd,C", po::bool_switch(), "run COMMAND inside the new directory")
        ("durability,d", po::value<std::string>()->value_name("LEVEL"),
         "full (default), data, or none (no syncs: not power-cut safe)");
    // clang-format on
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
    const po::variables_map values = parse_options(split);
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    if (values.count("durability"))
        request.swap.durability = parse_durability(values["durability"].as<std::string>());
    request.swap.copy_current = values["copy"].as<bool>();
    request.swap.symlink_form = values["symlink-form"].as<bool>();
    request.change_directory = values["cd"].as<bool>();
    std::vector<std::string> words = operands(values);
    if (words.empty()) throw UsageError("missing DIR operand");
    request.dir = words.front();
    if (request.dir.empty()) throw UsageError("'': empty directory name");
    request.command.assign(words.begin() + 1, words.end());
    request.command.insert(request.command.end(), split.after.begin(), split.after.end());
    if (request.command.empty()) throw UsageError("missing COMMAND");
    return request;
}

// The populate step: COMMAND fills the staging directory; anything but a clean exit 0 (a
// signal forwarded to it included) abandons the swap.
void populate(const Request& request, const std::string& staging, SignalCatcher& signals,
              std::ostream& err) {
    if (signals.caught() != 0) throw CommandDeclined{exit_status::signal_base + signals.caught()};
    system::SpawnRequest spawn;
    spawn.argv = substitute_braces(request.command, staging);
    spawn.set_env.push_back("ATOMIC_DIR=" + staging);
    if (request.change_directory) spawn.working_directory = staging;
    const ChildOutcome outcome = run_child(spawn, signals, tool, err);
    if (outcome.started && outcome.first_signal != 0)
        throw CommandDeclined{exit_status::signal_base + outcome.first_signal};
    if (outcome.exit_status != 0) throw CommandDeclined{outcome.exit_status};
    if (signals.caught() != 0) throw CommandDeclined{exit_status::signal_base + signals.caught()};
}

int run(const Request& request, SignalCatcher& signals, std::ostream& err) {
    try {
        replace_directory(
            request.dir,
            [&](const std::string& staging) { populate(request, staging, signals, err); },
            request.swap);
    } catch (const CommandDeclined& declined) {
        return declined.status;
    } catch (const Error& e) {
        if (!is_swapped(e.code())) throw;
        report_error(err, tool, e);
        err << tool << ": " << request.dir << " HAS been replaced by the new directory";
        if (e.step_id() == Step::remove_old_tree)
            err << "; the old one is left at " << e.path() << " (the next run removes it)";
        err << '\n';
        return exit_status::tool_failure;
    }
    return exit_status::success;
}

constexpr ToolInfo info = {
    tool,
    "atomic-dir [OPTIONS] DIR [--] COMMAND [ARG...]",
    "Run COMMAND to fill a fresh directory beside DIR (\"{}\" in ARGs and $ATOMIC_DIR\n"
    "name it); if it exits 0, swap it in for DIR in one atomic step, so that readers\n"
    "see the whole old tree or the whole new one, and remove the old tree.",
    option_descriptions,
    exit_status::tool_failure,
    exit_status::tool_failure,
    exit_status::tool_failure,
    "  0      COMMAND exited 0; DIR was replaced\n"
    "  1-124  COMMAND's own failing status; DIR is untouched\n"
    "  125    atomic-dir itself failed or was misused; DIR is untouched unless the\n"
    "         message says it was replaced\n"
    "  126    COMMAND was found but could not be run\n"
    "  127    COMMAND was not found\n"
    "  128+N  COMMAND ended by signal N, or atomic-dir got it; DIR is untouched\n",
};

}  // namespace

int run_atomic_dir(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return run(request, signals, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
