// Benchmark: SIZE bytes through a pipe into FILE, in two cases:
//   create    FILE does not exist
//   replace   FILE exists, SIZE bytes, cached and clean (the previous measurement's output)
// by these commands, in the same run:
//   atomic-write FILE          (durability full: fsync file, rename, fsync directory)
//   cat+sync                   cat > FILE && sync FILE: the plain, non-atomic peer with the same
//                              fsync (FILE opened with O_TRUNC, as the shell's > does)
//   cat                        cat > FILE, never synced: the floor, what the pipe and the page
//                              cache alone cost
//   sponge FILE                (moreutils: buffers the input in memory, no fsync)
//   direct+fsync               (no pipe, no tool: SIZE bytes from memory, O_DIRECT in 32 MiB
//                               blocks, then fsync: a yardstick for the disk's durable rate)
// Within a case the commands are interleaved, their order rotated each run, since a measurement
// can slow the one after it (the disk still settling). After each run's replace case, the
// unlink of the SIZE-byte FILE (cached, clean) is timed on its own ("free old"): every command
// that replaces a file pays it once, inside its own time (cat when the shell truncates FILE,
// atomic-write when the rename drops the old file's last name and it closes the file).
// direct+fsync, which is not a peer and upsets the measurement after it the most, runs after
// everything else.
// Reports each run's wall time, throughput, system CPU and the peak RSS of the consuming
// process (ru_maxrss and ru_stime from wait4; for cat+sync, cat's and sync's added), then per
// case the medians and the ratios set as targets: atomic-write >= 0.9x cat+sync, peak RSS
// <= 8 MiB (and the earlier >= 2x sponge goal, with the yardstick that says what it asks of the
// disk).
//
// Usage: bench_atomic_write [--size 1G] [--runs 5] [--dir DIR] [--atomic-write PATH]
//                           [--input FILE] [--cases create,replace]
// DIR must be on a real file system (not tmpfs) for the figures to mean anything; default ".".
// --input FILE: the producer is `cat FILE` (its SIZE first bytes) instead of a process writing
// a pattern from memory.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <map>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

struct Settings {
    std::uint64_t size = 1ull << 30;
    int runs = 5;
    std::string dir = ".";
    std::string atomic_write = ATOMFILE_ATOMIC_WRITE_PATH;
    std::string input;  // empty: a pattern from memory
    std::vector<std::string> cases = {"create", "replace"};
};

struct Sample {
    double seconds = 0;
    double system_seconds = 0;
    long peak_rss_kib = 0;
};

std::uint64_t parse_size(const std::string& text) {
    std::size_t end = 0;
    std::uint64_t value = std::stoull(text, &end);
    std::string unit = text.substr(end);
    if (unit == "K") return value << 10;
    if (unit == "M") return value << 20;
    if (unit == "G") return value << 30;
    if (unit.empty()) return value;
    throw std::invalid_argument("bad size: " + text);
}

std::vector<std::string> split_list(const std::string& text, char separator = ',') {
    std::vector<std::string> items;
    for (std::size_t start = 0; start <= text.size();) {
        std::size_t end = std::min(text.find(separator, start), text.size());
        items.push_back(text.substr(start, end - start));
        start = end + 1;
    }
    return items;
}

Settings parse_settings(int argc, char** argv) {
    Settings settings;
    if (argc % 2 == 0) throw std::invalid_argument("every option takes a value");
    for (int i = 1; i + 1 < argc; i += 2) {
        std::string option = argv[i], value = argv[i + 1];
        if (option == "--size")
            settings.size = parse_size(value);
        else if (option == "--runs")
            settings.runs = std::stoi(value);
        else if (option == "--dir")
            settings.dir = value;
        else if (option == "--atomic-write")
            settings.atomic_write = value;
        else if (option == "--input")
            settings.input = value;
        else if (option == "--cases")
            settings.cases = split_list(value);
        else
            throw std::invalid_argument("unknown option " + option);
    }
    for (const auto& name : settings.cases)
        if (name != "create" && name != "replace")
            throw std::invalid_argument("unknown case " + name + " (create, replace)");
    if (settings.runs < 1) throw std::invalid_argument("--runs must be at least 1");
    return settings;
}

[[noreturn]] void exec_or_die(const std::vector<std::string>& argv) {
    std::vector<char*> raw;
    for (const auto& arg : argv) raw.push_back(const_cast<char*>(arg.c_str()));
    raw.push_back(nullptr);
    ::execvp(raw[0], raw.data());
    std::perror(raw[0]);
    ::_exit(127);
}

