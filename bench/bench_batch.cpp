// Benchmark: many small files made durable one by one, in one group commit, and not at all.
//   S  sequential write_atomic, Durability::full (an fsync of each file and of its directory)
//   B  Batch::commit of the same files (atomfile/batch.hpp)
//   F  the floor: open, write, close, rename of each file with no sync at all (the bare system
//      calls; no durable method can beat it)
//   N  Batch::commit with Durability::none: no sync either, so N - F is what the engine itself
//      costs (resolving each path, the temp, metadata) and B - N what durability costs
// Every file replaces an existing one of 4 KiB with new 4 KiB content; all three methods write
// the same names, in the same run, in rounds whose method order rotates. Between two methods
// the file system is synced, untimed, so none inherits another's dirty pages, and every old
// version keeps a second name until the program ends, so no replace frees an inode (see
// keep_old_versions). The summary gives each figure as the median over the rounds and as the
// best round (noise from the disk and other processes only adds time).
//   1. --files files (default 1,000) in one directory, then spread over 10: S, B, F, and the
//      goals (S - B) / (S - F) >= 0.8 (B closes 80% of the gap) and B / F <= 2;
//   2. time against N (1, 10, 100, 1,000, 10,000 files in one directory) for S, B and F.
// Output: CSV rows "batch,LAYOUT:METHOD,N,ROUND,seconds,SECONDS" on stdout (LAYOUT "one
// directory", "10 directories" or "curve"; bench/report.py reads them, as scripts/bench.sh
// runs it), and "batch,LAYOUT:METHOD,N,ROUND,files_timed,K" when a round of S stopped at its
// budget after K files; a summary on stderr; with --csv FILE, the curve of 2. as
// "method,files,median_seconds,best_seconds,rounds,files_timed" (bench/plot_batch.py draws it).
// S, which pays two flushes per file, stops once it has run for --s-budget seconds in one round
// (default 20) and its time is scaled up from the files it did (files_timed < files says so):
// each of its files costs the same, and 10,000 of them would otherwise take minutes on a slow
// disk.
//
// Usage: bench_batch [--dir DIR] [--rounds 5] [--files 1000] [--curve 1,10,100,1000,10000]
//                    [--curve-rounds 3] [--csv FILE] [--s-budget 20]
// DIR must be on a real disk (not tmpfs), or the syncs cost nothing; default ".".
#include <fcntl.h>
#include <stdlib.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/batch.hpp"
#include "atomfile/replace.hpp"
#include "bench_files.hpp"

namespace {

using atomfile::bench::allow_descriptors;
using atomfile::bench::sync_all;

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;
constexpr std::size_t file_size = 4096;

struct Settings {
    std::string dir = ".";
    int rounds = 5;
    int files = 1000;
    std::vector<int> curve{1, 10, 100, 1000, 10000};
    int curve_rounds = 3;
    std::string csv;
    double s_budget = 20;
};

std::vector<int> parse_list(const std::string& text) {
    std::vector<int> values;
    std::size_t at = 0;
    while (at <= text.size()) {
        std::size_t comma = text.find(',', at);
        if (comma == std::string::npos) comma = text.size();
        if (comma > at) values.push_back(std::stoi(text.substr(at, comma - at)));
        at = comma + 1;
    }
    return values;
}

Settings parse(int argc, char** argv) {
    Settings settings;
    if (argc % 2 == 0) throw std::runtime_error("every option takes a value");
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string flag = argv[i], value = argv[i + 1];
        if (flag == "--dir")
            settings.dir = value;
        else if (flag == "--rounds")
            settings.rounds = std::stoi(value);
        else if (flag == "--files")
            settings.files = std::stoi(value);
        else if (flag == "--curve")
            settings.curve = parse_list(value);
        else if (flag == "--curve-rounds")
            settings.curve_rounds = std::stoi(value);
        else if (flag == "--csv")
            settings.csv = value;
        else if (flag == "--s-budget")
            settings.s_budget = std::stod(value);
        else
            throw std::runtime_error("unknown option " + flag);
    }
    return settings;
}

