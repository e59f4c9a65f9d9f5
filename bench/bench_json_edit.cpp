// Sets one key in a large JSON file and reads it back, against the floors of both: copying the
// file (`cp FILE COPY`) and reading it (`cat FILE > /dev/null`) plus one validating pass of a
// SIMD validator (simdjson, when the bench was built with it), and against jq. Every command runs
// once per round, the rounds interleaved, so a slow moment of the machine hits all of them.
// Reports medians (wall time, and peak RSS from wait4's rusage, which covers a process and the
// children it waited for) and checks the targets:
//   set  `json-edit -d none FILE set /meta/version N` <= 1.3x cp (a new N each round: setting the
//        value already there writes nothing)
//   get  `json-edit FILE get /meta/version` <= 1.5x (cat + the SIMD validating pass)
//   RSS  of set and get <= 1.1x the file size
//   jq   `jq '.meta.version = N' F > T && mv T F` takes >= 8x set's time
// With simdjson, it also times a set built on simdjson's DOM parser (--simdjson-set, below), the
// alternative to json-edit's own validator, end to end, and prints the floor of a validating set
// on two cores: what cp pays to free the old COPY (cp onto COPY less `cp FILE NEW`, a copy to a
// name that does not exist), plus the copy and the validating pass shared by two cores, never
// less than the copy alone.
// Every command that replaces or frees a file starts from the same footing, as what a file was
// written by decides what freeing it costs: freeing a file written back waits for the disk to
// discard its blocks (where the file system is mounted with `discard`), one not yet written back
// has no blocks to free, and one written in small writes sits in the page cache in small pages,
// which cost more to map and to free (a set on 211 MB: 0.13 s after `dd bs=1M`, 0.18 s after
// `dd bs=4k`, as jq writes). So before each set and each jq, FILE is restored by `cp` from the
// document, as cp FILE COPY finds COPY (which cp wrote in the round before, or before the
// rounds); and sync(2) is called before every timed command (untimed), so every freed file was
// written back and no command pays for the writeback of another's output.
//
//   bench_json_edit [--records N] [--runs R] [--dir DIR] [--input FILE]
//                   [--json-edit PATH] [--before PATH] [--csv FILE]
//
// --before times a second json-edit (an older build) the same way in the same rounds, as
// "json-edit ... (before)", so that a change is measured under the same load; the two take
// turns at coming first.
// --csv also writes every measurement as rows json_edit,COMMAND,SIZE,ROUND,METRIC,VALUE
// (METRIC: seconds, cpu_seconds, peak_rss_kib; the SIMD pass as "simdjson pass (KERNEL)"), which
// bench/report.py renders into docs/benchmarks.md (scripts/bench.sh runs it as part of "json").
//
// The document comes from bench_json.py's generator (python3); 1000000 records make ~211 MB.
// --input uses an existing document instead (it is copied, never edited). A tiny --records
// value makes a smoke run for CI.
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <string>
#include <thread>
#include <vector>

#if defined(ATOMFILE_BENCH_SIMDJSON)
#include <simdjson.h>
#endif