pid_t fork_or_throw() {
    pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
    return pid;
}

// A child that writes size bytes into the pipe, like the upstream command of a pipeline: a
// pattern from memory, or `head -c SIZE FILE` when an input file is given.
pid_t start_producer(int pipe_write, const Settings& settings) {
    pid_t pid = fork_or_throw();
    if (pid != 0) return pid;
    if (!settings.input.empty()) {
        ::dup2(pipe_write, 1);
        exec_or_die({"head", "-c", std::to_string(settings.size), settings.input});
    }
    std::vector<char> block(1 << 20);
    for (std::size_t i = 0; i < block.size(); ++i) block[i] = static_cast<char>('a' + i % 26);
    for (std::uint64_t size = settings.size; size > 0;) {
        std::size_t chunk = std::min<std::uint64_t>(size, block.size());
        ssize_t written = ::write(pipe_write, block.data(), chunk);
        if (written <= 0) ::_exit(1);
        size -= static_cast<std::uint64_t>(written);
    }
    ::_exit(0);
}

// Starts argv with the pipe as standard input and, when stdout_path is set, standard output
// opened on that file as the shell's > opens it.
pid_t start_consumer(int pipe_read, const std::vector<std::string>& argv,
                     const std::string& stdout_path) {
    pid_t pid = fork_or_throw();
    if (pid != 0) return pid;
    ::dup2(pipe_read, 0);
    if (!stdout_path.empty()) {
        int out = ::open(stdout_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (out < 0) ::_exit(126);
        ::dup2(out, 1);
    }
    exec_or_die(argv);
}

// Waits for the child; adds its system CPU to the sample and raises the sample's peak RSS.
void wait_for(pid_t pid, const char* what, Sample& sample) {
    int status = 0;
    struct rusage usage {};
    if (::wait4(pid, &status, 0, &usage) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
        throw std::runtime_error(std::string(what) + " failed");
    sample.system_seconds +=
        static_cast<double>(usage.ru_stime.tv_sec) + usage.ru_stime.tv_usec / 1e6;
    sample.peak_rss_kib = std::max(sample.peak_rss_kib, usage.ru_maxrss);
}

// Times `producer | consumer` and then, if given, a follow-up command (sync FILE). The
// producer's own CPU and memory are not the consumer's and are left out.
Sample measure(const Settings& settings, const std::vector<std::string>& consumer,
               const std::string& stdout_path, const std::vector<std::string>& follow_up) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    auto start = std::chrono::steady_clock::now();
    pid_t producer = start_producer(fds[1], settings);
    pid_t reader = start_consumer(fds[0], consumer, stdout_path);
    ::close(fds[0]);
    ::close(fds[1]);
    Sample sample;
    wait_for(reader, consumer.front().c_str(), sample);
    Sample ignored;
    wait_for(producer, "producer", ignored);
    if (!follow_up.empty()) {
        pid_t pid = fork_or_throw();
        if (pid == 0) exec_or_die(follow_up);
        wait_for(pid, "sync", sample);
    }
    sample.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return sample;
}

// Writes SIZE bytes from memory with O_DIRECT (an unaligned tail, or a file system refusing
// O_DIRECT, through the page cache, said on stderr), then fsyncs. Returns whether every step
// succeeded; the caller is a child about to exit, so a failure leaves the descriptor to exit.
bool write_directly(const std::string& file, std::uint64_t size, const char* block,
                    std::size_t block_size) {
    int fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_DIRECT, 0644);
    if (fd < 0 && errno == EINVAL) {
        std::fprintf(stderr, "direct+fsync: O_DIRECT refused here, writing buffered\n");
        fd = ::open(file.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    }
    if (fd < 0) return false;
    for (std::uint64_t left = size; left > 0;) {
        std::size_t chunk = std::min<std::uint64_t>(left, block_size);
        if (chunk % 4096 != 0) ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) & ~O_DIRECT);
        if (::write(fd, block, chunk) != static_cast<ssize_t>(chunk)) return false;
        left -= chunk;
    }
    return ::fsync(fd) == 0 && ::close(fd) == 0;
}

