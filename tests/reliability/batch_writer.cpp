// batch_writer DIR N TAG [none]: one group commit (atomfile::Batch) of N files of 4 KiB spread
// over DIR/one and DIR/two (file I in one/ when I is even, else two/), each holding
// batch_content(TAG, I); prints "committed" once commit() has returned. With "none" the batch
// uses Durability::none: the control of power_cut_batch.sh, which must lose updates.
//
// The hostile family (hostile_batch.sh) drives the batch and its neighbours as a user would:
//   batch_writer files [--lock] [--pause] TAG PATH...
//       one Batch writing "TAG PATH\n" to every PATH; a staging that fails ends the program (the
//       Batch is dropped: nothing replaced). With --pause it prints "staged" and waits for a line
//       on stdin before commit(). A failed commit prints the replaced and not-replaced paths.
//   batch_writer scheduled PATH CONTENT    a ScheduledWriter: schedule(CONTENT), flush()
//   batch_writer json PATH KEY VALUE        atomfile::json::update setting .KEY to the JSON VALUE
// Each prints the error (step and path) on stderr and exits 1 when the library refuses.
//
// The group sweep (group_sweep.sh) kills and faults one commit at each of its system calls:
//   batch_writer group TAG PATH...   one Batch writing "TAG PATH\n" to every PATH (the throwing
//       calls). A failed staging prints "staging failed" (the Batch is dropped); a failed commit
//       prints "commit failed", then "replaced PATH" and "not-replaced PATH" lines, on stdout;
//       either way the error's step and path on stderr, and the exit status is 1.
//   batch_writer sweep DIR...        remove_orphaned_temps(DIR, 0 s) on each; prints the count
#include <cstdio>
#include <iostream>
#include <string>
#include <vector>

#include "atomfile/batch.hpp"
#include "atomfile/error.hpp"
#include "atomfile/scheduled_writer.hpp"
#ifdef ATOMFILE_WITH_JSON
#include "atomfile/json.hpp"
#endif

namespace {

std::string content(const std::string& tag, int i) {
    std::string text = tag + " file " + std::to_string(i) + "\n";
    text.resize(4096, '.');
    return text;
}

int power_cut_batch(int argc, char** argv) {
    if (argc < 4 || argc > 5) {
        std::fprintf(stderr, "usage: batch_writer DIR N TAG [none]\n");
        return 2;
    }
    const std::string dir = argv[1], tag = argv[3];
    const int n = std::stoi(argv[2]);
    atomfile::ReplaceOptions options;
    if (argc == 5 && std::string(argv[4]) == "none")
        options.durability = atomfile::Durability::none;
    atomfile::Batch batch(options);
    for (int i = 0; i < n; ++i)
        batch.write(dir + (i % 2 == 0 ? "/one/f" : "/two/f") + std::to_string(i), content(tag, i));
    batch.commit();
    std::printf("committed\n");
    return 0;
}

void print_paths(const char* what, const std::vector<std::string>& paths) {
    for (const std::string& path : paths) std::fprintf(stderr, "%s %s\n", what, path.c_str());
}

int files(int argc, char** argv) {
    atomfile::ReplaceOptions options;
    bool pause = false;
    int i = 2;
    for (; i < argc && argv[i][0] == '-'; ++i) {
        const std::string flag = argv[i];
        if (flag == "--lock") options.lock = true;
        if (flag == "--pause") pause = true;
    }
    if (argc - i < 2) {
        std::fprintf(stderr, "usage: batch_writer files [--lock] [--pause] TAG PATH...\n");
        return 2;
    }
    const std::string tag = argv[i++];
    atomfile::Batch batch(options);
    for (; i < argc; ++i) batch.write(argv[i], tag + " " + argv[i] + "\n");
    if (pause) {
        std::printf("staged\n");
        std::fflush(stdout);
        std::string line;
        std::getline(std::cin, line);
    }
    std::error_code ec;
    batch.commit(ec);
    if (!ec) return 0;
    std::fprintf(stderr, "batch_writer: commit: %s\n", ec.message().c_str());
    print_paths("replaced", batch.replaced());
    print_paths("not-replaced", batch.not_replaced());
    return 1;
}

void print_error(const char* when, const atomfile::Error& e) {
    std::printf("%s failed\n", when);
    std::fprintf(stderr, "batch_writer: %s: step \"%s\", path %s: %s\n", when, e.step().c_str(),
                 e.path().c_str(), e.errno_code().message().c_str());
}

int group(int argc, char** argv) {
    if (argc < 4) {
        std::fprintf(stderr, "usage: batch_writer group TAG PATH...\n");
        return 2;
    }
    const std::string tag = argv[2];
    atomfile::Batch batch;
    try {
        for (int i = 3; i < argc; ++i) batch.write(argv[i], tag + " " + argv[i] + "\n");
    } catch (const atomfile::Error& e) {
        print_error("staging", e);
        return 1;
    }
    try {
        batch.commit();
    } catch (const atomfile::Error& e) {
        print_error("commit", e);
        for (const std::string& path : batch.replaced()) std::printf("replaced %s\n", path.c_str());
        for (const std::string& path : batch.not_replaced())
            std::printf("not-replaced %s\n", path.c_str());
        return 1;
    }
    return 0;
}

int sweep(int argc, char** argv) {
    std::size_t removed = 0;
    for (int i = 2; i < argc; ++i) removed += atomfile::remove_orphaned_temps(argv[i], {});
    std::printf("%zu\n", removed);
    return 0;
}

int scheduled(int argc, char** argv) {
    if (argc != 4) {
        std::fprintf(stderr, "usage: batch_writer scheduled PATH CONTENT\n");
        return 2;
    }
    atomfile::ScheduledWriter writer(argv[2]);
    writer.schedule(std::string(argv[3]));
    writer.flush();
    return 0;
}

int json(int argc, char** argv) {
#ifdef ATOMFILE_WITH_JSON
    if (argc != 5) {
        std::fprintf(stderr, "usage: batch_writer json PATH KEY VALUE\n");
        return 2;
    }
    const std::string key = std::string(".") + argv[3], value = argv[4];
    atomfile::json::update(argv[2], [&](atomfile::json::Document& d) { d.set_text(key, value); });
    return 0;
#else
    (void)argc;
    (void)argv;
    std::fprintf(stderr, "batch_writer: built without the JSON library\n");
    return 77;
#endif
}

}  // namespace

int main(int argc, char** argv) try {
    const std::string command = argc > 1 ? argv[1] : "";
    if (command == "files") return files(argc, argv);
    if (command == "scheduled") return scheduled(argc, argv);
    if (command == "json") return json(argc, argv);
    if (command == "group") return group(argc, argv);
    if (command == "sweep") return sweep(argc, argv);
    return power_cut_batch(argc, argv);
} catch (const std::exception& e) {
    std::fprintf(stderr, "batch_writer: %s\n", e.what());
    return 1;
}
