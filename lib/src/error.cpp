#include "atomfile/error.hpp"

#include <cerrno>
#include <iterator>

#include "error_support.hpp"

namespace atomfile {
namespace {

// Indexed by Step.
constexpr const char* step_words[] = {
    "",
    "resolve target",
    "open target directory",
    "open target",
    "replace a target that is not a regular file",
    "replace a target that has other hard links",
    "create target that already exists",
    "read target",
    "take update lock",
    "use an untrusted lock file",
    "create temp file",
    "write temp file",
    "copy into temp file",
    "copy owner to temp file",
    "set mode of temp file",
    "copy extended attributes to temp file",
    "sync temp file",
    "link temp file into target directory",
    "check for concurrent replace",
    "make backup",
    "rename temp over target",
    "sync directory after replace",
    "persist temp file",
    "open directory to clean",
    "list directory to clean",
    "use temp name prefix containing '/'",
    "use temp name suffix containing '/'",
    "get working directory",
    "open temp directory",
    "create temp directory",
    "no unused name",
    "draw random name",
    "use closed temp file",
    "read temp file",
    "seek temp file",
    "truncate temp file",
    "use closed spooled temp file",
    "seek spooled temp file",
    "truncate spooled temp file",
    "find a usable temporary directory; tried",
    "inspect temp file",
    "inspect temp file before removing it",
    "remove temp file",
    "remove name of temp file",
    "create anonymous temp file in",
    "link temp file to",
    "link temp file made without O_TMPFILE (its name is already removed) to",
    "open directory to link temp file into",
    "remove tree at",
    "open parent directory to remove",
    "inspect directory to remove it",
    "list directory to remove it",
    "open directory to remove it",
    "remove directory",
    "remove",
    "remove entry that kept changing",
    "skip mount point (neither emptied nor unmounted)",
    "create parent directory",
    "open transaction root",
    "take transaction lock",
    "check expected content",
    "write transaction journal",
    "sync transaction journal",
    "publish transaction",
    "retire transaction journal",
    "read transaction journal",
    "refuse transaction journal",
    "create staging directory",
    "populate staging directory",
    "exchange directories",
    "remove old directory tree",
    "create temp symlink",
    "rename temp symlink over target",
    "write undo record",
    "overwrite in place",
    "restore from undo record",
};
constexpr int step_count = static_cast<int>(std::size(step_words));
static_assert(static_cast<int>(Step::restore_undo) == step_count - 1, "every Step has its words");

// A value holds the step above the errno: errno values stay far below 2^16.
constexpr int errno_bits = 16;
constexpr int errno_mask = (1 << errno_bits) - 1;

int errno_part(int value) {
    return value & errno_mask;
}

Step step_part(int value) {
    int step = value >> errno_bits;
    return step > 0 && step < step_count ? static_cast<Step>(step) : Step::other;
}

class CodeCategory : public std::error_category {
  public:
    const char* name() const noexcept override { return "atomfile"; }
    std::string message(int value) const override {
        return std::generic_category().message(errno_part(value));
    }
    // Keeps `ec == std::errc::X` comparing the errno.
    std::error_condition default_error_condition(int value) const noexcept override {
        return {errno_part(value), std::generic_category()};
    }
};

bool carries(Step step, int error, errc condition) {
    switch (condition) {
        case errc::replaced_not_durable:
        case errc::replaced:
            return step == Step::directory_sync;
        case errc::replaced_backup_failed:
            return false;  // the backup is made before the replace
        case errc::conflict:
            return step == Step::conflict;
        case errc::lock_timeout:
            return step == Step::lock && error == ETIMEDOUT;
        case errc::lock_deadlock:
            return step == Step::lock && error == EDEADLK;
        case errc::lock_untrusted:
            return step == Step::lock_untrusted;
        case errc::target_exists:
            return step == Step::target_exists;
        case errc::backup_failed:
            return step == Step::backup;
    }
    return false;
}

class ConditionCategory : public std::error_category {
  public:
    const char* name() const noexcept override { return "atomfile.condition"; }
    std::string message(int condition) const override;
    bool equivalent(const std::error_code& code, int condition) const noexcept override {
        if (code.category() != atomfile::error_category()) return false;
        return carries(step_part(code.value()), errno_part(code.value()),
                       static_cast<errc>(condition));
    }
};

std::string ConditionCategory::message(int condition) const {
    switch (static_cast<errc>(condition)) {
        case errc::replaced_not_durable:
            return "replaced, but the directory sync failed: durability unknown";
        case errc::replaced_backup_failed:
            return "replaced, but the backup failed";
        case errc::replaced:
            return "replaced: the new content is in place";
        case errc::conflict:
            return "the target was replaced concurrently";
        case errc::lock_timeout:
            return "timed out waiting for the update lock";
        case errc::lock_deadlock:
            return "the update lock is held by an ancestor of this process";
        case errc::lock_untrusted:
            return "the update lock's name holds a file that cannot be trusted or removed";
        case errc::target_exists:
            return "the target already exists";
        case errc::backup_failed:
            return "the backup could not be made";
    }
    return "unknown atomfile condition";
}

std::string describe(const std::string& step, const std::string& path,
                     const std::string& second_path) {
    std::string what = "atomfile: " + step;
    if (!path.empty()) what += " '" + path + "'";
    if (!second_path.empty()) what += " -> '" + second_path + "'";
    return what;
}

// The same failure in error_category(); a code with no errno to carry is kept as it is.
std::error_code with_step(const std::error_code& code, Step step) {
    if (!code) return code;
    std::error_code errno_code = errno_of(code);
    if (errno_code.category() != std::generic_category()) return code;
    return make_error_code(step, errno_code.value());
}

Step step_named(const std::string& words) {
    for (int i = 1; i < step_count; ++i)
        if (words == step_words[i]) return static_cast<Step>(i);
    return Step::other;
}

}  // namespace

const char* step_text(Step step) noexcept {
    int index = static_cast<int>(step);
    return index >= 0 && index < step_count ? step_words[index] : "";
}

const std::error_category& error_category() noexcept {
    static const CodeCategory category;
    return category;
}

const std::error_category& condition_category() noexcept {
    static const ConditionCategory category;
    return category;
}

std::error_code make_error_code(Step step, int errno_value) noexcept {
    int error = errno_value > 0 && errno_value <= errno_mask ? errno_value : EIO;
    return {static_cast<int>(step) << errno_bits | error, error_category()};
}

std::error_condition make_error_condition(errc condition) noexcept {
    return {static_cast<int>(condition), condition_category()};
}

std::error_code errno_of(const std::error_code& code) noexcept {
    if (code.category() == error_category())
        return {errno_part(code.value()), std::generic_category()};
    std::error_condition condition = code.default_error_condition();
    if (code && condition.category() == std::generic_category())
        return {condition.value(), std::generic_category()};
    return code;
}

Step step_of(const std::error_code& code) noexcept {
    return code.category() == error_category() ? step_part(code.value()) : Step::other;
}

Error::Error(std::error_code code, Step step, std::string path, std::string second_path,
             std::string words)
    : std::system_error(with_step(code, step),
                        describe(words.empty() ? step_text(step) : words, path, second_path)),
      step_id_(step),
      step_(words.empty() ? step_text(step) : std::move(words)),
      path_(std::move(path)),
      second_path_(std::move(second_path)) {}

Error::Error(std::error_code code, std::string step, std::string path, std::string second_path)
    : Error(code, step_named(step), std::move(path), std::move(second_path), step) {}

void throw_errno(Step step, const std::string& path, const std::string& second_path) {
    throw_error(errno, step, path, second_path);
}

void throw_error(int errno_value, Step step, const std::string& path,
                 const std::string& second_path) {
    throw Error(make_error_code(step, errno_value), step, path, second_path);
}

void throw_error(int errno_value, const StepWords& step, const std::string& path,
                 const std::string& second_path) {
    throw Error(make_error_code(step.step, errno_value), step.step, path, second_path, step.words);
}

void throw_errno(const std::string& words, const std::string& path,
                 const std::string& second_path) {
    throw_error(errno, words, path, second_path);
}

void throw_error(int errno_value, const std::string& words, const std::string& path,
                 const std::string& second_path) {
    throw Error(make_error_code(Step::other, errno_value), words, path, second_path);
}

}  // namespace atomfile