// A yardstick for the disk's durable rate: SIZE bytes from memory written with O_DIRECT (the
// page cache and its writeback throttling bypassed) in blocks big enough to keep many requests
// in flight, then fsync. A child fills its block before starting its own clock and reports the
// time through a pipe: the figure is the disk's alone, and the 32 MiB block never lives in
// this process, whose pages every later child would count in its peak RSS until exec.
Sample measure_direct_write(const Settings& settings, const std::string& file) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
    pid_t pid = fork_or_throw();
    if (pid == 0) {
        const std::size_t block_size =
            std::max<std::uint64_t>(4096, std::min<std::uint64_t>(32u << 20, settings.size));
        auto* block = static_cast<char*>(std::aligned_alloc(4096, (block_size + 4095) & ~4095ul));
        if (block == nullptr) ::_exit(1);
        std::memset(block, 'a', block_size);
        auto start = std::chrono::steady_clock::now();
        if (!write_directly(file, settings.size, block, block_size)) {
            std::perror("direct+fsync");
            ::_exit(1);
        }
        double seconds =
            std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
        ::_exit(::write(fds[1], &seconds, sizeof seconds) == sizeof seconds ? 0 : 1);
    }
    ::close(fds[1]);
    Sample sample;
    double seconds = 0;
    bool reported = ::read(fds[0], &seconds, sizeof seconds) == sizeof seconds;
    ::close(fds[0]);
    wait_for(pid, "direct+fsync", sample);
    if (!reported) throw std::runtime_error("direct+fsync reported no time");
    sample.seconds = seconds;
    return sample;
}

// The unlink of FILE on its own: what dropping the old file's last name costs (its cached
// pages and its extents freed), which every command of the replace case pays once.
Sample measure_free_old(const std::string& file) {
    auto start = std::chrono::steady_clock::now();
    if (::unlink(file.c_str()) != 0) throw std::runtime_error("unlink " + file + " failed");
    Sample sample;
    sample.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    return sample;
}

