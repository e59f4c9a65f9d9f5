// Batch: the replace engine's commit protocol, run over many AtomicFiles at once so that they
// share their flushes (atomfile/batch.hpp states the contract, docs/durability.md the why).
#include "atomfile/batch.hpp"

#include <algorithm>
#include <cerrno>
#include <map>
#include <optional>
#include <set>
#include <tuple>
#include <utility>
#include <vector>

#include "detail/random_name.hpp"
#include "error_support.hpp"
#include "platform/linux.hpp"
#include "replace/atomic_file_state.hpp"
#include "replace/batch_barrier.hpp"
#include "replace/batch_targets.hpp"
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

void stat_directory(const Target& target, platform::FileStatus& directory) {
    if (platform::stat_fd(target.dir.get(), directory) != 0)
        throw_errno(step::open_directory, target.path);
}

constexpr unsigned sticky_bit = 01000;
constexpr unsigned world_writable = 0002;

// A directory as a path's text names it, from the working directory (device and inode) for a
// relative one: a batch that reached it once reaches it again without walking.
using WalkKey = std::tuple<std::uint64_t, std::uint64_t, std::string>;

// Splits path as the walk does ("a/b/c": "a/b" and "c", a bare name lives in "."); false when
// the last component cannot name a file, which the walk then reports.
bool split_final(const std::string& path, std::string& directory, std::string& name) {
    const std::size_t slash = path.rfind('/');
    directory = slash == std::string::npos ? "." : slash == 0 ? "/" : path.substr(0, slash);
    name = slash == std::string::npos ? path : path.substr(slash + 1);
    return !name.empty() && name != "." && name != "..";
}

bool walk_key(const std::string& directory, WalkKey& key) {
    std::uint64_t device = 0, inode = 0;
    if (directory.front() != '/') {
        platform::FileStatus here;
        if (platform::stat_at(platform::current_directory, ".", here, true) != 0) return false;
        device = here.device;
        inode = here.inode;
    }
    key = WalkKey{device, inode, directory};
    return true;
}

// The walk's protected_regular rule (target_resolution.hpp), for a final name looked up in a
// directory reached before.
void check_may_replace(const Target& target, const platform::FileStatus& directory) {
    const platform::FileStatus& file = *target.status;
    if (file.type != platform::FileType::regular || !(directory.mode & sticky_bit) ||
        !(directory.mode & world_writable) || file.uid == platform::current_uid() ||
        file.uid == directory.uid)
        return;
    throw_error(EACCES, step::resolve, target.path,
                "owned by uid " + std::to_string(file.uid) +
                    " in a sticky world-writable directory: not replaced (protected_regular)");
}

// What resolve_target would give for name in a directory reached before (dir, its status):
// the same target, without walking to it again; nullopt for a link to follow, which the walk
// must do (and check). The target borrows dir, the batch's shared descriptor: no dup and no
// close per file.
std::optional<Target> final_name_in(int dir, bool path_only, const platform::FileStatus& status,
                                    const std::string& path, std::string directory,
                                    std::string name, const ReplaceOptions& options) {
    Target target;
    target.path = path;
    target.directory = std::move(directory);
    target.name = std::move(name);
    platform::FileStatus found;
    if (platform::stat_at(dir, target.name.c_str(), found, false) == 0)
        target.status = found;
    else if (errno != ENOENT)
        throw_errno(step::resolve, path);
    if (target.status && target.status->type == platform::FileType::symlink &&
        options.follow_symlinks)
        return std::nullopt;
    if (target.status && options.protected_regular && !options.create_only)
        check_may_replace(target, status);
    target.dir_path_only = path_only;
    target.dir.borrow(dir);
    return target;
}

