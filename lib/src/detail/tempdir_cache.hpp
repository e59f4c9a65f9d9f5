// Internal access to gettempdir()'s cache, for tests that change the environment.
#pragma once

namespace atomfile::detail {

// Forgets the cached answer (and any set_tempdir() override) so the next gettempdir() searches.
void reset_tempdir_cache() noexcept;

}  // namespace atomfile::detail