bool in_path(const std::string& program) {
    const char* path = std::getenv("PATH");
    std::string directories = path ? path : "/usr/bin:/bin";
    for (const auto& directory : split_list(directories, ':'))
        if (::access((directory + "/" + program).c_str(), X_OK) == 0) return true;
    return false;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

std::uint64_t file_size(const std::string& file) {
    struct stat status {};
    return ::stat(file.c_str(), &status) == 0 ? static_cast<std::uint64_t>(status.st_size) : 0;
}

// Leaves FILE as the case needs it: absent, or SIZE bytes (normally the previous measurement's
// output already; written afresh otherwise), on disk and in the page cache.
void prepare(const std::string& which_case, const Settings& settings, const std::string& file) {
    if (which_case == "create")
        ::unlink(file.c_str());
    else if (file_size(file) != settings.size)
        measure(settings, {"cat"}, file, {});
    ::sync();  // start each measurement without the previous one's dirty pages
}

Sample measure_method(const std::string& name, const Settings& settings, const std::string& file) {
    if (name == "atomic-write") return measure(settings, {settings.atomic_write, file}, "", {});
    if (name == "cat+sync") return measure(settings, {"cat"}, file, {"sync", file});
    if (name == "cat") return measure(settings, {"cat"}, file, {});
    if (name == "sponge") return measure(settings, {"sponge", file}, "", {});
    return measure_direct_write(settings, file);
}

using Key = std::pair<std::string, std::string>;  // case, command

struct Results {
    std::map<Key, std::vector<double>> throughput;
    std::map<Key, std::vector<double>> system_seconds;
    std::map<Key, long> peak_rss;
    std::vector<double> free_old_seconds;
};

void record(Results& results, int run, const Key& key, const Sample& sample, double mib) {
    double rate = mib / sample.seconds;
    results.throughput[key].push_back(rate);
    results.system_seconds[key].push_back(sample.system_seconds);
    results.peak_rss[key] = std::max(results.peak_rss[key], sample.peak_rss_kib);
    std::printf("run %d  %-8s %-12s %8.3f s  %8.1f MiB/s  peak RSS %7ld KiB  sys %6.3f s\n", run,
                key.first.c_str(), key.second.c_str(), sample.seconds, rate, sample.peak_rss_kib,
                sample.system_seconds);
    std::fflush(stdout);
}

double median_of(Results& results, const std::string& which_case, const std::string& name) {
    auto found = results.throughput.find({which_case, name});
    return found == results.throughput.end() ? 0 : median(found->second);
}

// A ratio that is a yardstick, not a target, and one that is a target, with its verdict.
void print_ratio(const char* label, double value, const char* note) {
    std::printf("  %-36s %6.2fx %s\n", label, value, note);
}

void print_target(const char* label, double value, const char* target, bool met) {
    std::printf("  %-36s %6.2fx %s  %s\n", label, value, target, met ? "met" : "MISSED");
}

// The medians of one case and its ratios.
void report_case(Results& results, const std::string& which_case) {
    std::printf("\n%s: median throughput (MiB/s), median system CPU (s), max peak RSS (KiB):\n",
                which_case.c_str());
    for (const char* name : {"atomic-write", "cat+sync", "cat", "sponge", "direct+fsync"}) {
        Key key{which_case, name};
        if (results.throughput.count(key))
            std::printf("  %-12s %8.1f  %6.3f  %7ld\n", name, median(results.throughput[key]),
                        median(results.system_seconds[key]), results.peak_rss[key]);
    }
    const double ours = median_of(results, which_case, "atomic-write");
    const double with_sync = median_of(results, which_case, "cat+sync");
    const double floor = median_of(results, which_case, "cat");
    const double sponge = median_of(results, which_case, "sponge");
    const double disk = median_of(results, "create", "direct+fsync");
    if (with_sync > 0)
        print_target("atomic-write / cat+sync:", ours / with_sync, "(target >= 0.9)",
                     ours / with_sync >= 0.9);
    if (floor > 0) print_ratio("atomic-write / cat (no sync floor):", ours / floor, "");
    if (disk > 0)
        print_ratio("atomic-write / direct+fsync:", ours / disk, "(the disk's durable rate)");
    if (sponge > 0) {
        print_target("atomic-write / sponge:", ours / sponge, "(target >= 2)", ours / sponge >= 2);
        if (disk > 0)
            print_ratio("direct+fsync / sponge:", disk / sponge,
                        "(what 2x sponge asks of the disk)");
    }
    const double rss_mib =
        static_cast<double>(results.peak_rss[{which_case, "atomic-write"}]) / 1024;
    std::printf("  %-36s %6.1f MiB (target <= 8)  %s\n", "atomic-write peak RSS:", rss_mib,
                rss_mib <= 8 ? "met" : "MISSED");
}

void report(Results& results, const Settings& settings) {
    for (const auto& which_case : settings.cases) report_case(results, which_case);
    if (!results.free_old_seconds.empty())
        std::printf("\nfree old: unlink of the cached %0.f MiB file, median %.3f s\n",
                    static_cast<double>(settings.size) / (1 << 20),
                    median(results.free_old_seconds));
}

}  // namespace

int main(int argc, char** argv) try {
    const Settings settings = parse_settings(argc, argv);
    const std::string file = settings.dir + "/bench_atomic_write.out";
    const double mib = static_cast<double>(settings.size) / (1 << 20);
    std::vector<std::string> peers = {"atomic-write", "cat+sync", "cat", "sponge"};
    if (!in_path("sponge")) {
        std::printf("sponge not found (Debian package moreutils): not measured\n");
        peers.pop_back();
    }
    Results results;
    std::printf("%.0f MiB through a pipe from %s, %d runs, cases %s, file %s\n", mib,
                settings.input.empty() ? "memory" : settings.input.c_str(), settings.runs,
                settings.cases.size() == 2 ? "create and replace" : settings.cases[0].c_str(),
                file.c_str());
    for (int run = 1; run <= settings.runs; ++run) {
        for (const auto& which_case : settings.cases) {
            for (const auto& name : peers) {
                prepare(which_case, settings, file);
                record(results, run, {which_case, name}, measure_method(name, settings, file), mib);
            }
            if (which_case == "replace") {
                prepare(which_case, settings, file);
                Sample freed = measure_free_old(file);
                results.free_old_seconds.push_back(freed.seconds);
                std::printf("run %d  %-8s %-12s %8.3f s\n", run, "replace", "free-old",
                            freed.seconds);
            }
        }
        std::rotate(peers.begin(), peers.begin() + 1, peers.end());
    }
    for (int run = 1; run <= settings.runs; ++run) {
        prepare("create", settings, file);
        record(results, run, {"create", "direct+fsync"}, measure_direct_write(settings, file), mib);
    }
    ::unlink(file.c_str());
    report(results, settings);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_atomic_write: %s\n", e.what());
    return 1;
}
