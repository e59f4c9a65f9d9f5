// The library as a writer process, so the reliability scripts can trace it, kill it, inject faults
// into its system calls and crash its file system exactly as they do the command-line tools.
// Usage: reliability_driver MODE ARGS...
//
//   write     TARGET SOURCE [full|data|none]   write_atomic
//   create    TARGET SOURCE                    write_atomic with create_only (refused, status 1,
//                                              when TARGET exists)
//   stream    TARGET SOURCE [full|data|none]   AtomicFile, 16 KiB writes
//   persist   TARGET SOURCE                    NamedTemporaryFile::persist
//   increment TARGET COUNT                     COUNT safe_update increments
//   temp      mkstemp|mkdtemp|named DIR        one temp, kept; prints its path (DIR "-": the
//                                              default, gettempdir())
//   fd-probe  TARGET COMMAND                   runs COMMAND (sh -c) with every kind of library
//                                              descriptor open
//
// Exit status: 0 done; 1 the library reported an error (its message on stderr); 2 bad usage.
#include <atomfile/mkstemp.hpp>
#include <atomfile/named_temporary_file.hpp>
#include <atomfile/replace.hpp>
#include <atomfile/temporary_file.hpp>
#include <cstdlib>
#include <exception>
#include <fstream>
#include <iostream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

namespace {

using Args = std::vector<std::string>;

std::string slurp(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) throw std::runtime_error("cannot read " + path);
    return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

atomfile::ReplaceOptions options_for(const Args& args, std::size_t index) {
    atomfile::ReplaceOptions options;
    if (args.size() <= index) return options;
    static const std::map<std::string, atomfile::Durability> levels = {
        {"full", atomfile::Durability::full},
        {"data", atomfile::Durability::data},
        {"none", atomfile::Durability::none}};
    auto level = levels.find(args[index]);
    if (level == levels.end()) throw std::invalid_argument("unknown durability " + args[index]);
    options.durability = level->second;
    return options;
}

void write(const Args& args) {
    atomfile::write_atomic(args.at(0), slurp(args.at(1)), options_for(args, 2));
}

void create(const Args& args) {
    atomfile::ReplaceOptions options;
    options.create_only = true;
    atomfile::write_atomic(args.at(0), slurp(args.at(1)), options);
}

void stream(const Args& args) {
    std::string data = slurp(args.at(1));
    atomfile::AtomicFile file(args.at(0), options_for(args, 2));
    constexpr std::size_t chunk = 16 * 1024;
    for (std::size_t offset = 0; offset < data.size(); offset += chunk)
        file.write(std::string_view(data).substr(offset, chunk));
    file.commit();
}

std::string parent_of(const std::string& path) {
    auto slash = path.rfind('/');
    if (slash == std::string::npos) return ".";
    return slash == 0 ? "/" : path.substr(0, slash);
}

void persist(const Args& args) {
    std::string data = slurp(args.at(1));
    atomfile::NamedTemporaryFileOptions options;
    options.dir = parent_of(args.at(0));
    atomfile::NamedTemporaryFile temp(options);
    temp.write(data);
    temp.persist(args.at(0));
}

void increment(const Args& args) {
    int count = std::stoi(args.at(1));
    for (int i = 0; i < count; ++i) {
        atomfile::safe_update(args.at(0), [](std::string content) {
            long value = content.empty() ? 0 : std::stol(content);
            return std::to_string(value + 1) + "\n";
        });
    }
}

void temp(const Args& args) {
    const std::string& kind = args.at(0);
    const std::string dir = args.at(1) == "-" ? "" : args.at(1);
    if (kind == "mkstemp") {
        auto made = atomfile::mkstemp({}, "tmp", dir);
        std::cout << made.path << '\n';
    } else if (kind == "mkdtemp") {
        std::cout << atomfile::mkdtemp({}, "tmp", dir) << '\n';
    } else if (kind == "named") {
        atomfile::NamedTemporaryFileOptions options;
        options.dir = dir;
        atomfile::NamedTemporaryFile file(options);
        file.write("made by reliability_driver\n");
        file.keep();
        std::cout << file.path() << '\n';
    } else {
        throw std::invalid_argument("unknown temp kind " + kind);
    }
}

// Every descriptor the library holds while user code runs: a safe_update's lock and original
// (the transform runs the command), an open AtomicFile, a NamedTemporaryFile, a TemporaryFile
// and an mkstemp descriptor. The command inherits none of them if all are close-on-exec.
void fd_probe(const Args& args) {
    const std::string target = args.at(0);
    const std::string command = args.at(1);
    atomfile::safe_update(target, [&](std::string content) {
        atomfile::AtomicFile streaming(target + ".stream");
        streaming.write("x");
        atomfile::NamedTemporaryFileOptions named_options;
        named_options.dir = parent_of(target);
        atomfile::NamedTemporaryFile named(named_options);
        atomfile::TemporaryFileOptions anonymous_options;
        anonymous_options.dir = parent_of(target);
        atomfile::TemporaryFile anonymous(anonymous_options);
        auto made = atomfile::mkstemp({}, "tmp", parent_of(target));
        std::cout.flush();
        if (std::system(command.c_str()) != 0) throw std::runtime_error("probe command failed");
        atomfile::NamedTemporaryFile(std::move(named)).cleanup();
        std::remove(made.path.c_str());
        return content;
    });
}

}  // namespace

int main(int argc, char** argv) {
    static const std::map<std::string, void (*)(const Args&)> modes = {
        {"write", write},         {"create", create}, {"stream", stream},    {"persist", persist},
        {"increment", increment}, {"temp", temp},     {"fd-probe", fd_probe}};
    if (argc < 2 || modes.count(argv[1]) == 0) {
        std::cerr << "usage: reliability_driver "
                     "write|create|stream|persist|increment|temp|fd-probe ...\n";
        return 2;
    }
    try {
        modes.at(argv[1])(Args(argv + 2, argv + argc));
    } catch (const std::out_of_range&) {
        std::cerr << "reliability_driver: missing argument for " << argv[1] << '\n';
        return 2;
    } catch (const std::exception& e) {
        std::cerr << "reliability_driver: " << e.what() << '\n';
        return 1;
    }
    return 0;
}
