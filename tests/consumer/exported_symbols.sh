#!/usr/bin/env bash
# install/exported_symbols: the shared library exports the public API and nothing else. Its
# internals (atomfile::detail, atomfile::platform, the fault-injection seam) are hidden, so
# they are not part of the installed library's ABI.
# libatomfile_json.so is checked the same way, its core (atomfile::json::detail) hidden.
# Usage: exported_symbols.sh LIBRARY [PUBLIC_SYMBOL...]  (default: atomfile's own)
set -euo pipefail
library=${1:?usage: exported_symbols.sh LIBRARY [PUBLIC_SYMBOL...]}
shift
publics=("$@")
if [[ ${#publics[@]} -eq 0 ]]; then
    publics=('atomfile::write_atomic(' 'atomfile::AtomicFile::commit()' 'typeinfo for atomfile::Error')
fi

symbols=$(nm -D --defined-only --demangle "$library" | cut -d' ' -f3-)
for public in "${publics[@]}"; do
    if ! grep -qF "$public" <<<"$symbols"; then
        echo "exported_symbols: FAIL: $library does not export $public" >&2
        exit 1
    fi
done
# Judged on the mangled names: a symbol is internal when it is defined in atomfile::detail or
# atomfile::platform (functions, variables, and their typeinfo, vtables and thunks), or belongs
# to the fault seam. A public function whose parameter merely names a detail type is not; nor
# are libstdc++'s template instantiations (std::__detail), which the std namespace's default
# visibility exports.
internal=$(nm -D --defined-only "$library" | cut -d' ' -f3- |
    grep -E '^_Z(T[VIST]|GV|Th[^_]*_|Tv[^_]*_[^_]*_)?NK?8atomfile(4json)?(6detail|8platform)|[0-9](set_fault|[Ff]ault)' |
    c++filt || true)
if [[ -n $internal ]]; then
    echo "exported_symbols: FAIL: $library exports internal symbols:" >&2
    echo "$internal" >&2
    exit 1
fi
echo "exported_symbols: $(wc -l <<<"$symbols") symbols exported, none internal: PASS"
