# Shared by the reliability scripts (sourced, not run).
#
# ctest sets RELIABILITY_BIN (the driver and helper programs) and ATOMFILE_TOOLS (the built
# tools). A script exits 77 to report "skipped" (ctest's SKIP_RETURN_CODE) with the reason.
#
# The writers under test, each replacing TARGET's old content with a new one:
#   library       reliability_driver write (write_atomic); library-stream: AtomicFile in 16 KiB
#                 writes; library-persist: NamedTemporaryFile::persist
#   atomic-write  atomic-write TARGET < NEW
#   atomic-edit   atomic-edit TARGET -- (a command that reads the old content, prints the new)
#   json-edit     json-edit TARGET set /payload @NEW.json (only the value's bytes change)

set -euo pipefail
: "${RELIABILITY_BIN:?run through ctest, or set RELIABILITY_BIN and ATOMFILE_TOOLS}"
: "${ATOMFILE_TOOLS:?run through ctest, or set RELIABILITY_BIN and ATOMFILE_TOOLS}"

# The ASan build: LeakSanitizer cannot run under ptrace, and the LD_PRELOAD shim of the attack
# test must not be refused for coming before the ASan runtime. Leaks are the unit tests' concern.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0:verify_asan_link_order=0"

skip() {
    echo "SKIPPED: $*"
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

need_strace() {
    command -v strace >/dev/null || skip "strace is not installed (scripts/install-deps.sh)"
    strace -qq -o /dev/null true 2>/dev/null || skip "strace cannot trace here (ptrace refused)"
}

need_root() {
    [[ $(id -u) == 0 ]] || skip "needs root"
}

# A scratch directory removed when the script exits.
make_scratch() {
    SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/atomfile-reliability-XXXXXX")
    trap 'chmod -R u+rwx "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT
}

writer_binary() {
    case $1 in
        library*) echo "$RELIABILITY_BIN/reliability_driver" ;;
        *) echo "$ATOMFILE_TOOLS/$1" ;;
    esac
}

# payload N CHAR: N copies of CHAR, in lines of 64, so a torn file is visible in any state.
payload() {
    head -c "$1" /dev/zero | tr '\0' "$2" | fold -w 64
}