void write_plain(const std::string& path, const std::string& data) {
    const std::string temp = path + ".tmp";
    int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0 || ::write(fd, data.data(), data.size()) != static_cast<ssize_t>(data.size()))
        throw std::runtime_error("write " + temp);
    ::close(fd);
    if (::rename(temp.c_str(), path.c_str()) != 0) throw std::runtime_error("rename " + path);
}

// The methods, each writing data to every path (S: until the budget in seconds is spent);
// each returns how many files it wrote.
using Method =
    std::function<std::size_t(const std::vector<std::string>&, const std::string&, double budget)>;

const std::vector<std::pair<const char*, Method>>& methods() {
    static const std::vector<std::pair<const char*, Method>> all{
        {"S",
         [](const std::vector<std::string>& paths, const std::string& data, double budget) {
             const auto start = Clock::now();
             std::size_t done = 0;
             for (const std::string& path : paths) {
                 atomfile::write_atomic(path, data);
                 ++done;
                 if (done % 100 == 0 &&
                     std::chrono::duration<double>(Clock::now() - start).count() > budget)
                     break;
             }
             return done;
         }},
        {"B",
         [](const std::vector<std::string>& paths, const std::string& data, double) {
             atomfile::Batch batch;
             for (const std::string& path : paths) batch.write(path, data);
             batch.commit();
             return paths.size();
         }},
        {"F",
         [](const std::vector<std::string>& paths, const std::string& data, double) {
             for (const std::string& path : paths) write_plain(path, data);
             return paths.size();
         }},
        {"N",
         [](const std::vector<std::string>& paths, const std::string& data, double) {
             atomfile::Batch batch(
                 atomfile::ReplaceOptions().with_durability(atomfile::Durability::none));
             for (const std::string& path : paths) batch.write(path, data);
             batch.commit();
             return paths.size();
         }},
    };
    return all;
}

// n files named in `directories` subdirectories of root (created, with old content).
std::vector<std::string> make_files(const fs::path& root, int n, int directories) {
    std::vector<std::string> paths;
    for (int d = 0; d < directories; ++d) fs::create_directories(root / ("d" + std::to_string(d)));
    const std::string old(file_size, 'o');
    for (int i = 0; i < n; ++i) {
        paths.push_back(
            (root / ("d" + std::to_string(i % directories)) / ("f" + std::to_string(i))).string());
        write_plain(paths.back(), old);
    }
    return paths;
}

double median(std::vector<double> values) {
    std::sort(values.begin(), values.end());
    const std::size_t n = values.size();
    return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// The seconds of S, B and F over the rounds: the median, and the best (the disk's and the other
// processes' noise only ever adds time).
struct Figures {
    std::vector<double> median;
    std::vector<double> best;
    std::vector<std::size_t> fewest_timed;  // the fewest files a round of each method wrote
};

// Gives every file a second name under keep, so that replacing it frees no inode. ext4 without
// a journal (the benchmark machine's disk) skips inodes freed in the last minute (five, while
// their inode table block is dirty) when it allocates one, so in a run that freed thousands,
// every creation scanned past them: the cost of a file grew with the files replaced before it,
// by whichever method, and F and S, which free an inode before creating the next, measured the
// allocator more than their writes. Nothing is freed until the program ends.
void keep_old_versions(const std::vector<std::string>& paths, const fs::path& keep) {
    fs::create_directories(keep);
    for (std::size_t i = 0; i < paths.size(); ++i)
        fs::create_hard_link(paths[i], keep / std::to_string(i));
}

// Runs every method `rounds` times over paths, rotating the order.
Figures measure(const Settings& settings, const std::string& layout,
                const std::vector<std::string>& paths, int rounds, const fs::path& keep) {
    const auto& all = methods();
    std::vector<std::vector<double>> seconds(all.size());
    std::vector<std::size_t> timed(all.size(), paths.size());
    for (int round = 0; round < rounds; ++round) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            const std::size_t m = (k + static_cast<std::size_t>(round)) % all.size();
            std::string data(file_size, static_cast<char>('a' + (round * 3 + m) % 26));
            keep_old_versions(paths, keep / (layout + "-" + std::to_string(paths.size()) + "-" +
                                             std::to_string(round) + all[m].first));
            sync_all(settings.dir);
            const auto start = Clock::now();
            const std::size_t done = all[m].second(paths, data, settings.s_budget);
            const std::chrono::duration<double> took = Clock::now() - start;
            // Scaled to every file when S stopped at its budget (its files cost alike).
            const double total = took.count() * static_cast<double>(paths.size()) /
                                 static_cast<double>(std::max<std::size_t>(done, 1));
            seconds[m].push_back(total);
            timed[m] = std::min(timed[m], done);
            std::printf("batch,%s:%s,%zu,%d,seconds,%.6f\n", layout.c_str(), all[m].first,
                        paths.size(), round, total);
            if (done < paths.size())
                std::printf("batch,%s:%s,%zu,%d,files_timed,%zu\n", layout.c_str(), all[m].first,
                            paths.size(), round, done);
            std::fflush(stdout);
        }
    }
    Figures figures;
    for (const auto& values : seconds) {
        figures.median.push_back(median(values));
        figures.best.push_back(*std::min_element(values.begin(), values.end()));
    }
    figures.fewest_timed = timed;
    return figures;
}

