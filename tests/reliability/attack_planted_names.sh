#!/usr/bin/env bash
# Item 6, planted names: attack_planted_names.sh
# A symlink (to an outside file or directory) is planted at exactly the name each temp-making
# operation is about to try. The names are 10 symbols from getrandom, which no real attacker can
# guess, so the test grants the attacker that power: predictable_random.so (LD_PRELOAD) makes
# getrandom repeat the same sequence in every process. A first run learns the name from strace;
# the symlink is planted there; a second run must collide with it (EEXIST seen in its trace),
# draw another name, succeed, and leave the symlink and everything outside untouched.
source "$(dirname "$0")/lib.sh"
need_strace
make_scratch
driver="$RELIABILITY_BIN/reliability_driver"
export LD_PRELOAD="$RELIABILITY_BIN/predictable_random.so"
dir="$SCRATCH/dir" outside="$SCRATCH/outside"
payload 1000 n >"$SCRATCH/new"

reset() {
    rm -rf "$dir" "$outside"
    mkdir -p "$dir" "$outside/directory"
    echo outside >"$outside/file"
    echo old >"$dir/target"
}

traced() {
    strace -f -y -qq -o "$SCRATCH/trace" -e trace=openat,linkat,mkdir,mkdirat \
        ${INJECT:+-e inject="$INJECT"} "$@"
}

# The first temp name tried in $dir by an exclusive open, a link or a mkdir in the trace.
first_name() {
    grep -E '^[0-9]+ +(openat\(.*O_EXCL|linkat\(|mkdirat?\()' "$SCRATCH/trace" | grep -F "$dir" |
        grep -oE '"[^"]*"' | tr -d '"' | sed 's|.*/||' |
        grep -E '^(tmp|\.target\.atomfile-)[a-z0-9_]{10}$' | head -1
}

attacks=0
# attack NAME [strace-injection] -- COMMAND...: one planted-name attack on COMMAND.
attack() {
    local label=$1
    shift
    reset
    traced "$@" >/dev/null || fail "$label failed without an attacker"
    local name
    name=$(first_name)
    [[ -n $name ]] || fail "$label: no temp name found in its trace"
    for link_to in "$outside/file" "$outside/directory"; do
        reset
        ln -s "$link_to" "$dir/$name"
        traced "$@" >"$SCRATCH/out" || fail "$label failed when $name was planted"
        grep -F "\"$name\"" "$SCRATCH/trace" | grep -q EEXIST ||
            fail "$label never tried the planted name $name: the attack did not happen"
        [[ $(readlink "$dir/$name") == "$link_to" ]] || fail "$label replaced the planted symlink"
        [[ $(cat "$outside/file") == outside && -z $(ls -A "$outside/directory") ]] ||
            fail "$label wrote outside through the planted symlink"
        [[ $(head -1 "$dir/target") != old || $label != writer* ]] || fail "$label did not commit"
        attacks=$((attacks + 1))
    done
    echo "planted names: $label collided with $name twice and went around it"
}

attack "mkstemp" "$driver" temp mkstemp "$dir"
attack "mkdtemp" "$driver" temp mkdtemp "$dir"
attack "NamedTemporaryFile" "$driver" temp named "$dir"
attack "writer library" "$driver" write "$dir/target" "$SCRATCH/new"
# The engine's fallback where O_TMPFILE is refused: an exclusive named temp.
reset
traced "$driver" write "$dir/target" "$SCRATCH/new"
k=$(grep -E '^[0-9]+ +openat\(' "$SCRATCH/trace" | grep -n O_TMPFILE | cut -d: -f1)
INJECT="openat:error=EOPNOTSUPP:when=$k" attack "writer library (O_TMPFILE refused)" \
    "$driver" write "$dir/target" "$SCRATCH/new"
[[ -x $ATOMFILE_TOOLS/atomic-write ]] &&
    attack "writer atomic-write" sh -c '"$1" "$2" < "$3"' sh "$ATOMFILE_TOOLS/atomic-write" \
        "$dir/target" "$SCRATCH/new"
[[ -x $ATOMFILE_TOOLS/atomic-edit ]] &&
    attack "writer atomic-edit" "$ATOMFILE_TOOLS/atomic-edit" "$dir/target" -- tr o n
[[ -x $ATOMFILE_TOOLS/json-edit ]] &&
    attack "writer json-edit" sh -c 'echo "{}" > "$2" && "$1" "$2" set /k 1' sh \
        "$ATOMFILE_TOOLS/json-edit" "$dir/target"
[[ -x $ATOMFILE_TOOLS/with-tempdir ]] &&
    attack "with-tempdir" "$ATOMFILE_TOOLS/with-tempdir" --dir "$dir" -- \
        sh -c 'echo x > "$TMPDIR/f"'
echo "planted names: $attacks attacks (symlinks to a file and to a directory at the exact" \
    "temp name), outside untouched: PASS"
