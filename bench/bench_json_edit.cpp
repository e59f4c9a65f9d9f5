// Sets one key in a large JSON file: json-edit against `jq '.meta.version = 2' f > t && mv t f`,
// measured in the same run. Reports wall time and peak RSS (wait4's rusage, which
// covers a process and the children it waited for) and checks the targets: json-edit in at most
// 1/8 of jq's time, with peak RSS at most 1.5 times the file size.
//
//   bench_json_edit [--records N] [--runs R] [--dir DIR] [--durability full|data|none]
//                   [--input FILE]
//
// The document comes from bench_json.py's generator (python3); 1000000 records make ~211 MB.
// --input uses an existing document instead (it is copied, never edited).
// A tiny --records value makes a smoke run for CI.
#include <fcntl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

const char* generator =
    "import json,sys;n=int(sys.argv[1]);json.dump({\"meta\":{\"version\":1,\"name\":\"bench\"},"
    "\"records\":[{\"id\":i,\"name\":\"user%d\"%i,\"email\":\"user%d@example.com\"%i,"
    "\"score\":i*0.5,\"active\":i%2==0,\"tags\":[\"a\",\"b\",\"c\"]} for i in range(n)]},"
    "sys.stdout,indent=2);print()";

struct Measure {
    double seconds = 0;
    long peak_kib = 0;
    int status = -1;
};

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
    measure.seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    measure.peak_kib = usage.ru_maxrss;
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

Measure best(std::vector<Measure> runs) {
    std::sort(runs.begin(), runs.end(),
              [](const Measure& a, const Measure& b) { return a.seconds < b.seconds; });
    return runs[runs.size() / 2];  // the median
}

void report(const char* name, const Measure& m, long long size) {
    std::printf("%-10s %9.3f s %9.1f MiB RSS  (%.2fx file size)  exit %d\n", name, m.seconds,
                m.peak_kib / 1024.0, m.peak_kib * 1024.0 / static_cast<double>(size), m.status);
}

}  // namespace

int main(int argc, char** argv) {
    std::string records = option(argc, argv, "--records", "1000000");
    int runs = std::max(1, std::atoi(option(argc, argv, "--runs", "1").c_str()));
    std::string dir = option(argc, argv, "--dir", ".");
    std::string durability = option(argc, argv, "--durability", "full");
    std::string json_edit = option(argc, argv, "--json-edit", ATOMFILE_JSON_EDIT_PATH);
    std::string base = dir + "/bench_json_edit.base.json", file = dir + "/bench_json_edit.json";

    std::string input = option(argc, argv, "--input", "");
    if (!input.empty()) base = input;
    if (input.empty() && run({"python3", "-c", generator, records}, base).status != 0) {
        std::fprintf(stderr, "bench_json_edit: cannot run the python3 generator\n");
        return 1;
    }
    long long size = file_size(base);
    std::string source = input.empty() ? records + " generated records" : input;
    std::printf("document: %s, %.1f MB; %d run(s) each, json-edit -d %s\n", source.c_str(),
                size / 1e6, runs, durability.c_str());
    std::vector<Measure> edits, jqs;
    bool have_jq = run({"jq", "--version"}, "/dev/null").status == 0;
    for (int i = 0; i < runs; ++i) {
        run({"cp", base, file});
        edits.push_back(run({json_edit, "-d", durability, file, "set", "/meta/version", "2"}));
        if (!have_jq) continue;
        run({"cp", base, file});
        std::string script = "jq '.meta.version = 2' '" + file + "' > '" + file + ".t' && mv '" +
                             file + ".t' '" + file + "'";
        jqs.push_back(run({"sh", "-c", script}));
    }
    Measure edit = best(edits);
    report("json-edit", edit, size);
    bool rss_ok = edit.peak_kib * 1024.0 <= 1.5 * static_cast<double>(size);
    std::printf("target: peak RSS <= 1.5x file size: %s\n", rss_ok ? "met" : "MISSED");
    if (have_jq) {
        Measure jq = best(jqs);
        report("jq", jq, size);
        double ratio = edit.seconds / jq.seconds;
        std::printf("target: json-edit time <= 1/8 of jq's: %s (%.3f = 1/%.1f)\n",
                    ratio <= 0.125 ? "met" : "MISSED", ratio, 1 / ratio);
    } else {
        std::printf("jq not found: comparison skipped\n");
    }
    if (input.empty()) ::unlink(base.c_str());
    ::unlink(file.c_str());
    return edit.status == 0 ? 0 : 1;
}
