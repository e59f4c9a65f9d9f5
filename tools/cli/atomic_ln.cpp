#include "cli/atomic_ln.hpp"

#include "atomfile/error.hpp"
#include "atomfile/swap.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-ln";

struct Request {
    std::string target;
    std::string link;
    SymlinkOptions options;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // clang-format off
    options.add_options()
        ("replace-other", po::bool_switch(),
         "replace a file or directory at LINK (a directory's tree is removed)")
        ("durability,d", po::value<std::string>()->value_name("LEVEL"),
         "full (default), data, or none (no directory sync)");
    // clang-format on
    add_help_and_version(options);
    return options;
}

Request parse_request(const std::vector<std::string>& args) {
    const SplitArguments split = split_at_separator(args);
    po::variables_map values = parse_arguments(split.before, option_descriptions());
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    if (values.count("durability"))
        request.options.durability = parse_durability(values["durability"].as<std::string>());
    request.options.replace_other = values["replace-other"].as<bool>();
    std::vector<std::string> words = operands(values);
    words.insert(words.end(), split.after.begin(), split.after.end());
    if (words.size() < 2)
        throw UsageError(words.empty() ? "missing TARGET and LINK operands"
                                       : "missing LINK operand");
    if (words.size() > 2) throw UsageError("unexpected operand '" + words[2] + "'");
    request.target = words[0];
    request.link = words[1];
    if (request.target.empty()) throw UsageError("'': empty TARGET");
    if (request.link.empty()) throw UsageError("'': empty LINK");
    return request;
}

int run(const Request& request, std::ostream& err) {
    try {
        replace_symlink(request.link, request.target, request.options);
    } catch (const Error& e) {
        if (e.step_id() == Step::rename_link &&
            (e.code() == std::errc::is_a_directory || e.code() == std::errc::file_exists)) {
            report_error(err, tool, e.path(), "not a symbolic link",
                         "refused (--replace-other replaces it)");
            return exit_status::failure;
        }
        if (!is_swapped(e.code())) throw;
        report_error(err, tool, e);
        err << tool << ": " << request.link << " HAS been replaced\n";
        return exit_status::replaced_with_error;
    }
    return exit_status::success;
}

constexpr ToolInfo info = {
    tool,
    "atomic-ln [OPTIONS] TARGET LINK",
    "Make LINK a symlink to TARGET in one atomic rename (ln -sfn without a moment\n"
    "where LINK is missing), then sync LINK's directory.",
    option_descriptions,
    exit_status::usage,
    exit_status::failure,
    exit_status::replaced_with_error,
    "  0      LINK now points to TARGET\n"
    "  1      failed; LINK is untouched\n"
    "  2      bad usage\n"
    "  3      LINK was replaced, but the directory sync (or removing a replaced\n"
    "         directory's tree) failed\n",
};

}  // namespace

int run_atomic_ln(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher&) { return run(request, err); };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
