// protocol_check WRITER TARGET STRACE_LOG: checks the commit protocol in an strace log.
//
// The log comes from `strace -f -y -qq -o LOG -e trace=%file,%desc ...` of one writer replacing
// TARGET (an absolute, symlink-free path). The check passes when the log shows, in this order:
//   1. the temp created exclusively (O_TMPFILE, or O_CREAT|O_EXCL) in TARGET's directory;
//   2. an fsync or fdatasync of the temp that succeeded, with no write to it afterwards;
//   3. the publication: a rename or link whose destination is TARGET and whose source is the temp;
//   4. an fsync of TARGET's directory that succeeded (or a syncfs through a descriptor in it);
// and when no process ever opened TARGET for writing (O_WRONLY, O_RDWR, O_TRUNC or O_CREAT) or
// truncated it by name. It prints one summary line and exits 0 (pass) or 1 (fail).
//
// protocol_check --batch WRITER STRACE_LOG REFUSED_DIR TARGET...
// protocol_check --transaction WRITER STRACE_LOG REFUSED_DIR ROOT
// check the group writers (BatchChecker, TransactionChecker below state the order), from a log
// of `strace -f -y -qq` that also traces %process; no file may be created in REFUSED_DIR.
#include <algorithm>
#include <cstdio>
#include <deque>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <set>
#include <string>
#include <vector>

namespace {

struct Syscall {
    int pid = 0;
    std::string name;
    std::vector<std::string> args;
    std::string result;
    // The log's line numbers where the call entered the kernel and where it returned: the same
    // line unless strace split it into "<unfinished ...>" and "<... NAME resumed>".
    std::size_t start = 0, end = 0;
    bool ok() const { return !result.empty() && result[0] != '-' && result[0] != '?'; }
};

// Splits "a, b(c, d), "e, f"" at the commas that are outside quotes and brackets.
std::vector<std::string> split_args(const std::string& text) {
    std::vector<std::string> args;
    std::string current;
    int depth = 0;
    bool quoted = false;
    for (std::size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        if (quoted) {
            current += c;
            if (c == '\\' && i + 1 < text.size())
                current += text[++i];
            else if (c == '"')
                quoted = false;
            continue;
        }
        if (c == '"') quoted = true;
        if (c == '(' || c == '[' || c == '{' || c == '<') ++depth;
        if (c == ')' || c == ']' || c == '}' || c == '>') --depth;
        if (c == ',' && depth == 0) {
            args.push_back(current);
            current.clear();
            if (i + 1 < text.size() && text[i + 1] == ' ') ++i;
            continue;
        }
        current += c;
    }
    if (!current.empty()) args.push_back(current);
    return args;
}

std::optional<Syscall> parse(int pid, const std::string& body) {
    static const std::regex shape(R"(^([a-z0-9_]+)\((.*)\)\s+=\s+(\S+).*$)");
    std::smatch match;
    if (!std::regex_match(body, match, shape)) return std::nullopt;
    return Syscall{pid, match[1], split_args(match[2]), match[3]};
}

// Reads the log, joining "<unfinished ...>" halves with their "<... NAME resumed>" rest.
std::vector<Syscall> read_log(const std::string& path) {
    std::ifstream in(path);
    std::vector<Syscall> calls;
    std::map<int, std::pair<std::string, std::size_t>> pending;  // per thread: text, start line
    static const std::regex line_shape(R"(^(\d+)\s+(.*)$)");
    static const std::regex resumed(R"(^<\.\.\. [a-z0-9_]+ resumed>(.*)$)");
    std::string line;
    for (std::size_t number = 1; std::getline(in, line); ++number) {
        std::smatch match;
        if (!std::regex_match(line, match, line_shape)) continue;
        int pid = std::stoi(match[1]);
        std::string body = match[2];
        const std::string unfinished = " <unfinished ...>";
        if (body.size() > unfinished.size() &&
            body.compare(body.size() - unfinished.size(), unfinished.size(), unfinished) == 0) {
            pending[pid] = {body.substr(0, body.size() - unfinished.size()), number};
            continue;
        }
        std::smatch rest;
        std::size_t start = number;
        if (std::regex_match(body, rest, resumed)) {
            body = pending[pid].first + std::string(rest[1]);
            start = pending[pid].second;
        }
        if (auto call = parse(pid, body)) {
            call->start = start;
            call->end = number;
            calls.push_back(*call);
        }
    }
    return calls;
}

// The path strace -y attached to a descriptor argument: 4</d/f>(deleted) -> /d/f.
std::string fd_path_of(const std::string& arg) {
    auto open = arg.find('<');
    auto close = arg.rfind('>');
    if (open == std::string::npos || close == std::string::npos || close < open) return {};
    return arg.substr(open + 1, close - open - 1);
}

int fd_number(const std::string& arg) {
    try {
        return std::stoi(arg);
    } catch (const std::exception&) {
        return -1;
    }
}

std::string unquote(const std::string& arg) {
    if (arg.size() < 2 || arg.front() != '"') return arg;
    return arg.substr(1, arg.rfind('"') - 1);
}

// The absolute path named by (dirfd argument, path argument).
std::string resolve(const std::string& dir_arg, const std::string& path_arg) {
    std::string name = unquote(path_arg);
    if (!name.empty() && name[0] == '/') return name;
    std::string base = fd_path_of(dir_arg);
    if (name.empty() || name == ".") return base;
    return base + "/" + name;
}

std::string directory_of(const std::string& path) {
    return path.substr(0, path.rfind('/'));
}

bool has_flag(const std::string& flags, const char* flag) {
    return std::regex_search(flags, std::regex(std::string("(^|\\|)") + flag + "($|\\|)"));
}

struct Verdict {
    std::vector<std::string> failures;
    std::string create, sync, publish, directory_sync;
};

class Checker {
  public:
    explicit Checker(std::string target)
        : target_(std::move(target)), directory_(directory_of(target_)) {}

