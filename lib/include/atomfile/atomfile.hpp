// atomfile: crash-safe file updates built on secure temporary files.
// Including this header gives the whole public API; see docs/architecture.md for a map.
#pragma once

#include "atomfile/batch.hpp"
#include "atomfile/directories.hpp"
#include "atomfile/error.hpp"
#include "atomfile/file_descriptor.hpp"
#include "atomfile/mkstemp.hpp"
#include "atomfile/named_temporary_file.hpp"
#include "atomfile/ostream.hpp"
#include "atomfile/path_arg.hpp"
#include "atomfile/read_file.hpp"
#include "atomfile/replace.hpp"
#include "atomfile/scheduled_writer.hpp"
#include "atomfile/spooled_temporary_file.hpp"
#include "atomfile/swap.hpp"
#include "atomfile/temp_file_io.hpp"
#include "atomfile/tempdir.hpp"
#include "atomfile/temporary_directory.hpp"
#include "atomfile/temporary_file.hpp"
#include "atomfile/transaction.hpp"
#include "atomfile/version.hpp"
