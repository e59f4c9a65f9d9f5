// Guide, "Options by name, and streams": chained option setters, and operator<< into an atomic
// replace or a temp file.
#include <atomfile/atomfile.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <map>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

void write_config(const fs::path& path, const std::map<std::string, int>& settings,
                  const atomfile::ReplaceOptions& options) {
    atomfile::AtomicOStream out(path, options);
    for (const auto& [key, value] : settings) out << key << " = " << value << '\n';
    out.commit();  // nothing is published before this line
}

int main() {
    atomfile::TemporaryDirectory work(atomfile::TemporaryDirectoryOptions().with_prefix("guide_"));
    fs::path config = fs::path(work.path()) / "app.conf";

    // Each with_FIELD() sets one field and returns the options, so they chain.
    const auto options = atomfile::ReplaceOptions()
                             .with_mode(0644)                              // metadata
                             .with_backup_suffix("~")                      // backup
                             .with_lock(true)                              // locking
                             .with_lock_timeout(std::chrono::seconds(5));  // locking

    write_config(config, {{"port", 8080}, {"workers", 4}}, options);
    write_config(config, {{"port", 8080}, {"workers", 8}}, options);
    std::cout << slurp(config) << "backup: " << slurp(fs::path(config) += "~");

    // Leaving the scope without commit() (an exception, an early return) publishes nothing.
    {
        atomfile::AtomicOStream out(config, options);
        out << "half a config";
    }
    bool unchanged = slurp(config) == "port = 8080\nworkers = 8\n";
    std::cout << "unchanged without commit: " << std::boolalpha << unchanged << '\n';

    // Temp files take a stream too: flush() or close() it before using the file.
    atomfile::NamedTemporaryFile report(
        atomfile::NamedTemporaryFileOptions().with_prefix("report_").with_dir(work.path()));
    atomfile::TempOStream out(report);
    out << "settings: " << 2 << '\n';
    out.close();  // throws the atomfile::Error of a write that failed
    report.persist(fs::path(work.path()) / "report.txt");
    std::cout << "report: " << slurp(fs::path(work.path()) / "report.txt");
    return unchanged && slurp(fs::path(config) += "~") == "port = 8080\nworkers = 4\n" ? 0 : 1;
}