    Verdict run(const std::vector<Syscall>& calls) {
        for (const auto& call : calls) {
            check_target_not_written(call);
            if (!call.ok()) continue;
            if (call.name == "openat")
                note_create(call);
            else if (call.name == "fsync" || call.name == "fdatasync")
                note_sync(call);
            else if (call.name == "syncfs")
                note_file_system_sync(call);
            else if (is_data_call(call.name))
                note_write(call);
            else if (call.name == "linkat")
                note_link(call);
            else if (call.name == "renameat" || call.name == "renameat2")
                note_rename(call);
        }
        if (verdict_.create.empty()) fail("no exclusive temp created in " + directory_);
        if (verdict_.sync.empty()) fail("the temp was not synced before its publication");
        if (verdict_.publish.empty()) fail("the temp was never published at the target");
        if (verdict_.directory_sync.empty()) fail("the directory was not synced after the rename");
        return verdict_;
    }

  private:
    // A temp is recognized by the path strace -y shows for its descriptor (so a dup2 or a
    // child process still counts), or, without one, by its number in the creating process.
    struct Temp {
        int pid = 0;
        int fd = -1;
        std::vector<std::string> fd_paths;  // "/dir/#123" for an O_TMPFILE, then its link
        std::string name;                   // empty for O_TMPFILE until linked
        bool synced = false;

        bool is(int call_pid, const std::string& arg) const {
            std::string path = fd_path_of(arg);
            if (path.empty()) return call_pid == pid && fd_number(arg) == fd;
            return std::find(fd_paths.begin(), fd_paths.end(), path) != fd_paths.end();
        }
    };

    static bool is_data_call(const std::string& name) {
        return name == "write" || name == "pwrite64" || name == "writev" || name == "pwritev" ||
               name == "ftruncate" || name == "splice" || name == "copy_file_range" ||
               name == "sendfile";
    }

    void fail(const std::string& why) { verdict_.failures.push_back(why); }

    void check_target_not_written(const Syscall& call) {
        if (call.name == "openat" && call.args.size() >= 3 &&
            resolve(call.args[0], call.args[1]) == target_) {
            for (const char* flag : {"O_WRONLY", "O_RDWR", "O_TRUNC", "O_CREAT"})
                if (has_flag(call.args[2], flag))
                    fail("target opened with " + std::string(flag) + " by pid " +
                         std::to_string(call.pid));
        }
        if (call.name == "truncate" && !call.args.empty() && unquote(call.args[0]) == target_)
            fail("target truncated by name");
    }

    void note_create(const Syscall& call) {
        if (call.args.size() < 3 || published_) return;
        const std::string& flags = call.args[2];
        std::string path = resolve(call.args[0], call.args[1]);
        bool anonymous = has_flag(flags, "O_TMPFILE") && path == directory_;
        bool exclusive = has_flag(flags, "O_CREAT") && has_flag(flags, "O_EXCL") &&
                         directory_of(path) == directory_ && path != target_;
        if (!anonymous && !exclusive) return;
        temps_.push_back({call.pid,
                          fd_number(call.result),
                          {fd_path_of(call.result)},
                          anonymous ? "" : path,
                          false});
        verdict_.create = anonymous ? "O_TMPFILE" : "O_CREAT|O_EXCL";
    }

