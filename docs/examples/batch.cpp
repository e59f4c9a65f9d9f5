// Guide, "Writing many files": many files made durable at the cost of about one flush.
#include <fcntl.h>
#include <unistd.h>
#include <atomfile/atomfile.hpp>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

int main() {
    atomfile::TemporaryDirectory work;
    const fs::path root = work.path();
    fs::create_directories(root / "conf");
    fs::create_directories(root / "data");
    std::ofstream(root / "conf/a.json") << "{\"version\": 1}\n";

    atomfile::Batch batch;  // takes ReplaceOptions, as write_atomic does
    for (int i = 0; i < 100; ++i) {
        const fs::path page = root / "data" / ("page" + std::to_string(i) + ".html");
        batch.write(page, "<p>" + std::to_string(i) + "</p>\n");  // written now, not visible
    }
    batch.write(root / "conf/a.json", "{\"version\": 2}\n");
    std::ofstream(root / "template.conf") << "workers = 4\n";
    const int source = ::open((root / "template.conf").c_str(), O_RDONLY | O_CLOEXEC);
    // Copied now, in the kernel; fd stays the caller's.
    const std::string& copied = batch.copy(root / "conf/b.conf", source);
    ::close(source);
    atomfile::AtomicFile& log = batch.open(root / "data/log.txt");  // or stream one
    for (int line = 0; line < 3; ++line) log.write("line " + std::to_string(line) + "\n");

    std::cout << "before commit: " << slurp(root / "conf/a.json");
    try {
        batch.commit();  // one fsync per file, issued together, then the renames, then one per
                         // directory: when it returns, all 103 files survive a power cut
    } catch (const atomfile::Error& e) {
        std::cerr << e.what() << '\n';
        for (const std::string& path : batch.replaced())
            std::cerr << "  replaced: " << path << '\n';
        for (const std::string& path : batch.not_replaced())
            std::cerr << "  unchanged: " << path << '\n';
        return 1;
    }
    std::cout << "after commit: " << slurp(root / "conf/a.json");
    std::cout << batch.replaced().size() << " files replaced\n";
    const bool log_written = slurp(root / "data/log.txt") == "line 0\nline 1\nline 2\n";
    const bool copy_made = slurp(copied) == "workers = 4\n";
    return batch.replaced().size() == 103 && log_written && copy_made ? 0 : 1;
}