// The kernel refuses to rename over a file in a sticky directory unless we own the file or the
// directory, or hold CAP_FOWNER: asked of the kernel, not read from the uid, as root in a
// container may lack it and a service given it need not be root. write_atomic just meets that
// EPERM at its rename; a batch would meet it in the middle of its renames, after publishing the
// files before it, so it refuses such a file when it is staged instead. In a user namespace
// CAP_FOWNER covers only files whose owner and group the namespace maps. This predicts the
// kernel only: the refusals that protect against planted files (protected_regular, links) hold
// whatever the capabilities.
void check_may_rename_over(const Target& target, const platform::FileStatus& directory) {
    if (!target.status || !(directory.mode & sticky_bit)) return;
    const unsigned self = platform::current_uid();
    if (target.status->uid == self || directory.uid == self) return;
    if (platform::has_fowner_capability() &&
        platform::owner_mapped(target.status->uid, target.status->gid))
        return;
    throw_error(EPERM, step::resolve, target.path,
                "owned by uid " + std::to_string(target.status->uid) +
                    " in a sticky directory owned by uid " + std::to_string(directory.uid) +
                    ": the kernel would refuse to replace it (sticky bit)");
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

// A file whose target did not exist when it was staged needs no temp name: its anonymous temp is
// linked at the target's name directly, one directory operation where a name and a rename take
// two (and the name's flock). Not with a backup to publish or an in-place staging.
template <class FileState>
bool links_at_target(const FileState& file) {
    return !file.target.status && file.temp->anonymous() && !file.staging &&
           !file.options.create_only && file.options.backup_suffix.empty();
}

// Publishes such a temp: linked at the target's name; a target that appeared since it was
// staged is replaced all the same, through a temp name and a rename as any other. A failure
// is reported as the rename's, the step a failed publication has (batch.hpp), that of the
// late temp name too (a full directory).
void link_at_target(ReplaceTemp& temp, const Target& target, const ReplaceOptions& options) {
    try {
        temp.link_as_target();
        return;
    } catch (const Error& e) {
        if (e.code() != std::errc::file_exists) throw Error(e.code(), step::rename, target.path);
    }
    try {
        temp.give_name();
    } catch (const Error& e) {
        throw Error(e.code(), step::rename, target.path);
    }
    publish(temp, target, options);  // renames the named temp over the newcomer
}

}  // namespace

struct Batch::State {
    // A file taking part in the commit (not dropped by skip_unchanged, not committed or
    // discarded by the caller on its own).
    struct Pending {
        AtomicFile::State* file;
        Staged* entry;
    };

    // A directory walked to by a path's text (the walk followed no link): where the files
    // staged there share a descriptor, the next path with that text is not walked again.
    struct Walked {
        DirectoryKey key;
        platform::FileStatus status;
    };

    ReplaceOptions options;
    std::map<WalkKey, Walked> walked;
    // One descriptor per directory for the files staged there, so that a file staged by write()
    // holds one descriptor (its temp), not three: their Target::dir borrows it (never closes
    // it), and a file staged into a directory reached before costs no dup and no close.
    // Declared before staged: closed after it.
    std::map<DirectoryKey, FileDescriptor> shared_directories;
    std::vector<Staged> staged;
    std::map<TargetKey, std::string> keys;  // the target path staged under each
    std::vector<std::string> replaced;
    std::vector<std::string> not_replaced;
    std::optional<Identity> identity;
    bool spent = false;

    // Batch is AtomicFile's friend, and so is this member of it.
    static AtomicFile::State& parts(AtomicFile& file) { return *file.state_; }

    State() = default;
    State(const State&) = delete;
    State& operator=(const State&) = delete;
    ~State();

