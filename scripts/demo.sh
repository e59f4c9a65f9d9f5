#!/usr/bin/env bash
# The quick start: installs what a fresh Debian 12 lacks, builds atomfile, and updates a sample
# config file atomically with the library and each tool, showing the file after every step.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh

cmake -S . -B build -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build -j"$(nproc)" >/dev/null
echo "built atomfile in build/"

demo=$(mktemp -d)
trap 'rm -rf "$demo"' EXIT
show() {
    echo "---- $1"
    cat "$2"
    echo "---- mode $(stat -c %a "$2"), $(ls -A "$(dirname "$2")" | wc -l) file(s) in its directory"
}

cat >"$demo/app.conf" <<'CONF'
# sample application config
listen = 127.0.0.1:8080
log_level = debug
workers = 4
CONF
chmod 0640 "$demo/app.conf"
show "the sample config" "$demo/app.conf"

echo
echo "== 1. the library: safe_update raises workers from 4 to 8 (docs/examples/quick_start.cpp)"
build/docs/examples/example_quick_start "$demo/app.conf"
show "after safe_update (mode kept, no temp left)" "$demo/app.conf"

if [[ -x build/tools/atomic-write ]]; then
    echo
    echo "== 2. atomic-write: grep -v log_level app.conf | atomic-write app.conf"
    grep -v log_level "$demo/app.conf" | build/tools/atomic-write "$demo/app.conf"
    show "after atomic-write" "$demo/app.conf"
    echo
    echo "== 3. a failing upstream command cannot empty it: false | atomic-write --keep-if-empty"
    false | build/tools/atomic-write --keep-if-empty "$demo/app.conf" || true
    show "unchanged" "$demo/app.conf"
fi
if [[ -x build/tools/atomic-edit ]]; then
    echo
    echo "== 4. atomic-edit: sed as a filter, replaced only if it succeeds"
    build/tools/atomic-edit "$demo/app.conf" -- sed 's/8080/9090/'
    show "after atomic-edit" "$demo/app.conf"
    build/tools/atomic-edit "$demo/app.conf" -- sh -c 'echo half-written; exit 3' ||
        echo "(the filter failed with status $?; the file is untouched)"
    show "unchanged" "$demo/app.conf"
fi
if [[ -x build/tools/json-edit ]]; then
    printf '{\n  "server": {"port": 8080, "ratio": 1.50},\n  // comments survive\n  "debug": true\n}\n' \
        >"$demo/settings.json"
    echo
    show "a JSONC settings file" "$demo/settings.json"
    echo "== 5. json-edit: set /server/port 9090, delete /debug (other bytes untouched)"
    build/tools/json-edit "$demo/settings.json" set /server/port 9090 delete /debug
    show "after json-edit" "$demo/settings.json"
fi
if [[ -x build/tools/with-tempdir ]]; then
    echo
    echo "== 6. with-tempdir: a private scratch directory that is removed afterwards"
    scratch=$(build/tools/with-tempdir -- sh -c 'touch "$TMPDIR/work"; echo "$TMPDIR"')
    echo "the command ran in $scratch (mode 0700); afterwards it $([[ -e $scratch ]] &&
        echo "still exists" || echo "is gone")"
fi
if [[ -x build/tools/atomic-commit ]]; then
    echo
    echo "== 7. atomic-commit: a certificate and its key replaced together, all or nothing"
    mkdir -p "$demo/tls"
    printf 'old certificate\n' >"$demo/tls/cert.pem"
    printf 'old key\n' >"$demo/tls/key.pem"
    printf 'new certificate\n' >"$demo/cert.new"
    printf 'new key\n' >"$demo/key.new"
    build/tools/atomic-commit "$demo" tls/cert.pem="$demo/cert.new" tls/key.pem="$demo/key.new"
    show "the new certificate" "$demo/tls/cert.pem"
    show "and its key" "$demo/tls/key.pem"
fi
if [[ -x build/tools/atomic-dir ]]; then
    echo
    echo "== 8. atomic-dir: a whole directory rebuilt by a command, swapped in only if it succeeds"
    mkdir -p "$demo/site"
    printf 'version 1\n' >"$demo/site/index.html"
    build/tools/atomic-dir "$demo/site" -- sh -c 'printf "version 2\n" > "$ATOMIC_DIR/index.html"'
    show "the new site" "$demo/site/index.html"
    build/tools/atomic-dir "$demo/site" -- sh -c 'echo half > "$ATOMIC_DIR/index.html"; exit 4' ||
        echo "(the command failed with status $?; the site is untouched)"
    show "unchanged" "$demo/site/index.html"
fi
echo
echo "demo done; run the test suite with: bash scripts/test.sh"
