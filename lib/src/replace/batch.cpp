// Batch: the replace engine's commit protocol, run over many AtomicFiles at once so that they
// share their flushes (atomfile/batch.hpp states the contract, docs/durability.md the why).
#include "atomfile/batch.hpp"

#include <cerrno>
#include <map>
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
    bool metadata_copied = false;    // write() copied it and closed the old file
    bool shares_directory = false;   // its Target::dir is one of Batch::State::shared_directories
};

// A directory as a staged file's Target reached it: device, inode, and whether the descriptor is
// O_PATH (Target::dir_path_only), which decides how it is synced.
using DirectoryKey = std::tuple<std::uint64_t, std::uint64_t, bool>;

TargetKey key_of(const Target& target) {
    platform::FileStatus directory;
    if (platform::stat_fd(target.dir.get(), directory) != 0)
        throw_errno(step::open_directory, target.path);
    return {directory.device, directory.inode, target.name};
}

bool syncs(const ReplaceOptions& options) {
    return options.durability != Durability::none;
}

// The state of a Batch that was not moved from. (A template because Batch::State is private.)
template <class StatePointer>
auto& live(const StatePointer& state, Step what, const std::string& path) {
    if (!state) throw_error(EBADF, what, path);
    return *state;
}

const std::vector<std::string> no_paths;

}  // namespace

struct Batch::State {
    // A file taking part in the commit (not dropped by skip_unchanged, not committed or
    // discarded by the caller on its own).
    struct Pending {
        AtomicFile::State* file;
        Staged* entry;
    };

    ReplaceOptions options;
    // One descriptor per directory for the files write() staged there, so that a staged file
    // holds one descriptor (its temp), not three: their Target::dir holds the same number, and
    // gives it up (release) before it could close it. Declared before staged: closed after it.
    std::map<DirectoryKey, FileDescriptor> shared_directories;
    std::vector<Staged> staged;
    std::map<TargetKey, std::string> keys;  // the target path staged under each
    std::vector<std::string> replaced;
    std::vector<std::string> not_replaced;
    bool spent = false;

    // Batch is AtomicFile's friend, and so is this member of it.
    static AtomicFile::State& parts(AtomicFile& file) { return *file.state_; }

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();

    AtomicFile& stage(const PathArg& path, const ReplaceOptions& file_options);
    void settle(Staged& entry);
    void refuse_duplicate(const TargetKey& key, const std::string& path) const;
    void commit();
    std::vector<Pending> prepare();
    void barrier(const std::vector<Pending>& files);
    void publish_all(const std::vector<Pending>& files);
    void sync_directories(const std::vector<Pending>& files, std::size_t count);
    void discard() noexcept;
};

void Batch::State::refuse_duplicate(const TargetKey& key, const std::string& path) const {
    auto staged_before = keys.find(key);
    if (staged_before != keys.end()) throw_error(EINVAL, staged_twice, path, staged_before->second);
}

AtomicFile& Batch::State::stage(const PathArg& path, const ReplaceOptions& file_options) {
    if (spent) throw_error(EBADF, step::create, path.str());
    // Under the lock a second staging would wait for the lock the first one holds: refuse it
    // before taking any lock.
    if (file_options.lock)
        refuse_duplicate(key_of(resolve_target(path.str(), file_options)), path.str());
    auto file = std::make_unique<AtomicFile>(path, file_options);
    TargetKey key = key_of(parts(*file).target);
    refuse_duplicate(key, path.str());
    keys.emplace(key, file->target_path());
    staged.push_back({std::move(file), std::move(key)});
    return *staged.back().file;
}

// A file staged whole needs nothing more from the old file once its metadata is copied (unless
// skip_unchanged compares contents at commit), and its own directory descriptor is no better
// than an equal one: both are closed. The metadata is copied after the last write, as
// AtomicFile::commit does (write and chown clear setuid bits).
void Batch::State::settle(Staged& entry) {
    AtomicFile::State& file = parts(*entry.file);
    if (!file.options.skip_unchanged) {
        copy_metadata(file.original, file.temp->fd(), file.target, file.options);
        file.original.fd.reset();
        entry.metadata_copied = true;
    }
    const DirectoryKey key{std::get<0>(entry.key), std::get<1>(entry.key),
                           file.target.dir_path_only};
    auto shared = shared_directories.find(key);
    if (shared == shared_directories.end()) {
        shared_directories.emplace(key, FileDescriptor(file.target.dir.get()));
    } else {
        file.target.dir.reset(shared->second.get());
    }
    entry.shares_directory = true;  // nothing may throw from here on
}

