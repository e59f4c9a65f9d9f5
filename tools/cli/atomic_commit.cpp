#include "cli/atomic_commit.hpp"

#include <cerrno>

#include "atomfile/file_descriptor.hpp"
#include "atomfile/transaction.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-commit";

// One FILE=SOURCE operand.
struct Staging {
    std::string file;
    std::string source;
};

struct Request {
    std::string root;
    std::vector<Staging> writes;
    std::vector<Staging> expectations;
    std::vector<std::string> removals;
    bool verbose = false;
    bool reads_stdin = false;
    ReplaceOptions replace;
    ToolAction action = ToolAction::run;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // clang-format off
    options.add_options()
        ("remove,r", po::value<std::vector<std::string>>()->value_name("FILE"),
         "remove FILE (relative to ROOT) in the same commit; repeatable")
        ("expect,e", po::value<std::vector<std::string>>()->value_name("FILE=SOURCE"),
         "fail, changing nothing, unless FILE holds exactly SOURCE's content; repeatable")
        ("durability", po::value<std::string>()->value_name("LEVEL"),
         "full (default), data or none (see atomic-commit(1))")
        ("lock-timeout", po::value<std::string>()->value_name("SECONDS"),
         "wait at most this long for ROOT's lock (default 30, 'inf' waits forever)")
        ("verbose,v", po::bool_switch(), "print each FILE written or removed, after the commit");
    // clang-format on
    add_help_and_version(options);
    return options;
}

constexpr ToolInfo info = {
    tool,
    "atomic-commit [OPTIONS] ROOT [--] FILE=SOURCE... [--remove FILE]...",
    "Replace or create each FILE under ROOT with the content of SOURCE (a file, or - for\n"
    "standard input), and remove each --remove FILE, all or nothing: after a crash or a power\n"
    "cut every FILE is old or every FILE is new (atomic-recover ROOT, or the next commit,\n"
    "finishes an interrupted one).",
    option_descriptions,
    exit_status::usage,
    exit_status::failure,
    exit_status::replaced_with_error,
    "  0      every FILE was written or removed, durably\n"
    "  1      the commit failed; every FILE is as it was\n"
    "  2      bad usage; nothing was touched\n"
    "  3      every FILE was written or removed, but the directory sync, the clean-up or\n"
    "         the --verbose report failed afterwards\n"
    "  128+N  signal N arrived before the commit; nothing was changed\n",
};

Staging split_assignment(const std::string& operand) {
    const std::size_t equals = operand.find('=');
    if (equals == std::string::npos || equals == 0 || equals + 1 == operand.size())
        throw UsageError("'" + operand + "': expected FILE=SOURCE");
    return {operand.substr(0, equals), operand.substr(equals + 1)};
}

std::vector<std::string> strings(const po::variables_map& values, const char* name) {
    return values.count(name) ? values[name].as<std::vector<std::string>>()
                              : std::vector<std::string>{};
}

void check_stdin_once(Request& request) {
    int readers = 0;
    for (const Staging& staging : request.writes) readers += staging.source == "-";
    for (const Staging& staging : request.expectations) readers += staging.source == "-";
    if (readers > 1) throw UsageError("standard input (-) can be SOURCE only once");
    request.reads_stdin = readers == 1;
}

Request parse_request(const std::vector<std::string>& args) {
    auto values = parse_arguments(args, option_descriptions());
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    std::vector<std::string> operands_given = operands(values);
    if (operands_given.empty()) throw UsageError("missing ROOT");
    request.root = operands_given.front();
    for (std::size_t i = 1; i < operands_given.size(); ++i)
        request.writes.push_back(split_assignment(operands_given[i]));
    for (const std::string& expectation : strings(values, "expect"))
        request.expectations.push_back(split_assignment(expectation));
    request.removals = strings(values, "remove");
    if (request.writes.empty() && request.removals.empty())
        throw UsageError("nothing to commit: give FILE=SOURCE or --remove FILE");
    check_stdin_once(request);
    request.verbose = values["verbose"].as<bool>();
    if (values.count("durability"))
        request.replace.durability = parse_durability(values["durability"].as<std::string>());
    if (values.count("lock-timeout"))
        request.replace.lock_timeout = parse_lock_timeout(values["lock-timeout"].as<std::string>());
    return request;
}

// A closed descriptor 0 would be taken by the first file the tool opens (ROOT), and reading
// it would give nothing, which would then be committed as FILE's new content.
void check_input_open(int in_fd) {
    const int open = system::is_open_descriptor(in_fd);
    if (open == 0) throw ToolFailure("standard input is closed");
    if (open < 0) throw_errno("check standard input", "");
}

