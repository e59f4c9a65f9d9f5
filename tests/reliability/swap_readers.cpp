// The swap proof's writer and readers: swap_readers directory|symlink ROOT SWAPS [READERS]
//   directory  replace_directory(ROOT/site) SWAPS times, each new tree of generation g
//   symlink    replace_symlink(ROOT/current) SWAPS times between versions made beforehand
// while READERS (default 2) processes loop: open the directory (through the link), read its
// MANIFEST (generation and file names) and every file it lists through that one descriptor.
// A file naming another generation is a mixed tree; a name that cannot be opened (at all, or
// a listed file missing while the name still leads to the same directory) is a torn swap. A
// file that vanished because its old tree was removed after the swap (the name now leads
// elsewhere) is counted as "retired", not a failure: that reader held the old tree.
// Prints one summary line and exits 0 when no reader saw a mixed or torn tree.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <vector>

#include "atomfile/swap.hpp"

namespace {

constexpr int files_per_tree = 12;

struct Counters {
    std::atomic<long> reads{0}, mixed{0}, torn{0}, retired{0};
    std::atomic<bool> stop{false};
};

void write_tree(const std::string& dir, long generation) {
    std::ofstream manifest(dir + "/MANIFEST");
    manifest << generation << '\n';
    ::mkdir((dir + "/sub").c_str(), 0755);
    for (int i = 0; i < files_per_tree; ++i) {
        const std::string name = (i % 4 == 0 ? "sub/f" : "f") + std::to_string(i);
        std::ofstream(dir + "/" + name) << generation << '\n';
        manifest << name << '\n';
    }
}

bool read_at(int dir_fd, const std::string& name, std::string& text) {
    int fd = ::openat(dir_fd, name.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return false;
    char buffer[256];
    ssize_t got = ::read(fd, buffer, sizeof buffer);
    ::close(fd);
    text.assign(buffer, got > 0 ? static_cast<std::size_t>(got) : 0);
    return true;
}

bool same_directory(const std::string& path, int fd) {
    struct stat named {
    }, held{};
    return ::stat(path.c_str(), &named) == 0 && ::fstat(fd, &held) == 0 &&
           named.st_ino == held.st_ino && named.st_dev == held.st_dev;
}

// One look at the tree; what went wrong, if anything, is counted.
void read_once(const std::string& path, Counters& counters) {
    int dir_fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd < 0) {
        ++counters.torn;  // the name must always lead to a whole tree
        return;
    }
    std::string manifest;
    bool whole = read_at(dir_fd, "MANIFEST", manifest);
    std::size_t at = manifest.find('\n');
    const std::string generation = manifest.substr(0, at + 1);
    while (whole && at != std::string::npos && at + 1 < manifest.size()) {
        std::size_t end = manifest.find('\n', at + 1);
        std::string name = manifest.substr(at + 1, end - at - 1), text;
        at = end;
        if (!read_at(dir_fd, name, text)) {
            whole = false;
        } else if (text != generation) {
            ++counters.mixed;
            std::fprintf(stderr, "MIXED: %s holds %s in generation %s", name.c_str(), text.c_str(),
                         generation.c_str());
        }
    }
    if (!whole) ++(same_directory(path, dir_fd) ? counters.torn : counters.retired);
    ++counters.reads;
    ::close(dir_fd);
}

void swap_directories(const std::string& root, long swaps) {
    for (long g = 1; g <= swaps; ++g)
        atomfile::replace_directory(root + "/site",
                                    [g](const std::string& staging) { write_tree(staging, g); });
}

void swap_links(const std::string& root, long swaps) {
    for (int v = 0; v < 4; ++v) {
        ::mkdir((root + "/v" + std::to_string(v)).c_str(), 0755);
        write_tree(root + "/v" + std::to_string(v), v);
    }
    for (long g = 1; g <= swaps; ++g)
        atomfile::replace_symlink(root + "/current", "v" + std::to_string(g % 4));
}

}  // namespace

int main(int argc, char** argv) try {
    if (argc < 4) {
        std::fprintf(stderr, "usage: swap_readers directory|symlink ROOT SWAPS [READERS]\n");
        return 2;
    }
    const std::string mode = argv[1], root = argv[2];
    const long swaps = std::atol(argv[3]);
    const int readers = argc > 4 ? std::atoi(argv[4]) : 2;
    const bool links = mode == "symlink";
    const std::string path = root + (links ? "/current" : "/site");
    // The first generation is in place before any reader looks.
    if (links) {
        swap_links(root, 0);
        atomfile::replace_symlink(path, "v0");
    } else {
        swap_directories(root, 0);
        atomfile::replace_directory(path, [](const std::string& s) { write_tree(s, 0); });
    }
    void* shared = ::mmap(nullptr, sizeof(Counters), PROT_READ | PROT_WRITE,
                          MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED) throw std::runtime_error("mmap");
    auto* counters = new (shared) Counters;
    std::vector<pid_t> children;
    for (int r = 0; r < readers; ++r) {
        pid_t pid = ::fork();
        if (pid == 0) {
            while (!counters->stop) read_once(path, *counters);
            ::_exit(0);
        }
        children.push_back(pid);
    }
    links ? swap_links(root, swaps) : swap_directories(root, swaps);
    counters->stop = true;
    for (pid_t pid : children) ::waitpid(pid, nullptr, 0);
    std::printf(
        "swap readers %s: %ld swaps, %d readers, %ld reads, %ld mixed, %ld torn, "
        "%ld retired mid-read\n",
        mode.c_str(), swaps, readers, counters->reads.load(), counters->mixed.load(),
        counters->torn.load(), counters->retired.load());
    return counters->mixed == 0 && counters->torn == 0 && counters->reads > 0 ? 0 : 1;
} catch (const std::exception& e) {
    std::fprintf(stderr, "swap_readers: %s\n", e.what());
    return 1;
}