    Temp* temp_for_fd(const Syscall& call, std::size_t index = 0) {
        if (call.args.size() <= index) return nullptr;
        for (auto& temp : temps_)
            if (temp.is(call.pid, call.args[index])) return &temp;
        return nullptr;
    }

    Temp* temp_named(const std::string& path) {
        for (auto& temp : temps_)
            if (!temp.name.empty() && temp.name == path) return &temp;
        return nullptr;
    }

    void note_sync(const Syscall& call) {
        if (Temp* temp = temp_for_fd(call); temp && !published_) {
            temp->synced = true;
            verdict_.sync = call.name + "(temp)";
        } else if (published_ && !call.args.empty() && fd_path_of(call.args[0]) == directory_) {
            verdict_.directory_sync = call.name + "(directory)";
        }
    }

    // syncfs after the publication, through a descriptor in TARGET's directory, commits the
    // directory's entries too: the library's answer where a directory cannot be fsynced (O_PATH
    // only, or a file system that refuses with EINVAL).
    void note_file_system_sync(const Syscall& call) {
        if (!published_ || call.args.empty()) return;
        const std::string path = fd_path_of(call.args[0]);
        if (path == directory_ || directory_of(path) == directory_)
            verdict_.directory_sync = "syncfs(file system)";
    }

    // The descriptor a data call writes to: splice and copy_file_range name it third.
    static std::size_t destination_index(const std::string& name) {
        return name == "splice" || name == "copy_file_range" ? 2 : 0;
    }

    void note_write(const Syscall& call) {
        Temp* temp = temp_for_fd(call, destination_index(call.name));
        if (temp && temp->synced && !published_)
            fail(call.name + " to the temp after it was synced");
    }

    void publish(Temp* temp, const std::string& how) {
        if (!temp) return;
        if (!temp->synced) fail(how + " published the temp before syncing it");
        published_ = true;
        verdict_.publish = how;
    }

    void note_link(const Syscall& call) {
        if (call.args.size() < 5) return;
        std::string source = unquote(call.args[1]);
        std::string destination = resolve(call.args[2], call.args[3]);
        Temp* temp = nullptr;
        static const std::regex proc_fd(R"(^/proc/self/fd/(\d+)$)");
        std::smatch match;
        if (std::regex_match(source, match, proc_fd)) {
            for (auto& candidate : temps_)
                if (candidate.pid == call.pid && candidate.fd == std::stoi(match[1]))
                    temp = &candidate;
        } else if (has_flag(call.args[4], "AT_EMPTY_PATH")) {
            temp = temp_for_fd(call);
        } else {
            temp = temp_named(resolve(call.args[0], call.args[1]));
        }
        if (!temp) return;
        if (destination == target_) return publish(temp, "linkat");
        if (directory_of(destination) == directory_) {
            temp->name = destination;
            temp->fd_paths.push_back(destination);
        }
    }

    void note_rename(const Syscall& call) {
        if (call.args.size() < 4) return;
        std::string source = resolve(call.args[0], call.args[1]);
        std::string destination = resolve(call.args[2], call.args[3]);
        if (destination == target_) publish(temp_named(source), call.name);
    }

    std::string target_;
    std::string directory_;
    std::vector<Temp> temps_;
    bool published_ = false;
    Verdict verdict_;
};

// --- The group writers: Batch and Transaction ------------------------------------------------
// Their syncs run on several threads, so order is judged by the log's line numbers: a call is
// done at the line where it returned (Syscall::end) and begins at the line where it entered
// (Syscall::start). Under strace every traced thread stops at both, so "A ended on an earlier
// line than B started" means A had returned before B entered the kernel.

struct Span {
    std::size_t start = 0, end = 0;
};

Span span_of(const Syscall& call) {
    return {call.start, call.end};
}

bool is_file_sync(const std::string& name) {
    return name == "fsync" || name == "fdatasync";
}

bool is_rename(const std::string& name) {
    return name == "rename" || name == "renameat" || name == "renameat2";
}

bool is_under(const std::string& path, const std::string& dir) {
    return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
           path[dir.size()] == '/';
}

// The write flag an open asks for, or "" when it opens for reading only.
std::string write_flag(const std::string& flags) {
    for (const char* flag : {"O_WRONLY", "O_RDWR", "O_TRUNC", "O_CREAT"})
        if (has_flag(flags, flag)) return flag;
    return "";
}

// A temp file of a group commit, known by every path strace -y showed for it (DIR/#INODE for an
// O_TMPFILE, which strace keeps showing after it is linked; its temp name; its target) and,
// while it is open, by its number (for a link through /proc/self/fd/N).
struct GroupTemp {
    std::vector<std::string> paths;
    std::string directory;
    int fd = -1;
    bool open = true;
    bool anonymous = false;
    std::vector<Span> syncs, writes;
    std::set<int> sync_threads;

