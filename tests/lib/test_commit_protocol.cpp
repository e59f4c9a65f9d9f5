// The commit protocol under failure: every system call failed in turn with every errno the
// issue names, the forced fallbacks, and a crash at every step.
#include <doctest/doctest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <functional>
#include <set>
#include <utility>

#include "atomfile/replace.hpp"
#include "lib/replace_support.hpp"

using namespace atomfile;
using namespace atomfile::test;
using platform::Call;

namespace {

const std::string old_content = "old content\n";
const std::string new_content = "new content, longer than the old one\n";
const std::string older_backup = "the backup of an earlier replace\n";

struct Scenario {
    const char* what;
    bool target_exists;
    ReplaceOptions options;
    bool no_anonymous = false;    // force the named-temp fallback
    bool earlier_backup = false;  // "target~" exists before the replace
};

// A fresh directory with the target ("old", 0640, one user xattr when supported).
void prepare(const ScratchDir& dir, const Scenario& scenario) {
    if (scenario.earlier_backup) write_file(dir / "target~", older_backup);
    if (!scenario.target_exists) return;
    write_file(dir / "target", old_content);
    fs::permissions(dir / "target", fs::perms(0640));
    set_user_xattr(dir / "target", "user.atomfile-test", "kept");
}

bool keeps_backup(const Scenario& scenario) {
    return !scenario.options.backup_suffix.empty() && scenario.target_exists;
}

// A backup replace, failed or not, never loses the old content: it stays at the target (which
// is then unchanged but for its link count) or is at the backup name; nothing else is left.
void check_backup_outcome(const ScratchDir& dir, const Scenario& scenario, bool replaced,
                          const FileSnapshot& before) {
    const fs::path target = dir / "target";
    const fs::path backup = dir / "target~";
    std::vector<std::string> names = list_dir(dir.path());
    bool has_backup = fs::exists(backup);
    CHECK((read_file(target) == old_content || (has_backup && read_file(backup) == old_content)));
    if (replaced) {
        CHECK(read_file(target) == new_content);
        CHECK(read_file(backup) == old_content);
    } else {
        FileSnapshot now = snapshot(target);
        now.links = before.links;  // a published backup is a second link to the unchanged target
        CHECK(now == before);
        if (has_backup) {
            std::string kept = read_file(backup);
            CHECK((kept == old_content || (scenario.earlier_backup && kept == older_backup)));
        }
        CHECK(has_backup == (scenario.earlier_backup || snapshot(target).links == 2));
    }
    std::vector<std::string> expected{"target"};
    if (has_backup) expected.push_back("target~");
    CHECK(names == expected);
}

std::vector<ScopedFault::Rule> fallback_rules(const Scenario& scenario) {
    if (!scenario.no_anonymous) return {};
    return {{Call::create_anonymous, EOPNOTSUPP, 0}};
}

// The locked scenarios go through safe_update, the others through write_atomic.
void commit(const ScratchDir& dir, const Scenario& scenario) {
    const std::string target = (dir / "target").string();
    if (scenario.options.lock)
        safe_update(
            target, [](const std::string&) { return new_content; }, scenario.options);
    else
        write_atomic(target, new_content, scenario.options);
}

// The calls one successful commit makes, in order.
std::vector<Call> record_calls(const Scenario& scenario) {
    ScratchDir dir;
    prepare(dir, scenario);
    CallRecorder recorder;
    std::optional<ScopedFault> no_anonymous;
    if (scenario.no_anonymous) no_anonymous.emplace(Call::create_anonymous, EOPNOTSUPP, 0);
    commit(dir, scenario);
    std::vector<Call> calls = recorder.calls();
    return calls;
}

// Faults that the protocol is documented to survive: the outcome is a complete replace.
// (Closes are not checked for errors; the lock holder's pid record, the first write under the
// lock, is informative only; a lock file that cannot be unlinked is taken over by the next
// writer; a target directory that may not be read, the first open, is used through O_PATH.)
bool tolerated(const Scenario& scenario, Call call, int nth, int error) {
    bool pid_record = scenario.options.lock && call == Call::write && nth == 1;
    bool unreadable_directory = call == Call::open && nth == 1 && error == EACCES;
    return (call == Call::write && error == EINTR) || (call == Call::fchown && error == EPERM) ||
           call == Call::close || call == Call::unlink || pid_record || unreadable_directory;
}

void check_one_fault(const Scenario& scenario, Call call, int nth, int error) {
    ScratchDir dir;
    prepare(dir, scenario);
    const fs::path target = dir / "target";
    const std::vector<std::string> before_listing = list_dir(dir.path());
    const FileSnapshot before = scenario.target_exists ? snapshot(target) : FileSnapshot{};
    std::vector<ScopedFault::Rule> rules = fallback_rules(scenario);
    rules.push_back({call, error, nth});
    bool failed = false;
    try {
        ScopedFault plan(rules);
        commit(dir, scenario);
    } catch (const Error& e) {
        failed = true;
        CHECK(e.errno_code().value() == error);
        CHECK(std::string(e.what()).find(target.string()) != std::string::npos);
        CHECK(!e.step().empty());
        if (keeps_backup(scenario)) {
            check_backup_outcome(dir, scenario, is_replaced(e), before);
        } else if (is_replaced(e)) {
            CHECK(read_file(target) == new_content);
        } else {
            CHECK(list_dir(dir.path()) == before_listing);
            if (scenario.target_exists) CHECK(snapshot(target) == before);
        }
    }
    if (!failed) {
        CHECK(tolerated(scenario, call, nth, error));
        CHECK(read_file(target) == new_content);
        if (keeps_backup(scenario)) check_backup_outcome(dir, scenario, true, before);
    }
    // No temp and no lock file are left, except a lock file whose unlink was failed: unlocked,
    // it is removable.
    std::size_t extra = 0;
    for (const std::string& name : list_dir(dir.path()))
        extra += name != "target" && name != "target~";
    if (extra > 0) {
        CHECK(call == Call::unlink);
        CHECK(remove_orphaned_temps(dir.path(), std::chrono::seconds(0)) == extra);
    }
}

void run_matrix(const Scenario& scenario) {
    const std::vector<Call> calls = record_calls(scenario);
    std::map<Call, int> occurrences;
    for (Call call : calls) {
        if (scenario.no_anonymous && call == Call::create_anonymous) continue;  // forced already
        int nth = ++occurrences[call];
        for (int error : {EIO, ENOSPC, EDQUOT, EINTR, EXDEV, EPERM, EACCES}) {
            std::string what = scenario.what;
            std::string call_name = platform::call_name(call);
            CAPTURE(what);
            CAPTURE(call_name);
            CAPTURE(nth);
            CAPTURE(error);
            check_one_fault(scenario, call, nth, error);
        }
    }
}

std::vector<Scenario> scenarios() {
    ReplaceOptions locked;
    locked.lock = true;
    ReplaceOptions backup;
    backup.backup_suffix = "~";
    ReplaceOptions data;
    data.durability = Durability::data;
    ReplaceOptions create_only;
    create_only.create_only = true;
    return {{"replace an existing file", true, {}},
            {"replace under the update lock", true, locked},
            {"replace keeping a backup", true, backup},
            {"replace keeping a backup over an earlier one", true, backup, false, true},
            {"replace keeping a backup through a named temp", true, backup, true},
            {"replace with fdatasync", true, data},
            {"create a new file", false, {}},
            {"create only", false, create_only},
            {"replace through a named temp", true, {}, true},
            {"create only through a named temp", false, create_only, true}};
}

}  // namespace

