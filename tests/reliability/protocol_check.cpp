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
#include <algorithm>
#include <cstdio>
#include <fstream>
#include <iostream>
#include <map>
#include <optional>
#include <regex>
#include <string>
#include <vector>

namespace {

struct Syscall {
    int pid = 0;
    std::string name;
    std::vector<std::string> args;
    std::string result;
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
    std::map<int, std::string> pending;
    static const std::regex line_shape(R"(^(\d+)\s+(.*)$)");
    static const std::regex resumed(R"(^<\.\.\. [a-z0-9_]+ resumed>(.*)$)");
    std::string line;
    while (std::getline(in, line)) {
        std::smatch match;
        if (!std::regex_match(line, match, line_shape)) continue;
        int pid = std::stoi(match[1]);
        std::string body = match[2];
        const std::string unfinished = " <unfinished ...>";
        if (body.size() > unfinished.size() &&
            body.compare(body.size() - unfinished.size(), unfinished.size(), unfinished) == 0) {
            pending[pid] = body.substr(0, body.size() - unfinished.size());
            continue;
        }
        std::smatch rest;
        if (std::regex_match(body, rest, resumed)) body = pending[pid] + std::string(rest[1]);
        if (auto call = parse(pid, body)) calls.push_back(*call);
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

}  // namespace

int main(int argc, char** argv) {
    if (argc != 4) {
        std::cerr << "usage: protocol_check WRITER TARGET STRACE_LOG\n";
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