    bool has_path(const std::string& path) const {
        return std::find(paths.begin(), paths.end(), path) != paths.end();
    }
    std::size_t last_write_end() const {
        std::size_t last = 0;
        for (const Span& write : writes) last = std::max(last, write.end);
        return last;
    }
    // The state of its barrier before a call beginning at line `before`.
    enum class Barrier { none, late, stale, done };
    Barrier barrier_before(std::size_t before) const {
        if (syncs.empty()) return Barrier::none;
        bool completed = false;
        for (const Span& sync : syncs) {
            if (sync.end >= before) continue;
            completed = true;
            if (sync.start > last_write_end()) return Barrier::done;
        }
        return completed ? Barrier::stale : Barrier::late;
    }
};

class GroupChecker {
  public:
    explicit GroupChecker(std::string refused) : refused_(std::move(refused)) {}
    const std::vector<std::string>& failures() const { return failures_; }

  protected:
    void fail(const std::string& why) {
        if (std::find(failures_.begin(), failures_.end(), why) == failures_.end())
            failures_.push_back(why);
    }

    // Every file created where the temps must never go ($TMPDIR) is a failure.
    void check_refused(const Syscall& call) {
        if (refused_.empty() || call.name != "openat" || call.args.size() < 3 || !call.ok()) return;
        const std::string path = resolve(call.args[0], call.args[1]);
        if ((has_flag(call.args[2], "O_CREAT") || has_flag(call.args[2], "O_TMPFILE")) &&
            (path == refused_ || is_under(path, refused_)))
            fail("a file was created in the refused directory " + refused_);
    }

    // The syncs that commit a directory's entries, by the descriptor's path: an fsync of the
    // directory; a syncfs through the directory or a file in it (the documented fallback where
    // a directory cannot be fsynced).
    void note_directory_sync(const Syscall& call) {
        if (!call.ok() || call.args.empty()) return;
        const std::string path = fd_path_of(call.args[0]);
        if (is_file_sync(call.name)) fsyncs_[path].push_back(span_of(call));
        if (call.name == "syncfs") file_system_syncs_[path].push_back(span_of(call));
    }

    // Whether a sync of DIR began after line `after` and returned before line `before`.
    bool directory_synced(const std::string& dir, std::size_t after, std::size_t before) const {
        for (const Span& sync : directory_syncs_of(dir))
            if (sync.start > after && sync.end < before) return true;
        return false;
    }

    std::vector<Span> directory_syncs_of(const std::string& dir) const {
        std::vector<Span> syncs;
        if (auto found = fsyncs_.find(dir); found != fsyncs_.end()) syncs = found->second;
        for (const auto& [path, spans] : file_system_syncs_)
            if (path == dir || directory_of(path) == dir)
                syncs.insert(syncs.end(), spans.begin(), spans.end());
        return syncs;
    }

    // How many syncs committed the entries of the directories changed (the keys of `changed`).
    std::string directory_syncs(const std::map<std::string, std::size_t>& changed) const {
        std::set<std::size_t> fsyncs, syncfs;  // by the line they entered on
        for (const auto& [dir, line] : changed)
            for (const Span& sync : directory_syncs_of(dir)) syncfs.insert(sync.start);
        for (const auto& [dir, line] : changed)
            if (auto found = fsyncs_.find(dir); found != fsyncs_.end())
                for (const Span& sync : found->second) {
                    syncfs.erase(sync.start);
                    fsyncs.insert(sync.start);
                }
        return "directories=" + std::to_string(changed.size()) + " (" +
               std::to_string(fsyncs.size()) + " fsync, " + std::to_string(syncfs.size()) +
               " syncfs)";
    }