TEST_CASE("a failure of any system call leaves the target as it was, or reports the replace") {
    for (const Scenario& scenario : scenarios()) run_matrix(scenario);
}

TEST_CASE("the fault matrix covers every step of the protocol") {
    std::vector<Call> calls = record_calls(scenarios()[0]);
    for (Call step : {Call::create_anonymous, Call::write, Call::fchmod, Call::xattr_list,
                      Call::fsync, Call::link, Call::rename})
        CHECK(std::count(calls.begin(), calls.end(), step) >= 1);
    CHECK(std::count(calls.begin(), calls.end(), Call::fsync) == 2);  // file, then directory
    ScratchDir probe;
    write_file(probe / "f", "");
    if (set_user_xattr(probe / "f", "user.probe", "x")) {  // the xattrs are copied one by one
        CHECK(std::count(calls.begin(), calls.end(), Call::xattr_get) >= 1);
        CHECK(std::count(calls.begin(), calls.end(), Call::xattr_set) >= 1);
    }
}

TEST_CASE("a failed fsync of the temp is never retried into a success") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault(Call::fsync, EIO, 1);
    CHECK_THROWS_AS(write_atomic((dir / "target").string(), new_content), Error);
    CHECK(fault.calls_seen() == 1);
    CHECK(read_file(dir / "target") == old_content);
}

