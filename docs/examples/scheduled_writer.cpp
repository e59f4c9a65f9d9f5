// Guide, "Writing many files": save state on every change, write it at most once per interval.
#include <atomfile/atomfile.hpp>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <mutex>
#include <string>

namespace fs = std::filesystem;

std::string slurp(const fs::path& path) {
    std::ifstream in(path);
    return std::string(std::istreambuf_iterator<char>(in), {});
}

// The program's state. The writer's thread serializes it, so it has its own lock.
struct Document {
    std::mutex mutex;
    std::string text;

    void type(char c) {
        std::lock_guard<std::mutex> lock(mutex);
        text += c;
    }
    std::string serialize() {
        std::lock_guard<std::mutex> lock(mutex);
        return "{\"text\": \"" + text + "\"}\n";
    }
};

int main() {
    atomfile::TemporaryDirectory work;
    const fs::path saved = fs::path(work.path()) / "document.json";
    Document document;  // declared first: it outlives the writer, whose destructor serializes it
    auto options = atomfile::ScheduledWriterOptions()
                       .with_interval(std::chrono::milliseconds(200))
                       .with_on_error([](const atomfile::Error& e) {
                           std::cerr << "autosave failed: " << e.what() << '\n';
                       });
    {
        atomfile::ScheduledWriter autosave(saved, options);
        for (char c : std::string("hello")) {
            document.type(c);
            autosave.schedule([&document] { return document.serialize(); });  // no disk here
        }
        autosave.flush();  // write now, and throw if this or an earlier autosave failed
        std::cout << "5 changes, " << autosave.stats().writes << " write: " << slurp(saved);

        document.type('!');
        autosave.schedule([&document] { return document.serialize(); });
    }  // the destructor writes what is still pending
    std::cout << "at exit: " << slurp(saved);
    return slurp(saved) == "{\"text\": \"hello!\"}\n" ? 0 : 1;
}