void report_line(const std::string& layout, std::size_t n, const std::vector<double>& m) {
    const double s = m[0], b = m[1], f = m[2], none = m[3];
    const double closed = (s - b) / (s - f);
    std::fprintf(stderr,
                 "%-29s N=%-6zu S %8.1f  B %8.1f  F %8.1f  N %8.1f us/file  (S-B)/(S-F) %.2f %s  "
                 "B/F %.2f %s\n",
                 layout.c_str(), n, s * 1e6 / n, b * 1e6 / n, f * 1e6 / n, none * 1e6 / n, closed,
                 closed >= 0.8 ? "(goal >= 0.8 met)" : "(goal >= 0.8 NOT met)", b / f,
                 b / f <= 2 ? "(goal <= 2 met)" : "(goal <= 2 NOT met)");
}

void report(const std::string& layout, std::size_t n, const Figures& figures) {
    report_line(layout + ", median", n, figures.median);
    report_line(layout + ", best", n, figures.best);
}

// One line per method of a point of the curve.
void write_curve(std::ofstream& csv, std::size_t n, int rounds, const Figures& figures) {
    const auto& all = methods();
    for (std::size_t m = 0; m < all.size(); ++m)
        csv << all[m].first << ',' << n << ',' << figures.median[m] << ',' << figures.best[m] << ','
            << rounds << ',' << figures.fewest_timed[m] << '\n';
    csv.flush();
}

}  // namespace

int main(int argc, char** argv) try {
    const Settings settings = parse(argc, argv);
    int most = settings.files;
    for (int n : settings.curve) most = std::max(most, n);
    allow_descriptors(static_cast<std::size_t>(most));
    std::string pattern = (fs::path(settings.dir) / "bench-batch-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr)
        throw std::runtime_error("mkdtemp in " + settings.dir);
    const fs::path root = pattern;

    for (int directories : {1, 10}) {
        const std::string layout = directories == 1 ? "one directory" : "10 directories";
        const auto paths =
            make_files(root / ("set" + std::to_string(directories)), settings.files, directories);
        report(layout, paths.size(),
               measure(settings, layout, paths, settings.rounds, root / "keep"));
    }
    std::ofstream csv;
    if (!settings.csv.empty()) {
        csv.open(settings.csv);
        if (!csv) throw std::runtime_error("cannot write " + settings.csv);
        csv << "method,files,median_seconds,best_seconds,rounds,files_timed\n";
    }
    for (int n : settings.curve) {
        const auto paths = make_files(root / ("curve" + std::to_string(n)), n, 1);
        const Figures figures =
            measure(settings, "curve", paths, settings.curve_rounds, root / "keep");
        report("curve, one directory", paths.size(), figures);
        if (csv.is_open()) write_curve(csv, paths.size(), settings.curve_rounds, figures);
    }
    fs::remove_all(root);
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_batch: %s\n", e.what());
    return 1;
}