    // The effective ids, read once per batch (batch.hpp): copy_metadata uses them while the
    // returned scope lives.
    IdentityScope as_caller();
    AtomicFile& stage(const PathArg& path, const ReplaceOptions& file_options);
    Target resolve(const std::string& path, const ReplaceOptions& file_options,
                   platform::FileStatus& directory);
    void settle(Staged& entry);
    void share_directory(Staged& entry);
    void drop_last() noexcept;
    AtomicFile& stage_open(const PathArg& path, const ReplaceOptions& file_options);
    template <class Fill>
    AtomicFile& stage_whole(const PathArg& path, const ReplaceOptions& file_options, Fill fill);
    void copy_whole(AtomicFile& file, int fd, const AtomicFile::StopRequested& stop);
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

// resolve_target(path, file_options) and the status of the target's directory; a directory
// that this batch walked to by the same text before, and shares a descriptor of, is not walked
// again: its files cost a lookup of their name, not a walk from "/" (batch.hpp).
IdentityScope Batch::State::as_caller() {
    if (!identity) identity = current_identity();
    return IdentityScope(*identity);
}

Target Batch::State::resolve(const std::string& path, const ReplaceOptions& file_options,
                             platform::FileStatus& directory) {
    std::string directory_text, name;
    WalkKey walk;
    const bool known_by_text =
        split_final(path, directory_text, name) && walk_key(directory_text, walk);
    if (known_by_text) {
        auto known = walked.find(walk);
        auto shared = known == walked.end() ? shared_directories.end()
                                            : shared_directories.find(known->second.key);
        if (shared != shared_directories.end()) {
            std::optional<Target> target =
                final_name_in(shared->second.get(), std::get<2>(known->second.key),
                              known->second.status, path, directory_text, name, file_options);
            if (target) {
                directory = known->second.status;
                return std::move(*target);
            }
        }
    }
    // The walk looks for transaction roots above the directory (AtomicFile recovers them): a
    // directory reached again by its text is not looked at again.
    Target target = resolve_target(path, file_options, true);
    stat_directory(target, directory);
    if (known_by_text && target.links_followed.empty())
        walked[walk] = {{directory.device, directory.inode, target.dir_path_only}, directory};
    return target;
}

AtomicFile& Batch::State::stage(const PathArg& path, const ReplaceOptions& file_options) {
    if (spent) throw_error(EBADF, step::create, path.str());
    platform::FileStatus directory;
    Target target = resolve(path.str(), file_options, directory);
    TargetKey key{directory.device, directory.inode, target.name};
    // Before anything is created or locked: under the lock a second staging would wait for the
    // lock the first one holds.
    refuse_duplicate(key, path.str());
    if (!file_options.create_only && !file_options.in_place_fallback)
        check_may_rename_over(target, directory);
    std::unique_ptr<AtomicFile> file;
    {
        HandOver resolved(target);
        file = std::make_unique<AtomicFile>(path, file_options);
    }
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
    share_directory(entry);
}

// The file's Target::dir borrows the batch's descriptor of its directory; a file that walked
// there gives its own descriptor to the batch when the batch had none (later paths into that
// directory then skip the walk: resolve), or closes it.
void Batch::State::share_directory(Staged& entry) {
    Target& target = parts(*entry.file).target;
    if (!target.dir.borrowed()) {
        // The only throw (the map's allocation) comes before any descriptor moves.
        FileDescriptor& shared = shared_directories[DirectoryKey{
            std::get<0>(entry.key), std::get<1>(entry.key), target.dir_path_only}];
        if (!shared) shared.reset(target.dir.release());
        target.dir.borrow(shared.get());  // closes its own, if it still has one
    }
    entry.shares_directory = true;
}

// A staging that failed after stage(): dropped (its temp and lock go with it).
void Batch::State::drop_last() noexcept {
    keys.erase(staged.back().key);
    staged.pop_back();
}

AtomicFile& Batch::State::stage_open(const PathArg& path, const ReplaceOptions& file_options) {
    AtomicFile& file = stage(path, file_options);
    try {
        share_directory(staged.back());
    } catch (...) {
        drop_last();
        throw;
    }
    return file;
}

// What write() and copy() share: stages path, fills its temp (fill(file)), starts its writeback
// so the disk works on it while the caller stages the next files, and settles it. A failure
// stages nothing.
template <class Fill>
AtomicFile& Batch::State::stage_whole(const PathArg& path, const ReplaceOptions& file_options,
                                      Fill fill) {
    AtomicFile& file = stage(path, file_options);
    try {
        IdentityScope ids = as_caller();
        fill(file);
        if (syncs(file_options) && platform::start_writeback(file.temp_descriptor(), 0, 0) != 0)
            throw_errno(step::write, file.target_path());
        settle(staged.back());
    } catch (...) {
        drop_last();
        throw;
    }
    staged.back().writeback_started = syncs(file_options);
    return file;
}

// Copies fd into file's fresh temp (offset 0). A regular file is read by offset from its start
// up to the size it has now, so a small one costs one transfer: no seek (the temp is fresh, so
// its offset is known) and no read to find the end (the size says where it is). One reporting
// size 0 (a /proc file) is read by offset too, from its start to its end: the caller's offset
// is never used nor moved. Anything else is streamed to its end, from where it is.
void Batch::State::copy_whole(AtomicFile& staged_file, int fd,
                              const AtomicFile::StopRequested& stop) {
    AtomicFile::State& file = parts(staged_file);
    const std::string& path = file.target.path;
    const int temp = file.temp->fd();
    platform::FileStatus source;
    if (platform::stat_fd(fd, source) != 0) throw_errno(step::copy_into_temp, path);
    if (source.type != platform::FileType::regular) {
        bool stopped = false;
        AtomicFile::StopRequested watch;
        if (stop) watch = [&stopped, &stop] { return stopped = stop(); };
        file.position =
            static_cast<std::int64_t>(copy_into_temp(fd, temp, 0, *file.behind, watch, path));
        if (stopped) throw_error(ECANCELED, step::copy_into_temp, path);
        return;
    }
    const bool to_end = source.size == 0;
    std::vector<char> buffer;
    std::int64_t from = 0;
    while (to_end || from < source.size) {
        if (stop && stop()) throw_error(ECANCELED, step::copy_into_temp, path);
        const auto size = static_cast<std::size_t>(
            to_end ? WriteBehind::piece : std::min(source.size - from, WriteBehind::piece));
        const long moved = platform::transfer_range(fd, from, temp, size, buffer);
        if (moved < 0 && errno == EINTR) continue;
        if (moved < 0) throw_errno(step::copy_into_temp, path);
        if (moved == 0) break;  // its end (a file that shrank since: its end now)
        file.position = from;
        file.behind->advance(temp, 0, from, path);
    }
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
    // A temp's name costs a directory entry, which a full file system refuses: every temp is
    // named before the first rename, so that failure too replaces nothing. The names' random
    // bytes are drawn from the kernel a block at a time, not one call per file.
    detail::RandomPool pool;
    for (const Pending& pending : files)
        if (!pending.file->options.create_only && !links_at_target(*pending.file))
            pending.file->temp->give_name();
    for (const Pending& pending : files)
        publish_backup(pending.file->target, pending.file->options.backup_suffix);
    std::size_t done = 0;
    try {
        for (; done < files.size(); ++done) {
            AtomicFile::State& file = *files[done].file;
            if (links_at_target(file))
                link_at_target(*file.temp, file.target, file.options);
            else
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
    IdentityScope ids = as_caller();
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
    // Nothing uses the directories any more: the descriptors the files shared are closed.
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
    live(state_, step::create, path.str()).stage_whole(path, options, [data](AtomicFile& file) {
        file.write(data);
    });
}

void Batch::write(const PathArg& path, std::string_view data, const ReplaceOptions& options,
                  std::error_code& ec) noexcept {
    capture_error(ec, [&] { write(path, data, options); });
}

AtomicFile& Batch::open(const PathArg& path) {
    State& state = live(state_, step::create, path.str());
    return state.stage_open(path, state.options);
}

AtomicFile& Batch::open(const PathArg& path, const ReplaceOptions& options) {
    return live(state_, step::create, path.str()).stage_open(path, options);
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

const std::string& Batch::copy(const PathArg& path, int fd, const AtomicFile::StopRequested& stop) {
    return copy(path, fd, live(state_, step::create, path.str()).options, stop);
}

const std::string& Batch::copy(const PathArg& path, int fd, const ReplaceOptions& options,
                               const AtomicFile::StopRequested& stop) {
    State& state = live(state_, step::create, path.str());
    return state
        .stage_whole(path, options,
                     [&state, fd, &stop](AtomicFile& file) { state.copy_whole(file, fd, stop); })
        .target_path();
}

const std::string* Batch::copy(const PathArg& path, int fd, std::error_code& ec) noexcept {
    const std::string* target = nullptr;
    capture_error(ec, [&] { target = &copy(path, fd); });
    return target;
}

const std::string* Batch::copy(const PathArg& path, int fd, const ReplaceOptions& options,
                               const AtomicFile::StopRequested& stop,
                               std::error_code& ec) noexcept {
    const std::string* target = nullptr;
    capture_error(ec, [&] { target = &copy(path, fd, options, stop); });
    return target;
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