    // Records a created temp when the open is exclusive (O_TMPFILE in DIR, O_CREAT|O_EXCL of a
    // name in DIR); returns it, or nullptr.
    GroupTemp* note_temp(const Syscall& call, const std::string& dir) {
        const std::string& flags = call.args[2];
        const std::string path = resolve(call.args[0], call.args[1]);
        const bool anonymous = has_flag(flags, "O_TMPFILE") && path == dir;
        const bool exclusive =
            has_flag(flags, "O_CREAT") && has_flag(flags, "O_EXCL") && directory_of(path) == dir;
        if (!anonymous && !exclusive) return nullptr;
        GroupTemp temp;
        temp.paths = {fd_path_of(call.result)};
        if (!anonymous) temp.paths.push_back(path);
        temp.directory = dir;
        temp.fd = fd_number(call.result);
        temp.anonymous = anonymous;
        temps_.push_back(temp);
        return &temps_.back();
    }

    GroupTemp* temp_for_fd(const std::string& arg) {
        const std::string path = fd_path_of(arg);
        for (auto& temp : temps_)
            if (temp.has_path(path)) return &temp;
        return nullptr;
    }

    GroupTemp* temp_named(const std::string& path) {
        for (auto& temp : temps_)
            if (temp.has_path(path)) return &temp;
        return nullptr;
    }

    // The temp a linkat's source names: through /proc/self/fd/N, AT_EMPTY_PATH, or its name.
    GroupTemp* link_source(const Syscall& call) {
        static const std::regex proc_fd(R"(^/proc/self/fd/(\d+)$)");
        const std::string source = unquote(call.args[1]);
        std::smatch match;
        if (std::regex_match(source, match, proc_fd)) {
            GroupTemp* found = nullptr;
            for (auto& temp : temps_)
                if (temp.open && temp.fd == std::stoi(match[1])) found = &temp;
            return found;
        }
        if (has_flag(call.args[4], "AT_EMPTY_PATH")) return temp_for_fd(call.args[0]);
        return temp_named(resolve(call.args[0], call.args[1]));
    }

    // Syncs, writes and closes of a temp.
    void note_temp_call(const Syscall& call) {
        if (!call.ok() || call.args.empty()) return;
        const std::size_t index = call.name == "splice" || call.name == "copy_file_range" ? 2 : 0;
        if (call.args.size() <= index) return;
        GroupTemp* temp = temp_for_fd(call.args[index]);
        if (!temp) return;
        if (is_file_sync(call.name)) {
            temp->syncs.push_back(span_of(call));
            temp->sync_threads.insert(call.pid);
        } else if (call.name == "write" || call.name == "pwrite64" || call.name == "writev" ||
                   call.name == "pwritev" || call.name == "ftruncate" || call.name == "splice" ||
                   call.name == "copy_file_range" || call.name == "sendfile" ||
                   call.name == "fallocate") {
            temp->writes.push_back(span_of(call));
        } else if (call.name == "close") {
            temp->open = false;
        }
    }

    std::string temps_summary() const {
        std::size_t anonymous = 0;
        std::set<int> threads;
        for (const auto& temp : temps_) {
            anonymous += temp.anonymous;
            threads.insert(temp.sync_threads.begin(), temp.sync_threads.end());
        }
        return "temps=" + std::to_string(temps_.size()) + " (" + std::to_string(anonymous) +
               " O_TMPFILE, " + std::to_string(temps_.size() - anonymous) +
               " O_CREAT|O_EXCL) sync threads=" + std::to_string(threads.size());
    }

    std::string refused_;
    std::vector<std::string> failures_;
    std::deque<GroupTemp> temps_;
    std::map<std::string, std::vector<Span>> fsyncs_, file_system_syncs_;
};

// The Batch (batch.hpp, docs/durability.md "Many files"): for every TARGET, a temp created
// exclusively in TARGET's directory; a completed fsync/fdatasync of that temp, begun after its
// last write, before the rename (or link) that publishes it at TARGET begins; after the last
// rename into each directory, a completed sync of that directory before the process exits;
// TARGET never opened for writing; nothing created in the refused directory.
class BatchChecker : public GroupChecker {
  public:
    BatchChecker(std::vector<std::string> targets, std::string refused)
        : GroupChecker(std::move(refused)), targets_(std::move(targets)) {
        for (const auto& target : targets_) directories_.insert(directory_of(target));
    }

