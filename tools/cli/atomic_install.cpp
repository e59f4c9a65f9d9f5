#include "cli/atomic_install.hpp"

#include <chrono>
#include <map>
#include <optional>
#include <set>

#include "atomfile/batch.hpp"
#include "atomfile/directories.hpp"
#include "atomfile/replace.hpp"
#include "cli/signal_catcher.hpp"
#include "cli/system.hpp"
#include "cli/tool_error.hpp"
#include "cli/tool_main.hpp"
#include "cli/tool_options.hpp"

namespace atomfile::cli {

namespace {

constexpr const char* tool = "atomic-install";
constexpr unsigned default_mode = 0755;  // install(1)'s u=rwx,go=rx

struct Request {
    std::vector<std::string> operands;
    std::optional<std::string> target_directory;  // -t
    bool no_target_directory = false;             // -T
    bool directories = false;                     // -d
    bool parents = false;                         // -D
    bool verbose = false;                         // -v
    std::string mode_text;                        // -m, checked at parse time
    ReplaceOptions replace;
    ToolAction action = ToolAction::run;
};

// One file to install: where from, where to, and the resolved target once staged.
struct Copy {
    std::string source;
    std::string destination;
    std::string target;
};

po::options_description option_descriptions() {
    po::options_description options("Options");
    // One option per line reads best.
    // clang-format off
    options.add_options()
        ("compare,C", po::bool_switch(),
         "leave a DEST alone (inode, mtime, links) when its content and mode already match")
        ("directory,d", po::bool_switch(),
         "create each DIRECTORY and its missing parents, and give it MODE")
        (",D", po::bool_switch(),
         "create the missing parents of DEST, or the whole -t DIRECTORY")
        ("mode,m", po::value<std::string>()->value_name("MODE"),
         "mode of every DEST, octal or symbolic as chmod(1) (default 0755)")
        ("target-directory,t", po::value<std::string>()->value_name("DIRECTORY"),
         "install every SOURCE into DIRECTORY")
        ("no-target-directory,T", po::bool_switch(),
         "treat DEST as a file name even when it is a directory")
        ("verbose,v", po::bool_switch(), "print each file installed, after the commit")
        ("durability", po::value<std::string>()->value_name("LEVEL"),
         "full (default), data or none (see atomic-install(1))");
    // clang-format on
    add_help_and_version(options);
    return options;
}

constexpr ToolInfo info = {
    tool,
    "atomic-install [OPTIONS] [-T] SOURCE DEST\n"
    "  or:  atomic-install [OPTIONS] SOURCE... DIRECTORY\n"
    "  or:  atomic-install [OPTIONS] -t DIRECTORY SOURCE...\n"
    "  or:  atomic-install [OPTIONS] -d DIRECTORY...",
    "Copy each SOURCE to DEST (or into DIRECTORY) as install(1) does, every destination\n"
    "replaced atomically, all of them made durable together in one group commit. Nothing is\n"
    "replaced unless every SOURCE could be read and every DEST staged.",
    option_descriptions,
    exit_status::usage,
    exit_status::failure,
    exit_status::replaced_with_error,
    "  0      every DEST was replaced (or left alone by --compare)\n"
    "  1      the install failed; nothing was replaced\n"
    "  2      bad usage; nothing was touched\n"
    "  3      some DESTs were replaced and others not, or all were replaced but the\n"
    "         directory sync or the -v report failed; stderr lists which\n"
    "  128+N  signal N arrived before the commit; nothing was replaced\n",
};

// ---- modes ---------------------------------------------------------------------------------

// The bits each "who" letter of a symbolic mode governs.
unsigned who_bits(char who) {
    switch (who) {
        case 'u':
            return 04700;
        case 'g':
            return 02070;
        case 'o':
            return 01007;
        default:
            return 07777;  // 'a', or no letter: install applies no umask
    }
}

// The bits a permission list ("rwx", "X", or a copied class "u") stands for, in every class.
unsigned permission_bits(const std::string& perms, unsigned current, bool directory) {
    if (perms.size() == 1 && std::string("ugo").find(perms[0]) != std::string::npos) {
        const int shift = perms[0] == 'u' ? 6 : perms[0] == 'g' ? 3 : 0;
        return ((current >> shift) & 07) * 0111;
    }
    unsigned bits = 0;
    for (char c : perms) {
        if (c == 'r') bits |= 0444;
        if (c == 'w') bits |= 0222;
        if (c == 'x') bits |= 0111;
        if (c == 'X' && (directory || (current & 0111) != 0)) bits |= 0111;
        if (c == 's') bits |= 06000;
        if (c == 't') bits |= 01000;
    }
    return bits;
}

// chmod(1)'s symbolic clauses ("u=rwx,go=rx", "a+x") applied to mode 0, as install(1) applies
// -m; or an octal mode. Throws UsageError naming the text.
unsigned parse_install_mode(const std::string& text, bool directory) {
    const UsageError invalid("invalid mode '" + text +
                             "' (octal, e.g. 644, or as chmod, e.g. u=rwx,go=rx)");
    if (!text.empty() && text.find_first_not_of("01234567") == std::string::npos) {
        if (text.size() > 5 || std::stoul(text, nullptr, 8) > 07777) throw invalid;
        return static_cast<unsigned>(std::stoul(text, nullptr, 8));
    }
    unsigned mode = 0;
    std::size_t at = 0;
    do {
        unsigned who = 0;
        for (; at < text.size() && std::string("ugoa").find(text[at]) != std::string::npos; ++at)
            who |= who_bits(text[at]);
        if (who == 0) who = who_bits('a');
        if (at >= text.size() || std::string("+-=").find(text[at]) == std::string::npos)
            throw invalid;
        while (at < text.size() && std::string("+-=").find(text[at]) != std::string::npos) {
            const char op = text[at++];
            const std::size_t end = std::min(text.find_first_of("+-=,", at), text.size());
            const std::string perms = text.substr(at, end - at);
            const bool copy =
                perms.size() == 1 && std::string("ugo").find(perms[0]) != std::string::npos;
            if (!copy && perms.find_first_not_of("rwxXst") != std::string::npos) throw invalid;
            const unsigned bits = permission_bits(perms, mode, directory) & who;
            if (op == '+') mode |= bits;
            if (op == '-') mode &= ~bits;
            if (op == '=') mode = (mode & ~who) | bits;
            at = end;
        }
        if (at < text.size() && text[at] == ',' && ++at == text.size()) throw invalid;
    } while (at < text.size());
    return mode;
}

// ---- the command line ----------------------------------------------------------------------

bool flag(const po::variables_map& values, const char* name) {
    return values.count(name) != 0 && values[name].as<bool>();
}

// install(1)'s own refusals of operand combinations, in its words where it has them.
void check_operands(const Request& request) {
    const auto& files = request.operands;
    if (request.target_directory && request.no_target_directory)
        throw UsageError("cannot combine --target-directory (-t) and --no-target-directory (-T)");
    if (request.directories) {
        if (request.target_directory)
            throw UsageError("target directory not allowed when installing a directory");
        if (files.empty()) throw UsageError("missing DIRECTORY operand");
        return;
    }
    if (files.empty()) throw UsageError("missing file operand");
    if (request.target_directory) return;
    if (files.size() == 1)
        throw UsageError("missing destination file operand after '" + files.front() + "'");
    if (request.no_target_directory && files.size() > 2)
        throw UsageError("extra operand '" + files[2] + "'");
}

Request parse_request(const std::vector<std::string>& args) {
    auto values = parse_arguments(args, option_descriptions());
    Request request;
    request.action = requested_action(values);
    if (request.action != ToolAction::run) return request;
    request.directories = flag(values, "directory");
    request.parents = flag(values, "-D");
    request.no_target_directory = flag(values, "no-target-directory");
    request.verbose = flag(values, "verbose");
    if (values.count("target-directory"))
        request.target_directory = values["target-directory"].as<std::string>();
    if (values.count("mode")) {
        request.mode_text = values["mode"].as<std::string>();
        parse_install_mode(request.mode_text, request.directories);  // refused before any work
    }
    ReplaceOptions& replace = request.replace;
    if (values.count("durability"))
        replace.durability = parse_durability(values["durability"].as<std::string>());
    replace.skip_unchanged = flag(values, "compare");
    // install(1) unlinks DEST and creates a new file: a symlink DEST is replaced by a regular
    // file, and nothing of the old DEST (mode, owner, xattrs) is kept.
    replace.follow_symlinks = false;
    replace.keep_mode = false;
    replace.keep_owner = false;
    replace.keep_xattrs = false;
    replace.mode =
        request.mode_text.empty() ? default_mode : parse_install_mode(request.mode_text, false);
    request.operands = operands(values);
    for (const auto& operand : request.operands)
        if (operand.empty()) throw UsageError("'': empty file name");
    if (request.target_directory && request.target_directory->empty())
        throw UsageError("'': empty directory name");
    check_operands(request);
    return request;
}

// ---- planning ------------------------------------------------------------------------------

// The last component of a SOURCE, as install names its copy inside a DIRECTORY.
std::string base_name(std::string path) {
    while (path.size() > 1 && path.back() == '/') path.pop_back();
    const auto slash = path.find_last_of('/');
    return slash == std::string::npos ? path : path.substr(slash + 1);
}

std::string join(const std::string& directory, const std::string& name) {
    return directory.back() == '/' ? directory + name : directory + "/" + name;
}

bool is_directory(const std::string& path) {
    system::FileKind kind = system::FileKind::regular;
    return system::file_kind_at(path.c_str(), true, kind) == 0 &&
           kind == system::FileKind::directory;
}

// Creates directory and its missing parents (mkdir -p, each made durable by the library).
// Returns whether any directory was created.
bool make_directory(const std::string& directory) {
    return create_parent_directories(join(directory, "x"));
}

// Which SOURCE goes to which DEST; makes -D's directories on the way.
std::vector<Copy> plan_copies(const Request& request) {
    std::vector<std::string> sources = request.operands;
    std::string directory;
    if (request.target_directory) {
        directory = *request.target_directory;
        if (request.parents) make_directory(directory);
    } else {
        const std::string last = sources.back();
        sources.pop_back();
        if (sources.size() > 1 || (!request.no_target_directory && is_directory(last)))
            directory = last;
        else {
            if (request.parents) create_parent_directories(last);
            return {{sources.front(), last, {}}};
        }
    }
    if (!is_directory(directory))
        throw ToolFailure("target '" + directory + "' is not a directory");
    std::vector<Copy> copies;
    for (const auto& source : sources)
        copies.push_back({source, join(directory, base_name(source)), {}});
    return copies;
}

// ---- staging -------------------------------------------------------------------------------

// A descriptor closed when it goes out of scope.
class Source {
  public:
    Source(const std::string& path, system::FileIdentity& identity)
        : fd_(system::open_for_reading(path.c_str(), identity)) {
        if (fd_ < 0) throw_errno(system::reading_step("open source"), path);
    }
    ~Source() { system::close_fd(fd_); }
    Source(const Source&) = delete;
    Source& operator=(const Source&) = delete;
    int fd() const { return fd_; }

