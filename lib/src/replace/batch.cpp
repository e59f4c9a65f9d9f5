// Batch: the replace engine's commit protocol, run over many AtomicFiles at once so that they
// share their flushes (atomfile/batch.hpp states the contract, docs/durability.md the why).
#include "atomfile/batch.hpp"

#include <cerrno>
#include <set>
#include <tuple>
#include <utility>

#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/atomic_file_state.hpp"
#include "replace/batch_barrier.hpp"
#include "replace/commit_protocol.hpp"
#include "replace/steps.hpp"

namespace atomfile {

using namespace replace;

namespace {

// A staged target: its directory (device and inode) and its name there. Two stagings with the
// same key would publish two temps at one name.
using TargetKey = std::tuple<std::uint64_t, std::uint64_t, std::string>;

constexpr const char* staged_twice = "stage a file already staged in this batch";

struct Staged {
    std::unique_ptr<AtomicFile> file;  // a stable address: open() hands out references
    TargetKey key;
    bool writeback_started = false;  // write() started it; open()'s files get it at commit
};

TargetKey key_of(const Target& target) {
    platform::FileStatus directory;
    if (platform::stat_fd(target.dir.get(), directory) != 0)
        throw_errno(step::open_directory, target.path);
    return {directory.device, directory.inode, target.name};
}

bool syncs(const ReplaceOptions& options) {
    return options.durability != Durability::none;
}

}  // namespace

struct Batch::State {
    ReplaceOptions options;
    std::vector<Staged> staged;
    std::set<TargetKey> keys;
    std::vector<std::string> replaced;
    std::vector<std::string> not_replaced;
    bool spent = false;

    // Batch is AtomicFile's friend, and so is this member of it.
    static AtomicFile::State& parts(AtomicFile& file) { return *file.state_; }

    AtomicFile& stage(const PathArg& path, const ReplaceOptions& file_options);
    void refuse_duplicate(const TargetKey& key, const std::string& path) const;
    void commit();
    void prepare(std::vector<AtomicFile::State*>& files);
    void barrier(const std::vector<AtomicFile::State*>& files);
    void publish_all(const std::vector<AtomicFile::State*>& files);
    void sync_directories(const std::vector<AtomicFile::State*>& files, std::size_t count);
    void discard() noexcept;
};

void Batch::State::refuse_duplicate(const TargetKey& key, const std::string& path) const {
    if (keys.count(key) != 0) throw_error(EINVAL, staged_twice, path);
}

AtomicFile& Batch::State::stage(const PathArg& path, const ReplaceOptions& file_options) {
    if (spent) throw_error(EBADF, step::create, path.str());
    // Under the lock a second staging would wait for the lock the first one holds: refuse it
    // before taking any lock.
    if (file_options.lock) refuse_duplicate(key_of(resolve_target(path.str(), file_options)),
                                            path.str());
    auto file = std::make_unique<AtomicFile>(path, file_options);
    TargetKey key = key_of(parts(*file).target);
    refuse_duplicate(key, file->target_path());
    keys.insert(key);
    staged.push_back({std::move(file), std::move(key)});
    return *staged.back().file;
}

// Step 1 of the protocol: what AtomicFile::commit does before its sync, for every file, and
// step 2, writeback. Files that skip_unchanged finds unchanged are dropped (and listed).
void Batch::State::prepare(std::vector<AtomicFile::State*>& files) {
    for (Staged& entry : staged) {
        AtomicFile::State& file = parts(*entry.file);
        if (!file.temp) continue;  // committed or discarded by the caller: not ours any more
        if (changes_nothing(file.temp->fd(), file.original, file.target, file.options)) {
            not_replaced.push_back(file.target.path);
            entry.file->discard();
            continue;
        }
        copy_metadata(file.original, file.temp->fd(), file.target, file.options);
        files.push_back(&file);
    }
    std::size_t index = 0;
    for (Staged& entry : staged) {
        AtomicFile::State& file = parts(*entry.file);
        if (index == files.size() || &file != files[index]) continue;
        ++index;
        if (entry.writeback_started || !syncs(file.options)) continue;
        if (platform::start_writeback(file.temp->fd(), 0, 0) != 0)
            throw_errno(step::sync, file.target.path);
    }
}

// Step 3: every temp synced by its own fsync, the calls issued together.
void Batch::State::barrier(const std::vector<AtomicFile::State*>& files) {
    run_concurrently(files.size(), true, [&](std::size_t i) {
        sync_file(files[i]->temp->fd(), files[i]->options.durability, files[i]->target);
    });
}

// Steps 4-6. Conflict checks and backups all come before the first rename, so their failures
// replace nothing; a rename failure stops the renames (the files before it stay replaced).
void Batch::State::publish_all(const std::vector<AtomicFile::State*>& files) {
    for (AtomicFile::State* file : files)
        if (file->options.detect_conflicts) check_unchanged(file->original, file->target);
    for (AtomicFile::State* file : files)
        publish_backup(file->target, file->options.backup_suffix);
    std::size_t done = 0;
    try {
        for (; done < files.size(); ++done) {
            AtomicFile::State& file = *files[done];
            publish(*file.temp, file.target, file.options);
            file.replaced = true;
            replaced.push_back(file.target.path);
        }
    } catch (...) {
        for (std::size_t i = done; i < files.size(); ++i)
            not_replaced.push_back(files[i]->target.path);
        try {
            sync_directories(files, done);  // what was replaced is made durable all the same
        } catch (...) {
            // The rename's error is the one reported: it says which files were not replaced.
        }
        throw;
    }
}

// Step 7: one fsync per distinct directory among the first count files (those replaced), all
// issued together; every directory is synced even when one fails, and the first failure is
// thrown.
void Batch::State::sync_directories(const std::vector<AtomicFile::State*>& files,
                                    std::size_t count) {
    std::vector<AtomicFile::State*> directories;
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
    for (std::size_t i = 0; i < count; ++i) {
        if (!syncs(files[i]->options)) continue;
        const Staged* entry = nullptr;
        for (const Staged& s : staged)
            if (&parts(*s.file) == files[i]) entry = &s;
        const auto& key = entry->key;
        if (seen.insert({std::get<0>(key), std::get<1>(key)}).second)
            directories.push_back(files[i]);
    }
    run_concurrently(directories.size(), false, [&](std::size_t i) {
        AtomicFile::State& file = *directories[i];
        sync_directory(file.target, Durability::full, file.temp->fd());
    });
}

void Batch::State::commit() {
    if (spent) throw_error(EBADF, step::rename, "");
    spent = true;
    std::vector<AtomicFile::State*> files;
    try {
        prepare(files);
        barrier(files);
        publish_all(files);
    } catch (...) {
        if (replaced.empty()) {
            not_replaced.clear();
            for (Staged& entry : staged)
                if (!parts(*entry.file).replaced) not_replaced.push_back(entry.file->target_path());
        }
        discard();
        throw;
    }
    try {
        sync_directories(files, files.size());
    } catch (...) {
        discard();
        throw;
    }
    discard();  // the temps have become the targets: this releases locks and descriptors
}

void Batch::State::discard() noexcept {
    spent = true;
    for (Staged& entry : staged) entry.file->discard();
}

Batch::Batch(ReplaceOptions options) : state_(std::make_unique<State>()) {
    state_->options = std::move(options);
}

Batch::Batch(Batch&&) noexcept = default;
Batch& Batch::operator=(Batch&&) noexcept = default;

Batch::~Batch() {
    discard();
}

void Batch::write(const PathArg& path, std::string_view data) {
    write(path, data, state_->options);
}

void Batch::write(const PathArg& path, std::string_view data, std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(path, data); });
}

