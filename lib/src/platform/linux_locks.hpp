// Locks and their holders: flock, open-file-description locks, /proc/locks. Part of the
// platform layer (linux.hpp says what that is).
#pragma once

#include <string>

#include "platform/linux_metadata.hpp"

namespace atomfile::platform {

// flock(LOCK_EX). With timeout_ms < 0 waits forever; with 0 does not wait (EWOULDBLOCK);
// otherwise polls until the deadline and then fails with ETIMEDOUT.
int lock_exclusive(int fd, long timeout_ms);
// flock(LOCK_SH), timeouts as lock_exclusive: a reader's lock, compatible with other readers.
int lock_shared(int fd, long timeout_ms);
// An open-file-description write lock on the whole file (fcntl F_OFD_SETLK, F_WRLCK): only a
// descriptor open for writing can take it, so only someone who may write the file can hold it.
// Released when the last descriptor of that open file description closes. Timeouts as
// lock_exclusive. Independent of flock: the two never block each other.
int lock_file_for_writing(int fd, long timeout_ms);
// Whether a process holds a lock (flock, OFD or POSIX) on the file `status` describes, read from
// /proc/locks: 1 (pid set to the holder, or 0 for an OFD lock, whose holder the kernel does not
// show), 0 when nobody holds one, -1 (errno) when /proc/locks cannot be read.
int lock_holder(const FileStatus& status, int& pid);
// The parent of process `pid`, from /proc/PID/stat; -1 (errno) when it cannot be read.
int parent_pid(int pid);
// The login name of uid from the user database; false when it has none.
bool user_name(unsigned uid, std::string& name);

}  // namespace atomfile::platform
