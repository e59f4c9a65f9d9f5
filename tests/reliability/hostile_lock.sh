#!/usr/bin/env bash
# The hostile user, family "lock". The lock
# file ".NAME.atomfile-lock" has a predictable name: before the fix another user who planted it
# (umask 077) made every locking update of the owner fail at once with "Permission denied", a
# planter holding flock on a 0666 one made root wait 30 s, a 250-byte name could not be locked at
# all, parallel `atomic-write -a` lost appends, a command editing the file atomic-edit runs on
# waited 30 s for its own parent, and a timeout said only "Connection timed out". Here the owner
# is uid 65533, the planter nobody (65534), both in SHARED (sticky, like /tmp).
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
# Commands, not functions, so that timeout can run them and $! is the process itself.
as_owner=(setpriv --reuid=65533 --regid=65533 --clear-groups)
nobody=(setpriv --reuid=65534 --regid=65534 --clear-groups)

# planted NAME: nobody's 0600 file at NAME's lock name in SHARED, beside the owner's NAME.
planted() {
    rm -f "$SHARED/$1" "$SHARED/.$1.atomfile-lock"
    "${as_owner[@]}" sh -c "printf '%s\n' '$2' >'$SHARED/$1'"
    as_nobody sh -c "umask 077; : >'$SHARED/.$1.atomfile-lock'"
}

# ran EXPECTED-FILE EXPECTED-CONTENT COMMAND...: COMMAND succeeds within 10 s and leaves the
# expected content.
ran() {
    local file=$1 expected=$2 status=0
    shift 2
    timeout 10 "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    if ((status != 0)) || [[ $(cat "$file") != "$expected" ]]; then
        echo "  exit $status, content: $(cat "$file"), stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

planted_lock_atomic_edit() {
    planted f one
    ran "$SHARED/f" $'one\ntwo' "${as_owner[@]}" "$TOOLS/atomic-edit" "$SHARED/f" -- sh -c 'cat; echo two'
}

planted_lock_json_edit() {
    planted k.json '{"a": 0}'
    ran "$SHARED/k.json" '{"a": 1}' "${as_owner[@]}" "$TOOLS/json-edit" "$SHARED/k.json" set /a 1
}

planted_lock_atomic_write() {
    planted w old
    ran "$SHARED/w" new "${as_owner[@]}" sh -c "echo new | '$TOOLS/atomic-write' -l '$SHARED/w'"
}

# nobody holds flock on a 0666 lock file of theirs: root's atomic-edit must not wait for it.
held_planted_lock_does_not_stall_root() {
    rm -f "$SHARED/g" "$SHARED/.g.atomfile-lock"
    echo old >"$SHARED/g"
    "${nobody[@]}" sh -c "umask 0; exec 9<>'$SHARED/.g.atomfile-lock'; flock 9; exec sleep 30" &
    local holder=$! started=$SECONDS result=0
    for _ in $(seq 50); do
        grep -q "$(stat -c %i "$SHARED/.g.atomfile-lock" 2>/dev/null || echo none)" /proc/locks && break
        sleep 0.1
    done
    ran "$SHARED/g" $'old\nnew' "$TOOLS/atomic-edit" "$SHARED/g" -- sh -c 'cat; echo new' ||
        result=1
    kill "$holder" 2>/dev/null
    wait "$holder" 2>/dev/null || true
    ((result == 0 && SECONDS - started < 5))
}

long_names_lock() {
    local name dir="$SCRATCH/long"
    name=$(printf 'n%.0s' {1..250})
    rm -rf "$dir"
    mkdir "$dir"
    echo '{"a": 0}' >"$dir/$name"
    ran "$dir/$name" '{"a": 1}' "$TOOLS/json-edit" "$dir/$name" set /a 1 &&
        ran "$dir/$name" '{"a": 2}' "$TOOLS/atomic-edit" "$dir/$name" -- sed 's/1/2/' &&
        ran "$dir/$name" '{"a": 3}' sh -c "echo '{\"a\": 3}' | '$TOOLS/atomic-write' -l '$dir/$name'" &&
        [[ $(ls -A "$dir") == "$name" ]]
}

# 8 x 50 parallel appends: -a takes the lock, so none is lost.
parallel_appends_keep_every_line() {
    local log="$SCRATCH/log" pids=() p
    : >"$log"
    for p in 1 2 3 4 5 6 7 8; do
        (for _ in $(seq 50); do echo x | "$TOOLS/atomic-write" -d none -a "$log" || exit 1; done) &
        pids+=($!)
    done
    local failed=0
    for p in "${pids[@]}"; do wait "$p" || failed=1; done
    local lines
    lines=$(wc -l <"$log")
    ((failed == 0 && lines == 400)) || {
        echo "  $lines of 400 lines, a writer failed: $failed"
        return 1
    }
}

# A command that edits the file atomic-edit runs on waits for its own parent: it must fail at
# once, say why, and leave the file as it was.
self_deadlock_fails_fast() {
    local k="$SCRATCH/k.json" status=0 started=$SECONDS
    echo '{"a": 0}' >"$k"
    timeout 10 "$TOOLS/atomic-edit" "$k" -- "$TOOLS/json-edit" "$k" set /a 1 \
        >"$SCRATCH/out" 2>"$SCRATCH/err" || status=$?
    if ((status == 0 || status == 124 || SECONDS - started >= 5)) ||
        [[ $(cat "$k") != '{"a": 0}' ]] || ! grep -q "would never end" "$SCRATCH/err"; then
        echo "  exit $status after $((SECONDS - started)) s, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

# A lock wait that runs out says how long it waited, on which lock, and who holds it.
timeout_names_lock_and_holder() {
    local t="$SCRATCH/t" status=0
    echo old >"$t"
    "$TOOLS/atomic-edit" "$t" -- sh -c 'cat; sleep 3' >/dev/null &
    local holder=$!
    for _ in $(seq 50); do
        [[ -e $SCRATCH/.t.atomfile-lock ]] && break
        sleep 0.1
    done
    echo new | timeout 10 "$TOOLS/atomic-write" --lock-timeout 0.5 "$t" 2>"$SCRATCH/err" ||
        status=$?
    wait "$holder" || true
    local expected="timed out after 0.5 s waiting for the update lock on $SCRATCH/.t.atomfile-lock held by pid $holder"
    if ((status == 0)) || ! grep -qF "$expected" "$SCRATCH/err"; then
        echo "  exit $status, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

check "lock: nobody's planted lock file does not stop the owner's atomic-edit" planted_lock_atomic_edit
check "lock: nobody's planted lock file does not stop the owner's json-edit" planted_lock_json_edit
check "lock: nobody's planted lock file does not stop the owner's atomic-write -l" \
    planted_lock_atomic_write
check "lock: nobody holding flock on a planted 0666 lock file does not stall root" \
    held_planted_lock_does_not_stall_root
check "lock: a 250-byte name can be locked by json-edit, atomic-edit and atomic-write -l" \
    long_names_lock
check "lock: 8 x 50 parallel atomic-write -a keep all 400 lines" parallel_appends_keep_every_line
check "lock: a command editing the file atomic-edit runs on fails at once as a deadlock" \
    self_deadlock_fails_fast
check "lock: a lock timeout names the wait, the lock file and the holder's pid" \
    timeout_names_lock_and_holder
hostile_summary lock
