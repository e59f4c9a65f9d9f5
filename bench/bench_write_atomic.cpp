// Benchmark: replacing a 4 KiB file durably, against the bare system calls and GLib.
//   write_atomic at each durability level (full, data, none)
//   the bare system-call sequence: open(O_CREAT|O_EXCL), write, fsync, close, rename, then
//     open, fsync, close of the directory (and the same without the syncs)
//   GLib's g_file_set_contents_full(CONSISTENT|DURABLE)
// Methods are interleaved in the same run: each round times `--ops` replaces of every method,
// in an order rotated each round; the table shows the median over rounds of the time per
// replace, with the min-max range, and each median's ratio to the bare sequence.
//
// Usage: bench_write_atomic [--dir DIR] [--rounds 9] [--ops 100] [--only METHOD]
// DIR must be on a real disk (not tmpfs) for the figures to mean anything; default ".".
// --only runs a single method (for strace -c or perf).
#include <fcntl.h>
#include <glib.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/replace.hpp"
#include "platform/linux.hpp"

namespace {

struct Settings {
    std::string dir = ".";
    int rounds = 9;
    int ops = 100;
    std::string only;
};

struct Method {
    std::string name;
    std::function<void(const std::string& path, const std::string& data)> replace;
    std::vector<double> per_op_us;
};

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

// The minimal correct durable replace, written directly against the kernel.
void bare_replace(const std::string& path, const std::string& data, bool sync) {
    const std::string temp = path + ".bare-tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
    check(fd >= 0, "open temp");
    check(::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()), "write");
    if (sync) check(::fsync(fd) == 0, "fsync");
    ::close(fd);
    check(::rename(temp.c_str(), path.c_str()) == 0, "rename");
    if (!sync) return;
    std::string dir = path.substr(0, path.rfind('/'));
    int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    check(dir_fd >= 0 && ::fsync(dir_fd) == 0, "fsync directory");
    ::close(dir_fd);
}

void glib_replace(const std::string& path, const std::string& data) {
    GError* error = nullptr;
    auto flags = static_cast<GFileSetContentsFlags>(G_FILE_SET_CONTENTS_CONSISTENT |
                                                    G_FILE_SET_CONTENTS_DURABLE);
    if (!g_file_set_contents_full(path.c_str(), data.data(), static_cast<gssize>(data.size()),
                                  flags, 0644, &error)) {
        std::string message = error->message;
        g_error_free(error);
        throw std::runtime_error("g_file_set_contents_full: " + message);
    }
}

// Refuses O_TMPFILE through the platform's fault seam, so write_atomic takes its named-temp
// path: measures what O_TMPFILE costs or saves.
int refuse_anonymous(atomfile::platform::Call call) {
    return call == atomfile::platform::Call::create_anonymous ? EOPNOTSUPP : 0;
}

atomfile::ReplaceOptions durability(atomfile::Durability level) {
    atomfile::ReplaceOptions options;
    options.durability = level;
    return options;
}

std::vector<Method> methods() {
    using atomfile::Durability;
    auto atomic = [](Durability level) {
        return [options = durability(level)](const std::string& p, const std::string& d) {
            atomfile::write_atomic(p, d, options);
        };
    };
    auto named = [](Durability level) {
        return [options = durability(level)](const std::string& p, const std::string& d) {
            atomfile::platform::FaultScope refuse(refuse_anonymous);
            atomfile::write_atomic(p, d, options);
        };
    };
    return {
        {"bare syscalls (fsync file + dir)",
         [](auto& p, auto& d) { bare_replace(p, d, true); },
         {}},
        {"write_atomic, Durability::full", atomic(Durability::full), {}},
        {"GLib g_file_set_contents_full(CONSISTENT|DURABLE)", glib_replace, {}},
        {"write_atomic, Durability::data", atomic(Durability::data), {}},
        {"bare syscalls, no sync", [](auto& p, auto& d) { bare_replace(p, d, false); }, {}},
        {"write_atomic, Durability::none", atomic(Durability::none), {}},
        {"write_atomic, Durability::full, named temp", named(Durability::full), {}},
        {"write_atomic, Durability::none, named temp", named(Durability::none), {}},
    };
}

double time_round(Method& method, const std::string& path, const std::string& data, int ops) {
    auto start = std::chrono::steady_clock::now();
    for (int i = 0; i < ops; ++i) method.replace(path, data);
    std::chrono::duration<double, std::micro> elapsed = std::chrono::steady_clock::now() - start;
    return elapsed.count() / ops;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    std::size_t mid = values.size() / 2;
    return values.size() % 2 ? values[mid] : (values[mid - 1] + values[mid]) / 2;
}

Settings parse(int argc, char** argv) {
    Settings settings;
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string flag = argv[i];
        if (flag == "--dir")
            settings.dir = argv[i + 1];
        else if (flag == "--rounds")
            settings.rounds = std::atoi(argv[i + 1]);
        else if (flag == "--ops")
            settings.ops = std::atoi(argv[i + 1]);
        else if (flag == "--only")
            settings.only = argv[i + 1];
        else
            throw std::runtime_error("unknown option " + flag);
    }
    if (settings.rounds < 1 || settings.ops < 1) throw std::runtime_error("rounds and ops >= 1");
    return settings;
}

void print_table(const std::vector<Method>& all, const Settings& settings) {
    std::printf("4 KiB replace, %d rounds x %d replaces per method, interleaved; dir %s\n\n",
                settings.rounds, settings.ops, settings.dir.c_str());
    std::printf(
        "| method | median us/replace | min-max | vs bare (same sync) |\n|---|---|---|---|\n");
    double bare_sync = median(all[0].per_op_us);
    double bare_none = median(all[4].per_op_us);
    for (std::size_t i = 0; i < all.size(); ++i) {
        const Method& m = all[i];
        double med = median(m.per_op_us);
        auto [lo, hi] = std::minmax_element(m.per_op_us.begin(), m.per_op_us.end());
        bool unsynced =
            m.name.find("none") != std::string::npos || m.name.find("no sync") != std::string::npos;
        double base = unsynced ? bare_none : bare_sync;
        std::printf("| %s | %.1f | %.1f-%.1f | %.3fx |\n", m.name.c_str(), med, *lo, *hi,
                    med / base);
    }
}

}  // namespace

int main(int argc, char** argv) try {
    Settings settings = parse(argc, argv);
    std::vector<Method> all = methods();
    const std::string data(4096, 'a');
    const std::string path = settings.dir + "/bench-target";
    for (Method& m : all) m.replace(path, data);  // warm up, and the target exists from now on
    if (!settings.only.empty()) {
        for (Method& m : all)
            if (m.name.find(settings.only) != std::string::npos)
                std::printf("%s: %.1f us/replace\n", m.name.c_str(),
                            time_round(m, path, data, settings.ops));
        return 0;
    }
    for (int round = 0; round < settings.rounds; ++round) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            Method& m = all[(k + static_cast<std::size_t>(round)) % all.size()];
            m.per_op_us.push_back(time_round(m, path, data, settings.ops));
        }
    }
    ::unlink(path.c_str());
    print_table(all, settings);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_write_atomic: %s\n", e.what());
    return 1;
}
