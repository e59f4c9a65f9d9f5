// Which symbols the shared library exports.
//
// The library is compiled with hidden visibility: only declarations marked ATOMFILE_API (the
// public classes and free functions of these headers) are exported from libatomfile.so. The
// internals (detail, platform, the fault-injection seam) stay hidden, so they are not part of
// the library's ABI. Marking a static build's symbols changes nothing for its users.
#pragma once

#define ATOMFILE_API __attribute__((visibility("default")))