    std::string run(const std::vector<Syscall>& calls) {
        std::size_t exit_at = 0, last_line = 0;
        for (const auto& call : calls) {
            check_target_not_written(call);
            check_refused(call);
            last_line = std::max(last_line, call.end);
            if (call.name == "exit_group" && call.pid == calls.front().pid) exit_at = call.start;
            if (!call.ok()) continue;
            note_temp_call(call);
            note_directory_sync(call);
            if (call.name == "openat" && call.args.size() >= 3) {
                const std::string path = resolve(call.args[0], call.args[1]);
                const std::string dir =
                    has_flag(call.args[2], "O_TMPFILE") ? path : directory_of(path);
                if (directories_.count(dir) && !is_target(path)) note_temp(call, dir);
            } else if (call.name == "linkat" && call.args.size() >= 5) {
                note_entry(call, link_source(call), resolve(call.args[2], call.args[3]));
            } else if (is_rename(call.name) && call.args.size() >= 4) {
                const std::string source = resolve(call.args[0], call.args[1]);
                note_entry(call, temp_named(source), resolve(call.args[2], call.args[3]), source);
            }
        }
        if (exit_at == 0) exit_at = last_line + 1;  // the log ends without the exit
        for (const auto& target : targets_) check_publication(target);
        for (const auto& [dir, last] : last_entry_)
            if (!directory_synced(dir, last, exit_at))
                fail("directory " + dir + " was not synced after its last rename");
        return "files=" + std::to_string(targets_.size()) + " " + temps_summary() +
               " published=" + std::to_string(published_.size()) + " " +
               directory_syncs(last_entry_);
    }

  private:
    struct Publication {
        Span span;
        GroupTemp* temp = nullptr;
        std::string source;
    };

    bool is_target(const std::string& path) const {
        return std::find(targets_.begin(), targets_.end(), path) != targets_.end();
    }

    void check_target_not_written(const Syscall& call) {
        if (call.name == "openat" && call.args.size() >= 3 &&
            is_target(resolve(call.args[0], call.args[1]))) {
            const std::string flag = write_flag(call.args[2]);
            if (!flag.empty())
                fail("target opened with " + flag + " by pid " + std::to_string(call.pid));
        }
        if (call.name == "truncate" && !call.args.empty() && is_target(unquote(call.args[0])))
            fail("target truncated by name");
    }

    // A new name made in a directory: the temp's name, or the publication at a target.
    void note_entry(const Syscall& call, GroupTemp* temp, const std::string& destination,
                    const std::string& source = "") {
        auto& last = last_entry_[directory_of(destination)];
        last = std::max(last, call.end);
        if (is_target(destination)) published_[destination] = {span_of(call), temp, source};
        if (temp) temp->paths.push_back(destination);
    }

    void check_publication(const std::string& target) {
        auto found = published_.find(target);
        if (found == published_.end()) return fail(target + " was never published");
        const Publication& publication = found->second;
        const GroupTemp* temp = publication.temp;
        if (!temp)
            return fail("the temp of " + target +
                        " was not created exclusively in its directory (published from " +
                        publication.source + ")");
        if (temp->directory != directory_of(target))
            return fail("the temp of " + target + " was created in " + temp->directory);
        switch (temp->barrier_before(publication.span.start)) {
            case GroupTemp::Barrier::none:
                return fail("the temp of " + target + " was not synced before its publication");
            case GroupTemp::Barrier::late:
                return fail("the temp of " + target + " was published before its sync completed");
            case GroupTemp::Barrier::stale:
                return fail("the temp of " + target + " was written after its sync");
            case GroupTemp::Barrier::done:
                return;
        }
    }

    std::vector<std::string> targets_;
    std::set<std::string> directories_;
    std::map<std::string, Publication> published_;
    std::map<std::string, std::size_t> last_entry_;  // directory: line of its last new name
};

// The Transaction (transaction.hpp, lib/src/transaction, docs/durability.md "Several files"),
// with S = ROOT/.atomfile-transaction and J = S/journal, in this order:
//   1. each new-N created exclusively in S (old-N linked there), J created exclusively, empty;
//   2. every new-N synced (begun after its last write), S synced (begun after its last new
//      entry) and ROOT synced (begun after S was made: S's name is in it), all completed before
//      J's first write;
//   3. J written, then synced (fdatasync), completed before the first change outside S (a rename
//      of new-N over its target, an unlink of a removed file, a directory made on the way);
//   4. every directory changed in step 3 synced, begun after its last change there and
//      completed before J is unlinked;
//   5. S emptied with J unlinked last, then S removed (not synced: a journal brought back by a
//      power cut changes nothing when replayed).
// No file under ROOT outside S other than the root's lock file is ever opened for writing.
class TransactionChecker : public GroupChecker {
  public:
    TransactionChecker(std::string root, std::string refused)
        : GroupChecker(std::move(refused)),
          root_(std::move(root)),
          staging_(root_ + "/.atomfile-transaction"),
          journal_(staging_ + "/journal"),
          lock_(root_ + "/.atomfile-transaction.lock") {}

