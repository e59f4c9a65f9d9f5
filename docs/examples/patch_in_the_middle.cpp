// Guide, "Streaming into a file": a few bytes changed in the middle of a big file, the rest
// copied from the old content file to file, in the kernel.
#include <atomfile/atomfile.hpp>

#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <stdexcept>
#include <string>

namespace fs = std::filesystem;

// Replaces `length` bytes at `offset` of `path` with `replacement`, atomically. The unchanged
// parts never pass through this program's memory: a file of gigabytes costs a copy in the
// kernel (or a reflink's share of blocks, where the file system offers one).
void patch(const fs::path& path, std::uint64_t offset, std::uint64_t length,
           const std::string& replacement) {
    atomfile::AtomicFile file(path, atomfile::ReplaceOptions().with_lock(true));
    const int old = file.original_descriptor();  // the content the lock protects, not the path
    if (old < 0) throw std::runtime_error(path.string() + ": nothing to patch");
    struct stat status {};
    if (::fstat(old, &status) != 0) throw std::runtime_error(path.string() + ": cannot stat");
    const std::uint64_t size = static_cast<std::uint64_t>(status.st_size);
    if (offset + length > size) throw std::runtime_error(path.string() + ": patch past the end");
    file.copy_from(old, 0, offset);
    file.write(replacement);
    file.copy_from(old, offset + length, size - offset - length);
    file.commit();
}

int main() {
    std::ofstream("table.txt") << "id=0001 state=OLD owner=ops\n";
    patch("table.txt", 14, 3, "NEW");
    std::ifstream in("table.txt");
    const std::string content(std::istreambuf_iterator<char>(in), {});
    std::cout << content;
    return content == "id=0001 state=NEW owner=ops\n" ? 0 : 1;
}