void Batch::write(const PathArg& path, std::string_view data, const ReplaceOptions& options) {
    AtomicFile& file = state_->stage(path, options);
    try {
        file.write(data);
        // The disk starts on this file while the caller stages the next ones.
        if (syncs(options) && platform::start_writeback(file.temp_descriptor(), 0, 0) != 0)
            throw_errno(step::write, file.target_path());
    } catch (...) {
        state_->keys.erase(state_->staged.back().key);
        state_->staged.pop_back();  // its destructor drops the temp and the lock
        throw;
    }
    state_->staged.back().writeback_started = syncs(options);
}

void Batch::write(const PathArg& path, std::string_view data, const ReplaceOptions& options,
                  std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(path, data, options); });
}

AtomicFile& Batch::open(const PathArg& path) {
    return state_->stage(path, state_->options);
}

AtomicFile& Batch::open(const PathArg& path, const ReplaceOptions& options) {
    return state_->stage(path, options);
}

AtomicFile* Batch::open(const PathArg& path, std::error_code& ec) noexcept {
    AtomicFile* file = nullptr;
    capture_error(ec, [&] { file = &open(path); });
    return file;
}

AtomicFile* Batch::open(const PathArg& path, const ReplaceOptions& options,
                        std::error_code& ec) noexcept {
    AtomicFile* file = nullptr;
    capture_error(ec, [&] { file = &open(path, options); });
    return file;
}

std::size_t Batch::size() const noexcept {
    if (!state_ || state_->spent) return 0;
    return state_->staged.size();
}

void Batch::commit() {
    state_->commit();
}

void Batch::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

const std::vector<std::string>& Batch::replaced() const noexcept {
    return state_->replaced;
}

const std::vector<std::string>& Batch::not_replaced() const noexcept {
    return state_->not_replaced;
}

void Batch::discard() noexcept {
    if (state_) state_->discard();
}

}  // namespace atomfile
