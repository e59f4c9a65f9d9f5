// What the many-file benchmarks (bench_batch, bench_replace_directory, bench_transaction) share:
// settling the file system between timed rounds, and room for one descriptor per staged file.
#pragma once

#include <fcntl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <cstddef>
#include <cstdio>
#include <string>

namespace atomfile::bench {

// syncfs of the file system holding dir, so one round's writeback is not timed in the next.
inline void sync_all(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY);
    if (fd >= 0) {
        ::syncfs(fd);
        ::close(fd);
    }
}

// A file staged in a Batch holds one descriptor until commit: 10,000 files need more than the
// usual soft limit of 1,024. Warns when the hard limit does not allow that many.
inline void allow_descriptors(std::size_t files) {
    rlimit limit{};
    ::getrlimit(RLIMIT_NOFILE, &limit);
    const rlim_t wanted = static_cast<rlim_t>(files + 512);
    if (limit.rlim_cur >= wanted) return;
    limit.rlim_cur = std::min(wanted, limit.rlim_max);
    ::setrlimit(RLIMIT_NOFILE, &limit);
    if (limit.rlim_cur < wanted)
        std::fprintf(stderr, "only %zu descriptors allowed: larger batches will fail\n",
                     static_cast<std::size_t>(limit.rlim_cur));
}

}  // namespace atomfile::bench
