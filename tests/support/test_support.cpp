#include "support/test_support.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>

namespace atomfile::test {

ScratchDir::ScratchDir() {
    std::string pattern = (fs::temp_directory_path() / "atomfile-test-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
}

ScratchDir::~ScratchDir() {
    std::error_code ec;
    // Tests make read-only directories on purpose; give write access back before removing.
    for (auto it = fs::recursive_directory_iterator(path_, ec); !ec && it != fs::end(it);
         it.increment(ec)) {
        if (it->is_directory(ec) && !it->is_symlink(ec))
            fs::permissions(it->path(), fs::perms::owner_all, fs::perm_options::add, ec);
    }
    fs::remove_all(path_, ec);
}

std::string read_file(const fs::path& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path.string());
    std::ostringstream content;
    content << in.rdbuf();
    return content.str();
}

void write_file(const fs::path& path, const std::string& content) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << content;
    if (!out) throw std::runtime_error("cannot write " + path.string());
}

std::vector<std::string> list_dir(const fs::path& path) {
    std::vector<std::string> names;
    for (const auto& entry : fs::directory_iterator(path)) names.push_back(entry.path().filename());
    std::sort(names.begin(), names.end());
    return names;
}

unsigned file_mode(const fs::path& path, bool follow) {
    struct stat st;
    int result = follow ? ::stat(path.c_str(), &st) : ::lstat(path.c_str(), &st);
    if (result != 0) throw std::runtime_error("cannot stat " + path.string());
    return st.st_mode & 07777;
}

ScopedFault::ScopedFault(platform::Call call, int error, int nth)
    : ScopedFault(std::vector<Rule>{{call, error, nth}}) {}

ScopedFault::ScopedFault(std::vector<Rule> rules)
    : rules_(std::move(rules)),
      seen_(rules_.size(), 0),
      scope_([this](platform::Call call) { return decide(call); }) {}

// Every rule counts every call of its kind, whether or not an earlier rule fails it, so each
// rule's nth is the nth call of its kind.
int ScopedFault::decide(platform::Call call) {
    int error = 0;
    for (std::size_t i = 0; i < rules_.size(); ++i) {
        if (rules_[i].call != call) continue;
        ++seen_[i];
        if (error == 0 && (rules_[i].nth == 0 || seen_[i] == rules_[i].nth))
            error = rules_[i].error;
    }
    fired_ = fired_ || error != 0;
    return error;
}

CallRecorder::CallRecorder()
    : scope_([this](platform::Call call) {
          calls_.push_back(call);
          return 0;
      }) {}

int CallRecorder::count(platform::Call call) const {
    return static_cast<int>(std::count(calls_.begin(), calls_.end(), call));
}

namespace {

std::string drain(int fd) {
    std::string out;
    char buffer[65536];
    ssize_t got;
    while ((got = ::read(fd, buffer, sizeof buffer)) > 0) out.append(buffer, got);
    return out;
}

}  // namespace

CommandResult run_command(const std::vector<std::string>& argv, const std::string& input,
                          const std::vector<std::string>& extra_env) {
    // Files rather than pipes for the outputs, so a large output cannot deadlock the test.
    char in_name[] = "/tmp/atomfile-test-in-XXXXXX";
    char out_name[] = "/tmp/atomfile-test-out-XXXXXX";
    char err_name[] = "/tmp/atomfile-test-err-XXXXXX";
    int in_fd = ::mkstemp(in_name), out_fd = ::mkstemp(out_name), err_fd = ::mkstemp(err_name);
    ::unlink(in_name);
    ::unlink(out_name);
    ::unlink(err_name);
    if (::write(in_fd, input.data(), input.size()) != static_cast<ssize_t>(input.size()))
        throw std::runtime_error("cannot stage command input");
    ::lseek(in_fd, 0, SEEK_SET);
    pid_t pid = ::fork();
    if (pid == 0) {
        ::dup2(in_fd, 0);
        ::dup2(out_fd, 1);
        ::dup2(err_fd, 2);
        for (const auto& entry : extra_env) ::putenv(const_cast<char*>(entry.c_str()));
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    CommandResult result;
    int status = 0;
    ::waitpid(pid, &status, 0);
    result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    ::lseek(out_fd, 0, SEEK_SET);
    ::lseek(err_fd, 0, SEEK_SET);
    result.out = drain(out_fd);
    result.err = drain(err_fd);
    ::close(in_fd);
    ::close(out_fd);
    ::close(err_fd);
    return result;
}

std::string tool_path(const std::string& name) {
    return std::string(ATOMFILE_TOOLS_DIR) + "/" + name;
}

bool running_as_root() {
    return ::geteuid() == 0;
}

int count_failed_children(const std::vector<pid_t>& children) {
    int failed = 0;
    for (pid_t pid : children) {
        int status = 0;
        ::waitpid(pid, &status, 0);
        failed += !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
    }
    return failed;
}

}  // namespace atomfile::test