  private:
    int fd_;
};

// The identities of the directories SOURCEs and DESTs are in, each looked up once per run by its
// text (as the batch walks to each DEST directory once): the same-file check then costs no
// system call for a file whose SOURCE and DEST are in different directories, the common case.
class Parents {
  public:
    // The directory path is in, or nullptr when it cannot be looked at.
    const system::FileIdentity* of(const std::string& path) {
        const auto slash = path.find_last_of('/');
        const std::string parent = slash == std::string::npos ? "." : path.substr(0, slash + 1);
        auto found = known_.find(parent);
        if (found == known_.end()) {
            std::optional<system::FileIdentity> identity(std::in_place);
            if (system::file_identity_at(parent.c_str(), true, *identity) != 0) identity.reset();
            found = known_.emplace(parent, identity).first;
        }
        return found->second ? &*found->second : nullptr;
    }

  private:
    std::map<std::string, std::optional<system::FileIdentity>> known_;
};

bool same_file(const system::FileIdentity& a, const system::FileIdentity& b) {
    return a.device == b.device && a.inode == b.inode;
}

// Regular files and character devices are copied (install /dev/null FILE makes an empty file);
// a directory is omitted, as install(1) omits it, and a FIFO or socket is refused: install(1)
// would wait for a writer, possibly forever.
void check_source(const Copy& copy, const system::FileIdentity& source, Parents& parents) {
    using system::FileKind;
    if (source.kind == FileKind::directory)
        throw ToolFailure(copy.source + ": is a directory: omitted (-d creates directories)");
    if (source.kind != FileKind::regular && source.kind != FileKind::character_device)
        throw ToolFailure(copy.source +
                          ": not a regular file: only regular files and devices are copied");
    // The same inode under another name (a hard link) is replaced, as install does; the same
    // name would be a file replaced by a copy of itself, and so would a SOURCE that is a symlink
    // to DEST (install(1) refuses both). The cheap tests come first: reached through no link,
    // another name, or another directory, cannot be the same name.
    if (source.through_symlink) {
        system::FileIdentity destination;
        if (system::file_identity_at(copy.destination.c_str(), false, destination) == 0 &&
            same_file(destination, source))
            throw ToolFailure("'" + copy.source + "' and '" + copy.destination +
                              "' are the same file");
        return;
    }
    if (base_name(copy.source) != base_name(copy.destination)) return;
    const system::FileIdentity* source_parent = parents.of(copy.source);
    const system::FileIdentity* destination_parent = parents.of(copy.destination);
    if (source_parent == nullptr || destination_parent == nullptr ||
        !same_file(*source_parent, *destination_parent))
        return;
    system::FileIdentity destination;
    if (system::file_identity_at(copy.destination.c_str(), false, destination) == 0 &&
        same_file(destination, source))
        throw ToolFailure("'" + copy.source + "' and '" + copy.destination + "' are the same file");
}

// Asks the catcher for a pending signal at most once per interval: each ask is a system call,
// and a copy asks before every read, several times per small file. A signal is still seen
// within an interval while a big or slow SOURCE is read (a blocked read wakes to ask every
// 100 ms), and install_files asks once more, unthrottled, before the commit.
class SignalPoll {
  public:
    explicit SignalPoll(const SignalCatcher& signals) : signals_(signals) {}