    std::string run(const std::vector<Syscall>& calls) {
        for (const auto& call : calls) {
            check_target_not_written(call);
            check_refused(call);
            if (!call.ok()) continue;
            note_temp_call(call);
            note_directory_sync(call);
            note_journal_call(call);
            note_names(call);
        }
        check_order();
        return "entries=" + std::to_string(published_ + removed_) + " (" +
               std::to_string(published_) + " renamed, " + std::to_string(removed_) + " removed) " +
               temps_summary() + " journal=" + journal_sync_ + " " + directory_syncs(last_change_);
    }

  private:
    static constexpr std::size_t never = std::size_t(-1);

    bool outside_staging(const std::string& path) const {
        return is_under(path, root_) && path != staging_ && !is_under(path, staging_) &&
               path != lock_;
    }

    void check_target_not_written(const Syscall& call) {
        if (call.name != "openat" || call.args.size() < 3) return;
        const std::string path = resolve(call.args[0], call.args[1]);
        const std::string flag = write_flag(call.args[2]);
        if (!flag.empty() && outside_staging(path))
            fail(path + " opened with " + flag + " by pid " + std::to_string(call.pid));
    }

    void note_journal_call(const Syscall& call) {
        if (call.args.empty() || fd_path_of(call.args[0]) != journal_) return;
        if (call.name == "write" || call.name == "pwrite64" || call.name == "writev") {
            first_journal_write_ = std::min(first_journal_write_, call.start);
            last_journal_write_ = std::max(last_journal_write_, call.end);
        } else if (is_file_sync(call.name)) {
            journal_syncs_.push_back(span_of(call));
        }
    }

    void note_change(const std::string& path, const Syscall& call) {
        auto& last = last_change_[directory_of(path)];
        last = std::max(last, call.end);
        if (call.start >= first_change_) return;
        first_change_ = call.start;
        first_changed_ = path;
    }

    // The names made and removed: in S (staging, retirement) and outside it (publication).
    void note_names(const Syscall& call) {
        if (call.name == "openat" && call.args.size() >= 3) {
            const std::string path = resolve(call.args[0], call.args[1]);
            if (path == journal_ && has_flag(call.args[2], "O_CREAT")) {
                if (!has_flag(call.args[2], "O_EXCL"))
                    fail("the journal was not created exclusively");
                last_staging_entry_ = std::max(last_staging_entry_, call.end);
            } else if (directory_of(path) == staging_ && has_flag(call.args[2], "O_CREAT")) {
                if (!note_temp(call, staging_)) fail(path + " was not created exclusively");
                last_staging_entry_ = std::max(last_staging_entry_, call.end);
            }
        } else if (call.name == "linkat" && call.args.size() >= 5) {
            const std::string destination = resolve(call.args[2], call.args[3]);
            if (directory_of(destination) == staging_)
                last_staging_entry_ = std::max(last_staging_entry_, call.end);
            else if (outside_staging(destination))
                note_change(destination, call);
        } else if (is_rename(call.name) && call.args.size() >= 4) {
            const std::string source = resolve(call.args[0], call.args[1]);
            const std::string destination = resolve(call.args[2], call.args[3]);
            if (outside_staging(destination)) {
                note_change(destination, call);
                if (directory_of(source) == staging_) ++published_;
            }
        } else if (call.name == "unlinkat" && call.args.size() >= 3) {
            note_unlink(call, resolve(call.args[0], call.args[1]));
        } else if (call.name == "mkdirat" && call.args.size() >= 2) {
            const std::string path = resolve(call.args[0], call.args[1]);
            if (path == staging_) staging_made_ = call.end;
            if (outside_staging(path)) note_change(path, call);
        }
    }

    void note_unlink(const Syscall& call, const std::string& path) {
        if (path == journal_) {
            journal_removed_ = std::min(journal_removed_, call.start);
        } else if (path == staging_ || directory_of(path) == staging_) {
            if (journal_removed_ != never && call.start > journal_removed_ && path != staging_)
                fail(path + " was removed after the journal");
            if (path == staging_ && call.start < journal_removed_)
                fail("the staging directory was removed before the journal");
        } else if (outside_staging(path)) {
            note_change(path, call);
            ++removed_;
        }
    }

