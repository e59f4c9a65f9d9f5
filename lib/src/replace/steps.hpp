// The words every replace error uses for the step that failed (Error::step()). Callers and
// tests match on them, so they are defined once.
#pragma once

namespace atomfile::replace::step {

inline constexpr const char* resolve = "resolve target";
inline constexpr const char* open_directory = "open target directory";
inline constexpr const char* open_target = "open target";
inline constexpr const char* not_regular = "replace a target that is not a regular file";
inline constexpr const char* hard_links = "replace a target that has other hard links";
inline constexpr const char* target_exists = "create target that already exists";
inline constexpr const char* read_target = "read target";
inline constexpr const char* lock = "take update lock";
inline constexpr const char* lock_timeout = "wait for update lock";
inline constexpr const char* create = "create temp file";
inline constexpr const char* write = "write temp file";
inline constexpr const char* owner = "copy owner to temp file";
inline constexpr const char* mode = "set mode of temp file";
inline constexpr const char* xattrs = "copy extended attributes to temp file";
inline constexpr const char* sync = "sync temp file";
inline constexpr const char* link = "link temp file into target directory";
inline constexpr const char* conflict = "check for concurrent replace";
inline constexpr const char* backup = "make backup";
inline constexpr const char* rename = "rename temp over target";
inline constexpr const char* backup_after_replace = "keep backup after replace";
inline constexpr const char* directory_sync = "sync directory after replace";

}  // namespace atomfile::replace::step