    // Whether a signal has arrived (once true, stays true).
    bool operator()() {
        if (seen_) return true;
        const auto now = std::chrono::steady_clock::now();
        if (now < next_) return false;
        next_ = now + interval;
        seen_ = signals_.caught() != 0;
        return seen_;
    }

  private:
    static constexpr std::chrono::milliseconds interval{20};
    const SignalCatcher& signals_;
    std::chrono::steady_clock::time_point next_{};  // the first call asks
    bool seen_ = false;
};

// Opens SOURCE and stages its copy as DEST in the batch. Returns false when a signal arrived
// (the copy then stops, and the file is not staged).
bool stage(Batch& batch, Copy& copy, const ReplaceOptions& options, Parents& parents,
           SignalPoll& poll) {
    system::FileIdentity identity;
    Source source(copy.source, identity);
    check_source(copy, identity, parents);
    try {
        copy.target =
            batch.copy(copy.destination, source.fd(), options, [&poll] { return poll(); });
    } catch (const Error& e) {
        if (poll()) return false;  // the copy was stopped for the signal
        if (e.step_id() != Step::copy_into_temp) throw;
        throw Error(e.code(), "copy " + copy.source + " into temp file", e.path(), e.second_path());
    }
    return !poll();
}

// ---- committing ----------------------------------------------------------------------------

// After a failed commit: which files hold their new content and which do not.
void report_outcome(const Batch& batch, const Error& e, std::ostream& err) {
    if (is_replaced(e)) {
        err << tool << ": every file was replaced, but not every directory could be synced\n";
        return;
    }
    if (batch.replaced().empty()) {
        err << tool << ": nothing was replaced\n";
        return;
    }
    for (const auto& path : batch.replaced()) err << tool << ": replaced: " << path << '\n';
    for (const auto& path : batch.not_replaced()) err << tool << ": not replaced: " << path << '\n';
}

// After the work is done, the -v report: one that cannot be written is said as such, since the
// failure status, "nothing was replaced", would say the opposite of what was done.
int verbose_report_status(std::ostream& out, std::ostream& err, const char* done) {
    if (out.flush()) return exit_status::success;
    err << tool << ": " << done << ", but the -v report could not be written\n";
    standard_output_failure_reported();
    return exit_status::replaced_with_error;
}

void print_installed(const std::vector<Copy>& copies, const Batch& batch, std::ostream& out) {
    const std::set<std::string> replaced(batch.replaced().begin(), batch.replaced().end());
    for (const auto& copy : copies)
        if (replaced.count(copy.target) != 0)
            out << '\'' << copy.source << "' -> '" << copy.destination << "'\n";
}

int commit(Batch& batch, const Request& request, const std::vector<Copy>& copies, std::ostream& out,
           std::ostream& err) {
    try {
        batch.commit();
    } catch (const Error& e) {
        report_error(err, tool, e);
        report_outcome(batch, e, err);
        if (request.verbose) print_installed(copies, batch, out);
        return batch.replaced().empty() ? exit_status::failure : exit_status::replaced_with_error;
    }
    if (!request.verbose) return exit_status::success;
    print_installed(copies, batch, out);
    return verbose_report_status(out, err, "every DEST was replaced");
}

// A failure while staging drops the batch unpublished; with several files, say that the
// others were not installed either (install(1) would have installed them).
int staging_failed(const std::vector<Copy>& copies, std::ostream& err) {
    if (copies.size() > 1) err << tool << ": nothing was replaced\n";
    return exit_status::failure;
}

int install_files(const Request& request, const SignalCatcher& signals, std::ostream& out,
                  std::ostream& err) {
    std::vector<Copy> copies = plan_copies(request);
    // Not fatal: a small batch fits the soft limit, and a big one then fails naming its file.
    system::raise_open_file_limit();
    Batch batch(request.replace);
    Parents parents;
    SignalPoll poll(signals);
    try {
        for (auto& copy : copies)
            if (!stage(batch, copy, request.replace, parents, poll))
                return exit_status::signal_base + signals.caught();  // the batch is discarded
    } catch (const Error& e) {
        batch.discard();
        report_error(err, tool, e);
        return staging_failed(copies, err);
    } catch (const std::exception& e) {
        batch.discard();
        err << tool << ": " << failure_reason(e) << '\n';
        return staging_failed(copies, err);
    }
    // Unthrottled: a signal that arrived while the last files were staged stops the run here.
    if (signals.caught() != 0) return exit_status::signal_base + signals.caught();
    return commit(batch, request, copies, out, err);
}

int install_directories(const Request& request, std::ostream& out, std::ostream& err) {
    const unsigned mode =
        request.mode_text.empty() ? default_mode : parse_install_mode(request.mode_text, true);
    for (const auto& directory : request.operands) {
        const bool created = make_directory(directory);
        if (system::change_mode(directory.c_str(), mode) != 0)
            throw_errno("set directory mode", directory);
        if (created && request.verbose) out << "created directory '" << directory << "'\n";
    }
    if (!request.verbose) return exit_status::success;
    return verbose_report_status(out, err, "every directory exists");
}

}  // namespace

int run_atomic_install(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    auto work = [&](const Request& request, SignalCatcher& signals) {
        return request.directories ? install_directories(request, out, err)
                                   : install_files(request, signals, out, err);
    };
    return run_tool(info, parse_request, args, work, out, err);
}

}  // namespace atomfile::cli
