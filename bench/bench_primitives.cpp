// Benchmark: the cost of one temp file's whole life (create, then close and remove), for each
// primitive of atomfile against glibc's mkstemp(3). Python's tempfile is measured by
// bench/bench_tempfile.py in the same run of scripts/bench.sh, with the same methods and output.
//
// Methods (each op: create one temp in DIR, then dispose of it):
//   glibc mkstemp                      mkstemp(3), close, unlink
//   atomfile mkstemp                   atomfile::mkstemp, close, unlink
//   atomfile NamedTemporaryFile        constructed, destroyed (close + remove)
//   atomfile TemporaryFile (O_TMPFILE) constructed, destroyed
//   atomfile TemporaryFile (fallback)  the same with O_TMPFILE refused through the platform's
//                                      fault seam (EOPNOTSUPP), as on a file system without it
//   atomfile SpooledTemporaryFile      constructed, 4 KiB written, destroyed (stays in memory)
//   atomfile SpooledTemporaryFile, rolled over   the same, then rollover() to disk
// Methods are interleaved: each round times --ops ops of every method, in an order rotated
// each round. Output: CSV rows "primitives,METHOD,0,ROUND,us_per_op,VALUE" on stdout.
//
// Usage: bench_primitives [--dir DIR] [--rounds 9] [--ops 2000]
// DIR should be on the real disk the figures are meant for (not tmpfs); default ".".
#include <stdlib.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include "atomfile/mkstemp.hpp"
#include "atomfile/named_temporary_file.hpp"
#include "atomfile/spooled_temporary_file.hpp"
#include "atomfile/temporary_file.hpp"
#include "bench_rounds.hpp"
#include "platform/linux.hpp"

namespace {

using Settings = atomfile::bench::RoundSettings;

struct Method {
    std::string name;
    std::function<void()> op;
};

void check(bool ok, const char* what) {
    if (!ok) throw std::runtime_error(std::string(what) + ": " + std::strerror(errno));
}

int refuse_anonymous(atomfile::platform::Call call) {
    return call == atomfile::platform::Call::create_anonymous ? EOPNOTSUPP : 0;
}

// Refuses O_TMPFILE for one scope, so an exception cannot leave the refusal behind.
struct RefuseTmpfile {
    atomfile::platform::FaultScope scope{refuse_anonymous};
};

void glibc_mkstemp(const std::string& dir) {
    std::string name = dir + "/tmpXXXXXX";
    int fd = ::mkstemp(name.data());
    check(fd >= 0, "mkstemp");
    ::close(fd);
    check(::unlink(name.c_str()) == 0, "unlink");
}

void atomfile_mkstemp(const std::string& dir) {
    auto [fd, path] = atomfile::mkstemp("", "tmp", dir);
    fd.reset();
    check(::unlink(path.c_str()) == 0, "unlink");
}

void spooled(const std::string& dir, bool roll_over) {
    atomfile::SpooledTemporaryFileOptions options;
    options.dir = dir;
    atomfile::SpooledTemporaryFile file(options);
    static const std::string block(4096, 'x');
    file.write(block);
    if (roll_over) file.rollover();
}

std::vector<Method> methods(const Settings& settings) {
    const std::string dir = settings.dir;
    atomfile::TemporaryFileOptions temp_options;
    temp_options.dir = dir;
    atomfile::NamedTemporaryFileOptions named_options;
    named_options.dir = dir;
    return {
        {"glibc mkstemp", [dir] { glibc_mkstemp(dir); }},
        {"atomfile mkstemp", [dir] { atomfile_mkstemp(dir); }},
        {"atomfile NamedTemporaryFile",
         [named_options] { atomfile::NamedTemporaryFile f(named_options); }},
        {"atomfile TemporaryFile (O_TMPFILE)",
         [temp_options] { atomfile::TemporaryFile f(temp_options); }},
        {"atomfile TemporaryFile (fallback)",
         [temp_options] {
             RefuseTmpfile refuse;
             atomfile::TemporaryFile f(temp_options);
         }},
        {"atomfile SpooledTemporaryFile", [dir] { spooled(dir, false); }},
        {"atomfile SpooledTemporaryFile, rolled over", [dir] { spooled(dir, true); }},
    };
}

// The two TemporaryFile methods must measure what their names say.
void check_paths_taken(const Settings& settings) {
    atomfile::TemporaryFileOptions options;
    options.dir = settings.dir;
    if (!atomfile::TemporaryFile(options).linkable())
        throw std::runtime_error("O_TMPFILE is not available in " + settings.dir);
    RefuseTmpfile refuse;
    if (atomfile::TemporaryFile(options).linkable())
        throw std::runtime_error("the fault seam did not force the fallback");
}

double time_round(const Method& method, int ops) {
    return atomfile::bench::microseconds_per_op(method.op, ops);
}

}  // namespace

int main(int argc, char** argv) try {
    const Settings settings = atomfile::bench::parse_round_settings(argc, argv, 2000);
    check_paths_taken(settings);
    const std::vector<Method> all = methods(settings);
    for (const Method& m : all) time_round(m, 1);  // warm up
    for (int round = 0; round < settings.rounds; ++round) {
        for (std::size_t k = 0; k < all.size(); ++k) {
            const Method& m = all[(k + static_cast<std::size_t>(round)) % all.size()];
            std::printf("primitives,%s,0,%d,us_per_op,%.3f\n", m.name.c_str(), round + 1,
                        time_round(m, settings.ops));
            std::fflush(stdout);
        }
    }
    return 0;
} catch (const std::exception& e) {
    std::fprintf(stderr, "bench_primitives: %s\n", e.what());
    return 1;
}