namespace {

const char* generator =
    "import json,sys;n=int(sys.argv[1]);json.dump({\"meta\":{\"version\":1,\"name\":\"bench\"},"
    "\"records\":[{\"id\":i,\"name\":\"user%d\"%i,\"email\":\"user%d@example.com\"%i,"
    "\"score\":i*0.5,\"active\":i%2==0,\"tags\":[\"a\",\"b\",\"c\"]} for i in range(n)]},"
    "sys.stdout,indent=2);print()";

struct Measure {
    double seconds = 0;
    double cpu_seconds = 0;  // user + system
    long peak_kib = 0;
    int status = -1;
};

double seconds_since(std::chrono::steady_clock::time_point start) {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Runs argv with stdout sent to out_path (if given) and measures it.
Measure run(const std::vector<std::string>& argv, const std::string& out_path = {}) {
    auto start = std::chrono::steady_clock::now();
    pid_t pid = ::fork();
    if (pid == 0) {
        if (!out_path.empty()) {
            int fd = ::open(out_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
            if (fd < 0 || ::dup2(fd, 1) < 0) ::_exit(126);
        }
        std::vector<char*> args;
        for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
        args.push_back(nullptr);
        ::execvp(args[0], args.data());
        ::_exit(127);
    }
    Measure measure;
    struct rusage usage {};
    int status = 0;
    if (pid < 0 || ::wait4(pid, &status, 0, &usage) < 0) return measure;
    measure.seconds = seconds_since(start);
    measure.peak_kib = usage.ru_maxrss;
    measure.cpu_seconds = usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
                          (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
    measure.status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    return measure;
}

std::string option(int argc, char** argv, const char* name, const char* fallback) {
    for (int i = 1; i + 1 < argc; ++i)
        if (std::strcmp(argv[i], name) == 0) return argv[i + 1];
    return fallback;
}

long long file_size(const std::string& path) {
    struct stat st {};
    return ::stat(path.c_str(), &st) == 0 ? st.st_size : -1;
}

Measure median(std::vector<Measure> runs) {
    if (runs.empty()) return {};
    std::sort(runs.begin(), runs.end(),
              [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
    Measure middle = runs[runs.size() / 2];
    std::vector<double> cpu;
    for (const Measure& m : runs) cpu.push_back(m.cpu_seconds);
    std::sort(cpu.begin(), cpu.end());
    middle.cpu_seconds = cpu[cpu.size() / 2];
    for (const Measure& m : runs) middle.peak_kib = std::max(middle.peak_kib, m.peak_kib);
    for (const Measure& m : runs)
        if (m.status != 0) middle.status = m.status;
    return middle;
}

double spread(const std::vector<Measure>& runs, bool high) {
    double value = runs.empty() ? 0 : runs.front().seconds;
    for (const Measure& m : runs)
        value = high ? std::max(value, m.seconds) : std::min(value, m.seconds);
    return value;
}

void report(const char* name, const std::vector<Measure>& runs, long long size) {
    Measure m = median(runs);
    std::printf(
        "%-22s %7.3f s (%.3f-%.3f)  CPU %6.3f s  peak RSS %7.1f MiB = %.2fx file  exit %d\n", name,
        m.seconds, spread(runs, false), spread(runs, true), m.cpu_seconds, m.peak_kib / 1024.0,
        m.peak_kib * 1024.0 / static_cast<double>(size), m.status);
}

void target(const char* what, bool met, double value, const char* limit) {
    std::printf("target: %-46s %s (%.2f; limit %s)\n", what, met ? "met" : "NOT MET", value, limit);
}

#if defined(ATOMFILE_BENCH_SIMDJSON)
// simdjson's validating pass (its DOM parser, which checks the whole document; the best kernel
// for this CPU, chosen at run time) over the file already in memory: the compute floor of a
// validating read. Returns seconds, or -1 if invalid.
double simdjson_pass(const std::string& path) {
    simdjson::padded_string text;
    if (simdjson::padded_string::load(path).get(text)) return -1;
    simdjson::dom::parser parser;
    if (parser.allocate(text.size()) != simdjson::SUCCESS) return -1;
    // The second pass, once the parser's memory is touched: the floor at its lowest.
    double seconds = -1;
    for (int pass = 0; pass < 2; ++pass) {
        auto start = std::chrono::steady_clock::now();
        simdjson::dom::element root;
        if (parser.parse(text).get(root) != simdjson::SUCCESS) return -1;
        seconds = seconds_since(start);
    }
    return seconds;
}

std::string simdjson_kernel() {
    return simdjson::get_active_implementation()->name();
}

// A set built on simdjson, as a program of its own (`bench_json_edit --simdjson-set FILE N`, run
// and timed like the commands it is compared with): the alternative to json-edit's own
// validator, measured end to end. It takes every shortcut a general tool cannot: the value is
// found by a search for `"version": ` in the first 4 KiB (no path lookup), and simdjson's DOM
// parser validates on a second thread (no duplicate keys tracked, no JSONC) while the edit is
// written as json-edit writes it: the bytes before the value, the new value, the rest copied
// file to file by the kernel into an unnamed temp in FILE's directory, named and renamed over
// FILE once the document is known valid. No fsync, as with -d none and cp. Unlike the warm
// "simdjson pass", it pays for the parser's fresh memory, as any process using it would.
int simdjson_set(const char* path, const char* value) {
    int fd = ::open(path, O_RDONLY | O_CLOEXEC);
    struct stat st {};
    if (fd < 0 || ::fstat(fd, &st) != 0 || st.st_size == 0) return 2;
    const std::size_t size = static_cast<std::size_t>(st.st_size);
    // simdjson reads up to SIMDJSON_PADDING bytes past the end: the file is mapped over the
    // start of a larger anonymous mapping, whose zero pages follow it.
    const std::size_t area = size + simdjson::SIMDJSON_PADDING + 4096;
    void* base = ::mmap(nullptr, area, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED ||
        ::mmap(base, size, PROT_READ, MAP_PRIVATE | MAP_FIXED | MAP_POPULATE, fd, 0) == MAP_FAILED)
        return 2;
    const char* text = static_cast<const char*>(base);
    bool valid = false;
    std::thread validator([&] {
        simdjson::dom::parser parser;
        simdjson::dom::element root;
        valid = parser.parse(text, size, false).get(root) == simdjson::SUCCESS;
    });
    std::string_view head(text, std::min<std::size_t>(size, 4096));
    const std::string_view key = "\"version\": ";
    std::size_t begin = head.find(key), end = 0;
    if (begin != std::string_view::npos) {
        begin += key.size();
        end = head.find_first_of(",}\n", begin);
    }
    std::string dir(path);
    dir = dir.find('/') == std::string::npos ? "." : dir.substr(0, dir.rfind('/') + 1);
    int temp = ::open(dir.c_str(), O_TMPFILE | O_WRONLY | O_CLOEXEC, 0644);
    bool written =
        begin != std::string_view::npos && end != std::string_view::npos && temp >= 0 &&
        ::write(temp, text, begin) == static_cast<ssize_t>(begin) &&
        ::write(temp, value, std::strlen(value)) == static_cast<ssize_t>(std::strlen(value));
    for (loff_t from = static_cast<loff_t>(end); written && from < st.st_size;) {
        ssize_t copied = ::copy_file_range(fd, &from, temp, nullptr, size, 0);
        written = copied > 0;
    }
    validator.join();
    if (!written || !valid) return 1;
    std::string name = dir + ".bench_json_edit.simdjson-set";
    std::string self = "/proc/self/fd/" + std::to_string(temp);
    ::unlink(name.c_str());
    if (::linkat(AT_FDCWD, self.c_str(), AT_FDCWD, name.c_str(), AT_SYMLINK_FOLLOW) != 0 ||
        ::rename(name.c_str(), path) != 0)
        return 2;
    return 0;
}
#else
std::string simdjson_kernel() {
    return "none";
}
#endif

void write_csv(const std::string& path, const std::map<std::string, std::vector<Measure>>& times,
               const std::vector<double>& simd, long long size) {
    std::FILE* out = std::fopen(path.c_str(), "w");
    if (!out) {
        std::fprintf(stderr, "bench_json_edit: cannot write %s\n", path.c_str());
        return;
    }
    for (const auto& [name, measures] : times) {
        for (std::size_t i = 0; i < measures.size(); ++i) {
            const Measure& m = measures[i];
            std::fprintf(out, "json_edit,%s,%lld,%zu,seconds,%.6f\n", name.c_str(), size, i,
                         m.seconds);
            std::fprintf(out, "json_edit,%s,%lld,%zu,cpu_seconds,%.6f\n", name.c_str(), size, i,
                         m.cpu_seconds);
            std::fprintf(out, "json_edit,%s,%lld,%zu,peak_rss_kib,%ld\n", name.c_str(), size, i,
                         m.peak_kib);
            if (m.status != 0)
                std::fprintf(out, "json_edit,%s,%lld,%zu,exit_status,%d\n", name.c_str(), size, i,
                             m.status);
        }
    }
    for (std::size_t i = 0; i < simd.size(); ++i)
        if (simd[i] >= 0)
            std::fprintf(out, "json_edit,simdjson pass (%s),%lld,%zu,seconds,%.6f\n",
                         simdjson_kernel().c_str(), size, i, simd[i]);
    std::fclose(out);
}

}  // namespace

int main(int argc, char** argv) {
#if defined(ATOMFILE_BENCH_SIMDJSON)
    if (argc == 4 && std::strcmp(argv[1], "--simdjson-set") == 0)
        return simdjson_set(argv[2], argv[3]);
#endif
    std::string records = option(argc, argv, "--records", "1000000");
    int runs = std::max(1, std::atoi(option(argc, argv, "--runs", "5").c_str()));
    std::string dir = option(argc, argv, "--dir", ".");
    std::string json_edit = option(argc, argv, "--json-edit", ATOMFILE_JSON_EDIT_PATH);
    std::string csv_path = option(argc, argv, "--csv", "");
    std::string before = option(argc, argv, "--before", "");
    std::string base = dir + "/bench_json_edit.base.json", file = dir + "/bench_json_edit.json";
    std::string copy = dir + "/bench_json_edit.copy.json";
    std::string fresh = dir + "/bench_json_edit.new.json";
    const std::string self = "/proc/self/exe";  // the floor program is this one

    std::string input = option(argc, argv, "--input", "");
    if (!input.empty()) base = input;
    if (input.empty() && run({"python3", "-c", generator, records}, base).status != 0) {
        std::fprintf(stderr, "bench_json_edit: cannot run the python3 generator\n");
        return 1;
    }
    long long size = file_size(base);
    // FILE as every replacing command finds it (see the top): written by cp, then written back.
    auto restore = [&] {
        if (run({"cp", base, file}).status != 0) {
            std::fprintf(stderr, "bench_json_edit: cannot copy %s\n", base.c_str());
            std::exit(1);
        }
    };
    restore();
    if (run({"cp", base, copy}).status != 0) return 1;  // so that the first cp FILE COPY frees one
    bool have_jq = run({"jq", "--version"}, "/dev/null").status == 0;
    std::string source = input.empty() ? records + " generated records" : input;
    std::printf("document: %s, %.1f MB; %d interleaved round(s), sync(2) before each command\n",
                source.c_str(), size / 1e6, runs);

    std::map<std::string, std::vector<Measure>> times;
    std::vector<double> simd;
    auto timed = [&](const std::string& name, const std::vector<std::string>& argv,
                     const std::string& out = {}) {
        ::sync();
        times[name].push_back(run(argv, out));
    };
    for (int round = 0; round < runs; ++round) {
        // COPY exists: cp then truncates it, as json-edit's rename frees the old file; both pay
        // for freeing 211 MB, and both read FILE as cp wrote it.
        restore();
        timed("cp FILE COPY", {"cp", file, copy});
        ::unlink(fresh.c_str());  // untimed: the copy to a new name frees nothing
        timed("cp FILE NEW", {"cp", file, fresh});
        timed("cat FILE >/dev/null", {"cat", file}, "/dev/null");
#if defined(ATOMFILE_BENCH_SIMDJSON)
        ::sync();
        simd.push_back(simdjson_pass(file));
#endif
        std::string value = std::to_string(1000 + round);
        auto set_and_get = [&](const std::string& program, const std::string& suffix,
                               const std::string& new_value) {
            restore();
            timed("json-edit -d none set" + suffix,
                  {program, "-d", "none", file, "set", "/meta/version", new_value});
            timed("json-edit get" + suffix, {program, file, "get", "/meta/version"}, "/dev/null");
        };
        // With --before, the two builds take turns at coming first.
        bool before_first = !before.empty() && round % 2 == 1;
        if (before_first) set_and_get(before, " (before)", std::to_string(2000 + round));
        set_and_get(json_edit, "", value);
#if defined(ATOMFILE_BENCH_SIMDJSON)
        restore();
        timed("simdjson set", {self, "--simdjson-set", file, std::to_string(3000 + round)});
#endif
        if (!before.empty() && !before_first) {
            value = std::to_string(2000 + round);
            set_and_get(before, " (before)", value);
        }
        if (!have_jq) continue;
        restore();
        std::string script = "jq '.meta.version = " + value + "' '" + file + "' > '" + file +
                             ".t' && mv '" + file + ".t' '" + file + "'";
        timed("jq + mv", {"sh", "-c", script});
    }
    for (const auto& [name, measures] : times) report(name.c_str(), measures, size);

    double set = median(times["json-edit -d none set"]).seconds;
    double get = median(times["json-edit get"]).seconds;
    double cp = median(times["cp FILE COPY"]).seconds;
    double cat = median(times["cat FILE >/dev/null"]).seconds;
    target("set <= 1.3x cp:", set <= 1.3 * cp, set / cp, "1.3");
    double set_cpu = median(times["json-edit -d none set"]).cpu_seconds;
    double cp_cpu = median(times["cp FILE COPY"]).cpu_seconds;
    std::printf("        CPU time: set %.3f s = %.2fx cp's %.3f s\n", set_cpu, set_cpu / cp_cpu,
                cp_cpu);
    std::sort(simd.begin(), simd.end());
    if (!simd.empty() && simd.front() >= 0) {
        // An edit that checks what it writes must at least copy and validate the file: on one
        // core, cp's time plus a SIMD validating pass.
        double pass = simd[simd.size() / 2];
        std::printf(
            "floor of a validating set on one core: cp + simdjson pass = %.3f s = %.2fx cp\n",
            cp + pass, (cp + pass) / cp);
        // On two cores the pass can overlap the copy; the freeing of the old file cannot.
        double copy_alone = median(times["cp FILE NEW"]).seconds;
        double freeing = std::max(0.0, cp - copy_alone);
        double two_cores = freeing + std::max(copy_alone, (copy_alone + pass) / 2);
        std::printf(
            "floor of a validating set on two cores: freeing (cp - cp FILE NEW) + "
            "max(copy, (copy + pass) / 2) = %.3f s = %.2fx cp\n",
            two_cores, two_cores / cp);
        if (!times["simdjson set"].empty()) {
            double measured = median(times["simdjson set"]).seconds;
            std::printf(
                "a set built on simdjson: %.3f s = %.2fx cp (json-edit's set: %.2fx of it)\n",
                measured, measured / cp, set / measured);
        }
        double floor = cat + pass;
        std::printf("simdjson (%s) validating pass %.3f s (median; %.0f MB/s)\n",
                    simdjson_kernel().c_str(), simd[simd.size() / 2],
                    size / 1e6 / simd[simd.size() / 2]);
        target("get <= 1.5x (cat + simdjson pass):", get <= 1.5 * floor, get / floor, "1.5");
    } else {
        std::printf("simdjson not built in (libsimdjson-dev): get compared with cat alone\n");
        target("get <= 1.5x cat (no SIMD pass to add):", get <= 1.5 * cat, get / cat, "1.5");
    }
    long peak = std::max(median(times["json-edit -d none set"]).peak_kib,
                         median(times["json-edit get"]).peak_kib);
    double rss = peak * 1024.0 / static_cast<double>(size);
    target("peak RSS of set and get <= 1.1x file size:", rss <= 1.1, rss, "1.1");
    if (have_jq) {
        double jq = median(times["jq + mv"]).seconds;
        target("jq time / set time >= 8:", jq / set >= 8, jq / set, "8");
    } else {
        std::printf("jq not found: comparison skipped\n");
    }
    if (!csv_path.empty()) write_csv(csv_path, times, simd, size);
    if (input.empty()) ::unlink(base.c_str());
    for (const std::string& path : {file, copy, fresh}) ::unlink(path.c_str());
    bool ok = median(times["json-edit -d none set"]).status == 0 &&
              median(times["json-edit get"]).status == 0;
    return ok ? 0 : 1;
}