// A SOURCE is opened without waiting: open(2) of a FIFO waits for a writer, and no caught signal
// could end that wait. The FIFO's content is then read once a writer comes, as cat would.
FileDescriptor open_source(const std::string& source) {
    system::FileIdentity identity;
    FileDescriptor fd(system::open_for_reading(source.c_str(), identity));
    if (!fd) throw_errno(system::reading_step("open"), source);
    if (identity.kind == system::FileKind::directory) throw_error(EISDIR, "open", source);
    return fd;
}

// An --expect SOURCE, whole; false when a signal arrived first (a FIFO's writer or a terminal's
// ^D awaited).
bool read_source(const std::string& source, int in_fd, std::string& content) {
    FileDescriptor opened = source == "-" ? FileDescriptor() : open_source(source);
    const int fd = opened ? opened.get() : in_fd;
    const int result = system::read_to_end_or_signal(fd, content);
    if (result < 0) throw_errno("read", source == "-" ? "standard input" : source);
    return result == 0;
}

// Every SOURCE is streamed, and given up as soon as a signal arrives (a terminal's ^C before
// its ^D, a FIFO whose writer never comes): false then, staging nothing.
bool stage_write(Transaction& transaction, const Staging& staging, int in_fd,
                 const SignalCatcher& signals) {
    FileDescriptor opened = staging.source == "-" ? FileDescriptor() : open_source(staging.source);
    const int fd = opened ? opened.get() : in_fd;
    try {
        transaction.write_from(staging.file, fd, [&signals] { return signals.caught() != 0; });
    } catch (const Error&) {
        if (signals.caught() == 0) throw;
    }
    return signals.caught() == 0;
}

// With --verbose the report is the last thing written: a standard output that fails it must
// not make a commit that happened look like one that did not (status 1).
void report(const Request& request, std::ostream& out) {
    if (!request.verbose) return;
    for (const Staging& staging : request.writes) out << "wrote " << staging.file << '\n';
    for (const std::string& removal : request.removals) out << "removed " << removal << '\n';
    out.flush();
}

// Returns the exit status, or 0 once committed.
int stage_and_commit(const Request& request, SignalCatcher& signals, int in_fd,
                     Transaction& transaction) {
    for (const Staging& expectation : request.expectations) {
        std::string content;
        if (!read_source(expectation.source, in_fd, content))
            return exit_status::signal_base + signals.caught();
        transaction.expect(expectation.file, content);
    }
    for (const Staging& staging : request.writes)
        if (!stage_write(transaction, staging, in_fd, signals)) break;
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();
    for (const std::string& removal : request.removals) transaction.remove(removal);
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();
    transaction.commit();
    return exit_status::success;
}

// A signal also ends the wait for ROOT's lock (another commit holding it).
int stage_and_commit(const Request& request, SignalCatcher& signals, int in_fd) {
    ReplaceOptions options = request.replace;
    options.cancel_lock_wait = [&signals] { return signals.caught() != 0; };
    try {
        Transaction transaction(request.root, options);
        return stage_and_commit(request, signals, in_fd, transaction);
    } catch (const Error& e) {
        if (e.step_id() != Step::lock_root || signals.caught() == 0) throw;
        return exit_status::signal_base + signals.caught();
    }
}

int commit(const Request& request, SignalCatcher& signals, int in_fd, std::ostream& out,
           std::ostream& err) {
    if (request.reads_stdin) check_input_open(in_fd);
    const int status = stage_and_commit(request, signals, in_fd);
    if (status != exit_status::success) return status;
    // The transaction is closed by now: a closed standard output cannot be one of its files.
    report(request, out);
    if (out) return exit_status::success;
    err << tool << ": every FILE has its new content, but the report could not be written\n";
    standard_output_failure_reported();
    return exit_status::replaced_with_error;
}

// After the commit point the files are new whatever failed: the tool says so with status 3.
int commit_reporting(const Request& request, SignalCatcher& signals, int in_fd, std::ostream& out,
                     std::ostream& err) {
    try {
        return commit(request, signals, in_fd, out, err);
    } catch (const Error& e) {
        if (e.step_id() != Step::directory_sync && e.step_id() != Step::retire_journal) throw;
        report_error(err, tool, e);
        err << tool << ": every FILE has its new content; " << request.root
            << (e.step_id() == Step::retire_journal ? ": its clean-up is left to atomic-recover\n"
                                                    : ": its durability is unknown\n");
        return exit_status::replaced_with_error;
    }
}

}  // namespace

int run_atomic_commit(const std::vector<std::string>& args, int in_fd, std::ostream& out,
                      std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return commit_reporting(request, signals, in_fd, out, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