TEST_CASE("a failed directory sync after the rename is its own error, never a success") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault(Call::fsync, EIO, 2);
    try {
        write_atomic((dir / "target").string(), new_content);
        FAIL("the directory sync failure was swallowed");
    } catch (const Error& e) {
        CHECK(is_replaced_but_not_durable(e));
        CHECK(e.step() == "sync directory after replace");
        CHECK(e.code() == std::errc::io_error);
    }
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE(
    "an injected directory-fsync failure is seen by an error_code caller as "
    "errc::replaced_not_durable, with EIO reachable") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault(Call::fsync, EIO, 2);
    std::error_code ec;
    write_atomic((dir / "target").string(), new_content, {}, ec);
    CHECK(ec == atomfile::errc::replaced_not_durable);
    CHECK(ec == atomfile::errc::replaced);
    CHECK(ec == std::errc::io_error);
    CHECK(errno_of(ec) == std::error_code(EIO, std::generic_category()));
    CHECK(step_of(ec) == Step::directory_sync);
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE("a failure before the rename is not replaced_not_durable for an error_code caller") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault(Call::fsync, EIO, 1);
    std::error_code ec;
    write_atomic((dir / "target").string(), new_content, {}, ec);
    CHECK(ec == std::errc::io_error);
    CHECK(ec != atomfile::errc::replaced_not_durable);
    CHECK(ec != atomfile::errc::replaced);
    CHECK(step_of(ec) == Step::sync_temp);
    CHECK(read_file(dir / "target") == old_content);
}

TEST_CASE("a directory that refuses fsync with EINVAL is made durable by syncing its file system") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault(Call::fsync, EINVAL, 2);  // the temp's fsync, then the directory's
    CallRecorder recorder;                      // above the fault: sees the refused call too
    write_atomic((dir / "target").string(), new_content);
    CHECK(fault.fired());
    CHECK(recorder.count(Call::fsync) == 3);  // the temp, the refused directory, syncfs
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE("when the file system sync that stands in for the directory's fails, it is reported") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault fault({{Call::fsync, EINVAL, 2}, {Call::fsync, EIO, 3}});
    std::error_code ec;
    write_atomic((dir / "target").string(), new_content, {}, ec);
    CHECK(ec == atomfile::errc::replaced_not_durable);
    CHECK(ec == std::errc::io_error);
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE("without O_TMPFILE the temp is a named file in the target's directory") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    ScopedFault plan({{Call::create_anonymous, EOPNOTSUPP, 0}});
    AtomicFile file((dir / "target").string());
    std::vector<std::string> names = list_dir(dir.path());
    REQUIRE(names.size() == 2);
    CHECK(names[0].rfind(".target.atomfile-", 0) == 0);
    file.write(new_content);
    file.commit();
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE("with O_TMPFILE nothing is named in the directory while the file is written") {
    ScratchDir dir;
    write_file(dir / "target", old_content);
    AtomicFile file((dir / "target").string());
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
    file.write(new_content);
    file.commit();
    CHECK(read_file(dir / "target") == new_content);
}

TEST_CASE("create-only without renameat2 falls back to link and keeps the no-clobber guarantee") {
    ReplaceOptions options;
    options.create_only = true;
    ScratchDir dir;
    {
        ScopedFault plan({{Call::create_anonymous, EOPNOTSUPP, 0}, {Call::rename, EINVAL, 0}});
        write_atomic((dir / "fresh").string(), new_content, options);
    }
    CHECK(read_file(dir / "fresh") == new_content);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"fresh"});

    // The target appears between the check and the publish: link still refuses to clobber it.
    ScopedFault plan({{Call::create_anonymous, EOPNOTSUPP, 0}, {Call::rename, EINVAL, 0}});
    AtomicFile file((dir / "late").string(), options);
    write_file(dir / "late", old_content);
    file.write(new_content);
    std::error_code ec;
    file.commit(ec);
    CHECK(ec == std::errc::file_exists);
    CHECK(read_file(dir / "late") == old_content);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"fresh", "late"});
}

TEST_CASE("create-only refuses a target that appears after the file was opened") {
    ReplaceOptions options;
    options.create_only = true;
    ScratchDir dir;
    AtomicFile file((dir / "late").string(), options);
    write_file(dir / "late", old_content);
    file.write(new_content);
    CHECK_THROWS_WITH_AS(file.commit(), doctest::Contains("already exists"), Error);
    CHECK(read_file(dir / "late") == old_content);
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"late"});
}

TEST_CASE("an error_code caller sees create-only on an existing target as errc::target_exists") {
    ReplaceOptions options;
    options.create_only = true;
    ScratchDir dir;
    write_file(dir / "there", old_content);
    std::error_code ec;
    write_atomic((dir / "there").string(), new_content, options, ec);
    CHECK(ec == atomfile::errc::target_exists);
    CHECK(ec == std::errc::file_exists);
    CHECK(read_file(dir / "there") == old_content);
}

