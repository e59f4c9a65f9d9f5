#include "cli/atomic_recover.hpp"

#include <cerrno>
#include <system_error>

#include "atomfile/transaction.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-recover";

// What to recover: a transaction root (a directory), or a file an in-place overwrite left with
// an undo record (anything else).
enum class Subject { transaction_root, file };

struct Request {
    Subject subject = Subject::transaction_root;
    std::string path;
    ReplaceOptions replace;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // clang-format off
    options.add_options()
        ("lock-timeout", po::value<std::string>()->value_name("SECONDS"),
         "wait at most this long for ROOT's lock (default 30, 'inf' waits forever)")
        ("undo-dir", po::value<std::string>()->value_name("DIR"),
         "look for FILE's undo record in DIR, as given to --undo-dir when FILE was written "
         "(default: FILE's directory)");
    // clang-format on
    add_help_and_version(options);
    return options;
}

constexpr ToolInfo info = {
    tool,
    "atomic-recover [OPTIONS] ROOT\n  or:  atomic-recover [--undo-dir DIR] FILE",
    "Finish or undo a transaction on ROOT that a crash or a power cut interrupted\n"
    "(atomic-commit, atomfile::Transaction): a committed one is rolled forward, so every file\n"
    "is new; an uncommitted one is rolled back, so every file is old.\n"
    "Given a FILE that an interrupted in-place overwrite (the tools' fallback for files that\n"
    "cannot be renamed over) left with an undo record, put its whole old content back.",
    option_descriptions,
    exit_status::usage,
    exit_status::failure,
    exit_status::failure,
    "  0      recovered, or nothing to recover\n"
    "  1      recovery failed or was refused (a journal not to be trusted is left untouched)\n"
    "  2      bad usage; nothing was touched\n"
    "  3      recovered, or nothing to recover, but the report could not be written on\n"
    "         standard output; standard error says what was done\n",
};

Request parse_request(const std::vector<std::string>& args) {
    auto values = parse_arguments(args, option_descriptions());
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    std::vector<std::string> given = operands(values);
    if (given.size() != 1) throw UsageError(given.empty() ? "missing ROOT" : "too many operands");
    request.path = given.front();
    system::FileKind kind = system::FileKind::regular;
    const bool directory = system::file_kind_at(request.path.c_str(), true, kind) == 0 &&
                           kind == system::FileKind::directory;
    request.subject = directory ? Subject::transaction_root : Subject::file;
    if (values.count("undo-dir")) {
        if (directory) throw UsageError("--undo-dir is for a FILE, not a transaction ROOT");
        request.replace.undo_directory = values["undo-dir"].as<std::string>();
    }
    if (values.count("lock-timeout"))
        request.replace.lock_timeout = parse_lock_timeout(values["lock-timeout"].as<std::string>());
    return request;
}

const char* words(Recovery recovery) {
    switch (recovery) {
        case Recovery::rolled_forward:
            return "rolled forward (every file new)";
        case Recovery::rolled_back:
            return "rolled back (every file old)";
        default:
            return "nothing to recover";
    }
}

// The report comes after the recovery: a standard output that fails it (a full disk, a closed
// descriptor) must not make a recovery that happened look like one that failed (status 1), nor
// leave the user without knowing what was done. Status 3 then, the outcome said on err.
int report(const Request& request, const char* outcome, std::ostream& out, std::ostream& err) {
    errno = 0;
    out << request.path << ": " << outcome << '\n';
    out.flush();
    if (out) return exit_status::success;
    const int error = errno != 0 ? errno : EIO;
    err << tool << ": " << request.path << ": " << outcome
        << "; the report could not be written on standard output: "
        << std::generic_category().message(error) << '\n';
    standard_output_failure_reported();
    return exit_status::replaced_with_error;
}

const char* recover_root(const Request& request) {
    return words(recover(request.path, request.replace));
}

const char* recover_file(const Request& request) {
    const bool restored = recover_in_place(request.path, request.replace);
    return restored ? "old content restored from the undo record" : "nothing to recover";
}

int run_request(const Request& request, std::ostream& out, std::ostream& err) {
    const char* outcome = request.subject == Subject::transaction_root ? recover_root(request)
                                                                       : recover_file(request);
    return report(request, outcome, out, err);
}

}  // namespace

int run_atomic_recover(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher&) {
        return run_request(request, out, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