# writer_setup WRITER DIR [FILES]: creates DIR/target with the old content, and in FILES (default:
# DIR's parent) the files the writer reads; sets TARGET, OLD (a copy of the old content) and NEW
# (the content expected after the update), and WRITER_CMD/WRITER_STDIN for writer_run.
writer_setup() {
    local writer=$1 dir=$2 parent=${3:-${2%/*}}
    mkdir -p "$dir"
    TARGET="$dir/target" OLD="$parent/old.$writer" NEW="$parent/new.$writer"
    WRITER_STDIN=/dev/null
    local binary
    binary=$(writer_binary "$writer")
    [[ -x $binary ]] || fail "$writer is not built ($binary)"
    if [[ $writer == json-edit ]]; then
        printf '{\n  "name": "atomfile",\n  "payload": "%s",\n  "n": 1.50\n}\n' \
            "$(payload 60000 a | tr -d '\n')" >"$OLD"
        printf '"%s"\n' "$(payload 70000 b | tr -d '\n')" >"$parent/new-value.json"
        sed "s/\"a*\",/$(head -c -1 "$parent/new-value.json"),/" "$OLD" >"$NEW"
        WRITER_CMD=("$binary" "$TARGET" set /payload "@$parent/new-value.json")
    else
        payload 40000 o >"$OLD"
        payload 150000 n >"$NEW"
        case $writer in
            library) WRITER_CMD=("$binary" write "$TARGET" "$NEW") ;;
            library-stream) WRITER_CMD=("$binary" stream "$TARGET" "$NEW") ;;
            library-persist) WRITER_CMD=("$binary" persist "$TARGET" "$NEW") ;;
            atomic-write) WRITER_CMD=("$binary" "$TARGET") WRITER_STDIN=$NEW ;;
            atomic-edit)
                WRITER_CMD=("$binary" "$TARGET" --
                    sh -c 'cat >/dev/null && exec cat "$1"' sh "$NEW")
                ;;
            *) fail "unknown writer $writer" ;;
        esac
    fi
    cp "$OLD" "$TARGET"
}

# Runs the writer (optionally under a prefix command such as strace); returns its status.
writer_run() {
    "$@" "${WRITER_CMD[@]}" <"$WRITER_STDIN"
}

# old, new or torn: what TARGET holds now.
target_state() {
    if cmp -s "$TARGET" "$OLD"; then echo old
    elif cmp -s "$TARGET" "$NEW"; then echo new
    else echo torn; fi
}

# The names in a directory other than the target, one per line.
strays() {
    find "$1" -mindepth 1 -maxdepth 1 ! -name target -printf '%f\n' | sort
}

# commit_calls TRACE DIR: the system calls of a commit in an `strace -y` log, as "NAME K" lines
# (the K-th call of NAME since the program started, which is what strace's when=K counts),
# from the first call that touches DIR (before it: program start-up) to the end.
commit_calls() {
    awk -v dir="$2" '
        match($0, /^[a-z0-9_]+\(/) {
            name = substr($0, 1, RLENGTH - 1)
            seen[name]++
            if (!started && name != "execve" && index($0, dir)) started = 1
            if (started) print name, seen[name]
        }' "$1"
}

# protocol_steps TRACE DIR: the protocol's steps in an `strace -y` log, as "STEP NAME K" lines:
# the temp's sync, the publication (the first link or rename into DIR), the directory's sync.
protocol_steps() {
    awk -v dir="$2" '
        match($0, /^[a-z0-9_]+\(/) {
            name = substr($0, 1, RLENGTH - 1)
            seen[name]++
            is_sync = name ~ /^f(data)?sync$/
            if (is_sync && index($0, dir "/") && !temp_sync) temp_sync = name " " seen[name]
            if (name ~ /^(linkat|renameat2?)$/ && index($0, dir) && !publish)
                publish = name " " seen[name]
            if (is_sync && index($0, "<" dir ">") && publish && !dir_sync)
                dir_sync = name " " seen[name]
        }
        END { print "sync-temp", temp_sync; print "publish", publish; print "sync-dir", dir_sync }
    ' "$1"
}

# --- The hostile-user family (tests/reliability/hostile_*.sh) ---------------------------------
# Each case is driven as a user would, or as a second, unprivileged user (nobody, 65534) against
# the first one's files in a sticky, world-writable directory. The tools are copied into a
# directory every user may read, since the build tree may sit under a 0700 home.

need_other_user() {
    need_root
    command -v setpriv >/dev/null || skip "setpriv is not installed (util-linux)"
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null ||
        skip "cannot switch to uid 65534 here"
}

# hostile_setup: SCRATCH (0755) holding SHARED, a sticky world-writable directory like /tmp, and
# TOOLS, a copy of the built tools that nobody may run.
hostile_setup() {
    make_scratch
    chmod 755 "$SCRATCH"
    SHARED="$SCRATCH/shared" TOOLS="$SCRATCH/tools"
    mkdir -m 1777 "$SHARED"
    mkdir -m 755 "$TOOLS"
    local tool
    for tool in atomic-write atomic-edit json-edit with-tempdir; do
        [[ -x $ATOMFILE_TOOLS/$tool ]] && cp "$ATOMFILE_TOOLS/$tool" "$TOOLS/"
    done
    chmod -R a+rX "$TOOLS"
    CHECKS=0 FAILURES=0
}

# as_nobody COMMAND...: runs COMMAND as uid/gid 65534 with no supplementary groups.
as_nobody() {
    setpriv --reuid=65534 --regid=65534 --clear-groups "$@"
}

# check NAME CONDITION-COMMAND...: one hostile case; prints PASS/FAIL NAME, counts failures.
check() {
    local name=$1
    shift
    CHECKS=$((CHECKS + 1))
    if "$@"; then
        echo "PASS $name"
    else
        echo "FAIL $name"
        FAILURES=$((FAILURES + 1))
    fi
}

# hostile_summary FAMILY: the summary line docs/reliability.md quotes; fails if any case failed.
hostile_summary() {
    echo "$1: $((CHECKS - FAILURES))/$CHECKS cases held"
    ((FAILURES == 0)) || exit 1
}