TEST_CASE("conflict detection fails the commit when another writer replaced the target") {
    ReplaceOptions options;
    options.detect_conflicts = true;
    ScratchDir dir;
    write_file(dir / "target", old_content);
    AtomicFile file((dir / "target").string(), options);
    write_file(dir / "other", "written by someone else\n");
    fs::rename(dir / "other", dir / "target");
    file.write(new_content);
    std::error_code ec;
    file.commit(ec);
    CHECK(ec == conflict_error());
    CHECK(ec == atomfile::errc::conflict);
    CHECK(ec == std::errc::device_or_resource_busy);
    CHECK(ec != atomfile::errc::replaced);
    CHECK(read_file(dir / "target") == "written by someone else\n");
    CHECK(list_dir(dir.path()) == std::vector<std::string>{"target"});
}

TEST_CASE("conflict detection lets an undisturbed commit through") {
    ReplaceOptions options;
    options.detect_conflicts = true;
    ScratchDir dir;
    write_file(dir / "target", old_content);
    AtomicFile file((dir / "target").string(), options);
    file.write(new_content);
    file.commit();
    CHECK(read_file(dir / "target") == new_content);
}

// ---- crash sweep ---------------------------------------------------------------------------

namespace {

// Runs the commit in a child that kills itself at its k-th system call. Returns the child's
// wait status.
int commit_in_child(const ScratchDir& dir, const Scenario& scenario, int k) {
    return run_killed_at_call(k, [&] {
        // The named fallback is forced by answering EOPNOTSUPP, under the kill.
        std::optional<ScopedFault> no_anonymous;
        if (scenario.no_anonymous) no_anonymous.emplace(Call::create_anonymous, EOPNOTSUPP, 0);
        commit(dir, scenario);
    });
}

void sweep(const Scenario& scenario) {
    const std::vector<Call> calls = record_calls(scenario);
    for (int k = 1;; ++k) {
        std::string what = scenario.what;
        CAPTURE(what);
        CAPTURE(k);
        ScratchDir dir;
        prepare(dir, scenario);
        int status = commit_in_child(dir, scenario, k);
        if (WIFEXITED(status)) {
            CHECK(WEXITSTATUS(status) == 0);
            CHECK(k == static_cast<int>(calls.size()) + 1);
            CHECK(read_file(dir / "target") == new_content);
            std::vector<std::string> expected{"target"};
            if (keeps_backup(scenario)) {
                CHECK(read_file(dir / "target~") == old_content);
                expected.push_back("target~");
            }
            CHECK(list_dir(dir.path()) == expected);
            return;
        }
        REQUIRE(WIFSIGNALED(status));
        REQUIRE(k <= static_cast<int>(calls.size()));
        std::string call_name = platform::call_name(calls[k - 1]);
        CAPTURE(call_name);
        std::vector<std::string> names = list_dir(dir.path());
        bool has_target = std::count(names.begin(), names.end(), "target") == 1;
        bool has_backup = std::count(names.begin(), names.end(), "target~") == 1;
        if (scenario.target_exists || has_target) {
            std::string content = read_file(dir / "target");
            CHECK((content == old_content || content == new_content));
            // The old content is never without a name: the backup holds it before the switch.
            if (content == new_content && keeps_backup(scenario))
                CHECK(read_file(dir / "target~") == old_content);
        }
        if (has_backup) CHECK(read_file(dir / "target~") == old_content);
        std::size_t leftovers = names.size() - (has_target ? 1 : 0) - (has_backup ? 1 : 0);
        // An O_TMPFILE has a name only between the link and the rename.
        if (!scenario.no_anonymous && !scenario.options.lock)
            CHECK((leftovers == 0 || calls[k - 1] == Call::rename));
        CHECK(remove_orphaned_temps(dir.path(), std::chrono::seconds(0)) == leftovers);
        std::vector<std::string> expected;
        if (has_target) expected.push_back("target");
        if (has_backup) expected.push_back("target~");
        CHECK(list_dir(dir.path()) == expected);
    }
}

}  // namespace

TEST_CASE("a writer killed at any system call leaves the old or the new content") {
    ReplaceOptions locked;
    locked.lock = true;
    sweep({"replace through O_TMPFILE", true, {}});
    sweep({"create through O_TMPFILE", false, {}});
    ReplaceOptions create_only;
    create_only.create_only = true;
    sweep({"create only through O_TMPFILE: never a temp name", false, create_only});
    sweep({"replace through a named temp", true, {}, true});
    sweep({"safe_update under the lock", true, locked});
    ReplaceOptions backup;
    backup.backup_suffix = "~";
    sweep({"replace keeping a backup", true, backup});
    sweep({"replace keeping a backup through a named temp", true, backup, true});
}
