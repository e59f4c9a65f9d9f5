// The platform layer: the only place in the library that makes system calls. It is Linux, not
// POSIX: it relies on O_TMPFILE, renameat2, copy_file_range, sync_file_range, statx's mount id,
// OFD locks and /proc, and falls back where a kernel or file system lacks one of them.
//
// Every function mirrors one system call (or a short fixed sequence of them) and reports failure
// the way the kernel does: a negative result with errno set. EINTR is retried inside, except
// where the caller must see it. Callers say what they want ("create exclusively", "replace
// without clobbering") and this layer picks the flags, so nothing above it includes <fcntl.h>
// or <unistd.h>. Each function is behind the fault seam (fault_seam.hpp).
//
// One header per concern; this one includes them all:
//   fault_seam.hpp      the seam tests use to fail any call
//   linux_files.hpp     opening, creating, linking, renaming, removing
//   linux_io.hpp        reading, writing, transfers, flushes, writeback
//   linux_metadata.hpp  status, mode, owner, extended attributes, mounts
//   linux_locks.hpp     flock, OFD locks, /proc/locks
//   linux_system.hpp    randomness, ids, environment
// The tools' own system calls (processes, signals) are theirs: tools/cli/system.hpp.
#pragma once

#include "platform/fault_seam.hpp"
#include "platform/linux_files.hpp"
#include "platform/linux_io.hpp"
#include "platform/linux_locks.hpp"
#include "platform/linux_metadata.hpp"
#include "platform/linux_system.hpp"