    void check_order() {
        if (first_journal_write_ == never) return fail("the journal was never written");
        for (const GroupTemp& temp : temps_) {
            const std::string name = temp.paths.back().substr(staging_.size() + 1);
            switch (temp.barrier_before(first_journal_write_)) {
                case GroupTemp::Barrier::none:
                case GroupTemp::Barrier::late:
                    fail("the staged " + name + " was not synced before the journal was written");
                    break;
                case GroupTemp::Barrier::stale:
                    fail("the staged " + name + " was written after its sync");
                    break;
                case GroupTemp::Barrier::done:
                    break;
            }
        }
        if (!directory_synced(staging_, last_staging_entry_, first_journal_write_))
            fail("the staging directory was not synced before the journal was written");
        if (staging_made_ == never) return fail("the staging directory was never made");
        if (!directory_synced(root_, staging_made_, first_journal_write_))
            fail(
                "the root was not synced after the staging directory was made, before the "
                "journal was written");
        check_journal_sync();
        if (journal_removed_ == never) return fail("the journal was never removed");
        for (const auto& [dir, last] : last_change_)
            if (!directory_synced(dir, last, journal_removed_))
                fail("directory " + dir + " was not synced after its changes before the " +
                     "journal was removed");
    }

    void check_journal_sync() {
        if (first_change_ == never) return fail("nothing was published");
        bool synced = false, completed_before = false;
        for (const Span& sync : journal_syncs_) {
            if (sync.start <= last_journal_write_) continue;
            synced = true;
            if (sync.end < first_change_) completed_before = true;
        }
        journal_sync_ = completed_before ? "synced" : "unsynced";
        if (!synced) return fail("the journal was not synced");
        if (!completed_before) fail(first_changed_ + " was renamed before the journal was synced");
    }

    std::string root_, staging_, journal_, lock_;
    std::size_t first_journal_write_ = never, last_journal_write_ = 0;
    std::size_t last_staging_entry_ = 0, first_change_ = never, journal_removed_ = never;
    std::size_t staging_made_ = never;
    std::string first_changed_, journal_sync_ = "none";
    std::vector<Span> journal_syncs_;
    std::map<std::string, std::size_t> last_change_;  // directory: line of its last change
    std::size_t published_ = 0, removed_ = 0;
};

}  // namespace

// protocol_check --batch WRITER STRACE_LOG REFUSED_DIR TARGET...
// protocol_check --transaction WRITER STRACE_LOG REFUSED_DIR ROOT
int group_main(const std::vector<std::string>& args) {
    const std::string& mode = args[0];
    const std::string& writer = args[1];
    std::vector<Syscall> calls = read_log(args[2]);
    if (calls.empty()) {
        std::cout << "protocol " << writer << ": FAIL: the log " << args[2] << " is empty\n";
        return 1;
    }
    std::string summary;
    std::vector<std::string> failures;
    if (mode == "--batch") {
        BatchChecker checker({args.begin() + 4, args.end()}, args[3]);
        summary = checker.run(calls);
        failures = checker.failures();
    } else {
        TransactionChecker checker(args[4], args[3]);
        summary = checker.run(calls);
        failures = checker.failures();
    }
    for (const auto& failure : failures)
        std::cout << "protocol " << writer << ": FAIL: " << failure << '\n';
    std::cout << "protocol " << writer << ": " << summary << " violations=" << failures.size()
              << ": " << (failures.empty() ? "PASS" : "FAIL") << '\n';
    return failures.empty() ? 0 : 1;
}

int main(int argc, char** argv) {
    const std::vector<std::string> args(argv + 1, argv + argc);
    if ((args.size() >= 5 && args[0] == "--batch") ||
        (args.size() == 5 && args[0] == "--transaction"))
        return group_main(args);
    if (argc != 4) {
        std::cerr << "usage: protocol_check WRITER TARGET STRACE_LOG\n"
                     "       protocol_check --batch WRITER STRACE_LOG REFUSED_DIR TARGET...\n"
                     "       protocol_check --transaction WRITER STRACE_LOG REFUSED_DIR ROOT\n";
        return 2;
    }
    Verdict verdict = Checker(argv[2]).run(read_log(argv[3]));
    for (const auto& failure : verdict.failures)
        std::cout << "protocol " << argv[1] << ": FAIL: " << failure << '\n';
    std::cout << "protocol " << argv[1] << ": create=" << verdict.create << " sync=" << verdict.sync
              << " publish=" << verdict.publish << " dirsync=" << verdict.directory_sync
              << " violations=" << verdict.failures.size() << ": "
              << (verdict.failures.empty() ? "PASS" : "FAIL") << '\n';
    return verdict.failures.empty() ? 0 : 1;
}