// Step 1 of the protocol: what AtomicFile::commit does before its sync, for every file, then
// step 2, writeback. Files that skip_unchanged finds unchanged are dropped (and listed).
std::vector<Batch::State::Pending> Batch::State::prepare() {
    std::vector<Pending> files;
    for (Staged& entry : staged) {
        AtomicFile::State& file = parts(*entry.file);
        if (!file.temp) continue;  // committed or discarded by the caller: not ours any more
        if (changes_nothing(file.temp->fd(), file.original, file.target, file.options)) {
            not_replaced.push_back(file.target.path);
            entry.file->discard();
            continue;
        }
        if (!entry.metadata_copied)
            copy_metadata(file.original, file.temp->fd(), file.target, file.options);
        files.push_back({&file, &entry});
    }
    for (const Pending& pending : files) {
        const AtomicFile::State& file = *pending.file;
        if (pending.entry->writeback_started || !syncs(file.options)) continue;
        if (platform::start_writeback(file.temp->fd(), 0, 0) != 0)
            throw_errno(step::sync, file.target.path);
    }
    return files;
}

// Step 3: every temp synced by its own fsync, the calls issued together.
void Batch::State::barrier(const std::vector<Pending>& files) {
    std::vector<const AtomicFile::State*> synced;  // Durability::none starts no thread
    for (const Pending& pending : files)
        if (syncs(pending.file->options)) synced.push_back(pending.file);
    run_concurrently(synced.size(), true, [&](std::size_t i) {
        sync_file(synced[i]->temp->fd(), synced[i]->options.durability, synced[i]->target);
    });
}

// Steps 4-6. Conflict checks and backups all come before the first rename, so their failures
// replace nothing; a rename failure stops the renames (the files before it stay replaced).
void Batch::State::publish_all(const std::vector<Pending>& files) {
    for (const Pending& pending : files) {
        const AtomicFile::State& file = *pending.file;
        if (file.options.detect_conflicts) check_unchanged(file.original, file.target);
    }
    for (const Pending& pending : files)
        publish_backup(pending.file->target, pending.file->options.backup_suffix);
    std::size_t done = 0;
    try {
        for (; done < files.size(); ++done) {
            AtomicFile::State& file = *files[done].file;
            publish(*file.temp, file.target, file.options);
            file.replaced = true;
            replaced.push_back(file.target.path);
        }
    } catch (...) {
        for (std::size_t i = done; i < files.size(); ++i)
            not_replaced.push_back(files[i].file->target.path);
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
void Batch::State::sync_directories(const std::vector<Pending>& files, std::size_t count) {
    std::vector<const AtomicFile::State*> directories;  // one file in each
    std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
    for (std::size_t i = 0; i < count; ++i) {
        if (!syncs(files[i].file->options)) continue;
        const TargetKey& key = files[i].entry->key;
        if (seen.insert({std::get<0>(key), std::get<1>(key)}).second)
            directories.push_back(files[i].file);
    }
    run_concurrently(directories.size(), false, [&](std::size_t i) {
        const AtomicFile::State& file = *directories[i];
        sync_directory(file.target, Durability::full, file.temp->fd());
    });
}

void Batch::State::commit() {
    if (spent) throw_error(EBADF, step::rename, "");
    spent = true;
    std::vector<Pending> files;
    try {
        files = prepare();
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
    for (Staged& entry : staged) entry.file->discard();  // through the directories, still open
    // Nothing uses the directories any more: the descriptors write()'s files shared are closed.
    for (Staged& entry : staged) {
        if (entry.shares_directory) parts(*entry.file).target.dir.release();
        entry.shares_directory = false;
    }
    shared_directories.clear();
}

Batch::State::~State() {
    discard();
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
    write(path, data, live(state_, step::create, path.str()).options);
}

void Batch::write(const PathArg& path, std::string_view data, std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(path, data); });
}

void Batch::write(const PathArg& path, std::string_view data, const ReplaceOptions& options) {
    AtomicFile& file = live(state_, step::create, path.str()).stage(path, options);
    try {
        file.write(data);
        // The disk starts on this file while the caller stages the next ones.
        if (syncs(options) && platform::start_writeback(file.temp_descriptor(), 0, 0) != 0)
            throw_errno(step::write, file.target_path());
        state_->settle(state_->staged.back());
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
    State& state = live(state_, step::create, path.str());
    return state.stage(path, state.options);
}

AtomicFile& Batch::open(const PathArg& path, const ReplaceOptions& options) {
    return live(state_, step::create, path.str()).stage(path, options);
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
    live(state_, step::rename, "").commit();
}

void Batch::commit(std::error_code& ec) noexcept {
    capture_error(ec, [&] { commit(); });
}

const std::vector<std::string>& Batch::replaced() const noexcept {
    return state_ ? state_->replaced : no_paths;
}

const std::vector<std::string>& Batch::not_replaced() const noexcept {
    return state_ ? state_->not_replaced : no_paths;
}

void Batch::discard() noexcept {
    if (state_) state_->discard();
}

}  // namespace atomfile
