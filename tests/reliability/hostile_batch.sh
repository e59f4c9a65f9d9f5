#!/usr/bin/env bash
# The hostile user, family "batch": root writing many files at once (atomfile::Batch), and the
# ScheduledWriter and atomfile::json::update beside it, in a sticky, world-writable directory
# where nobody planted something first or changes things between staging and commit; and the
# reverse, nobody running a batch against root's files. Driven through batch_writer (its usage
# says how). Each case fails with a naive writer that writes file after file with the shell's
# `>` (run the script with BATCH_NAIVE=1 to see it): it follows nobody's links, hangs on a
# FIFO, and leaves a half-written set when one file fails.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
cp "$RELIABILITY_BIN/batch_writer" "$TOOLS/" && chmod a+rx "$TOOLS/batch_writer"
writer="$TOOLS/batch_writer"
secret="$SCRATCH/secret"
mkdir -m 700 "$secret"

# What BATCH_NAIVE=1 runs instead of batch_writer: `files` writes file after file with `>`, a
# --lock first writing its pid into each lock name; `scheduled` and `json` write with `>`.
# shellcheck disable=SC2016 # expanded by the bash that runs it
naive='
    if [[ $1 == files ]]; then
        shift
        lock=""
        while [[ $1 == --* ]]; do
            [[ $1 == --lock ]] && lock=1
            [[ $1 == --pause ]] && echo staged && read -r _
            shift
        done
        tag=$1
        shift
        for path; do
            [[ -n $lock ]] && { echo $$ >"${path%/*}/.${path##*/}.atomfile-lock" || exit 1; }
            echo "$tag $path" >"$path" || exit 1
        done
    elif [[ $1 == scheduled ]]; then echo "$3" >"$2"
    else echo "{\"$3\": $4}" >"$2"; fi'

# tool ARGS...: batch_writer ARGS (or the naive writer), bounded in time.
tool() {
    if [[ -n ${BATCH_NAIVE:-} ]]; then
        timeout 10 bash -c "$naive" naive "$@"
    else
        timeout 10 "$writer" "$@"
    fi
}

# batch [--lock] [--pause] TAG PATH...: root's batch.
batch() {
    tool files "$@"
}

# nobody_writer ARGS...: the same as nobody.
nobody_writer() {
    if [[ -n ${BATCH_NAIVE:-} ]]; then
        timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups bash -c "$naive" naive "$@"
    else
        timeout 10 setpriv --reuid=65534 --regid=65534 --clear-groups "$writer" "$@"
    fi
}

# fowner_writer ARGS...: the same as nobody holding CAP_FOWNER (not root).
fowner_writer() {
    local as=(setpriv --reuid=65534 --regid=65534 --clear-groups --inh-caps=+fowner
        --ambient-caps=+fowner)
    if [[ -n ${BATCH_NAIVE:-} ]]; then
        timeout 10 "${as[@]}" bash -c "$naive" naive "$@"
    else
        timeout 10 "${as[@]}" "$writer" "$@"
    fi
}

# root_writer ARGS...: root running batch_writer ARGS.
root_writer() {
    tool "$@"
}

# reset: an empty $SHARED and root's private file.
reset() {
    find "$SHARED" -mindepth 1 -delete
    printf 'root only\n' >"$secret/s"
    chmod 600 "$secret/s"
}

# refused NAMED COMMAND...: COMMAND (which bounds its own time) fails, not by the timeout, and
# its message names NAMED.
refused() {
    local named=$1 status=0
    shift
    "$@" >"$SCRATCH/out" 2>"$SCRATCH/err" </dev/null || status=$?
    if ((status == 0 || status == 124)) || ! grep -qF -- "$named" "$SCRATCH/err"; then
        echo "  exit $status, stderr: $(cat "$SCRATCH/err")"
        return 1
    fi
}

# names DIR: the names in DIR, on one line.
names() {
    find "$1" -mindepth 1 -maxdepth 1 -printf '%f\n' | sort | tr '\n' ' '
}

secret_kept() {
    [[ $(cat "$secret/s") == "root only" && $(names "$secret") == "s " ]]
}

# nobody's symlink at one of three targets: the batch writes none of them, the link is not
# followed (root's private file unchanged) and stays a link; no temp is left.
symlink_at_target() {
    reset
    as_nobody ln -s "$secret/s" "$SHARED/b"
    refused "$SHARED/b" batch root "$SHARED/a" "$SHARED/b" "$SHARED/c" &&
        secret_kept && [[ -L $SHARED/b && $(names "$SHARED") == "b " ]]
}

# nobody's file with a second name at a target: not replaced (it would become root's content
# under nobody's other name's neighbour), both names keep nobody's content.
hard_link_at_target() {
    reset
    as_nobody sh -c "echo nobody >'$SHARED/keep' && ln '$SHARED/keep' '$SHARED/b'"
    refused "$SHARED/b" batch root "$SHARED/a" "$SHARED/b" "$SHARED/c" &&
        [[ $(cat "$SHARED/keep") == nobody && $(cat "$SHARED/b") == nobody ]] &&
        [[ $(names "$SHARED") == "b keep " ]]
}

# nobody's FIFO at a target: refused at once (no open waits for a writer), still a FIFO.
fifo_at_target() {
    reset
    as_nobody mkfifo -m 666 "$SHARED/b"
    refused "$SHARED/b" batch root "$SHARED/a" "$SHARED/b" "$SHARED/c" &&
        [[ -p $SHARED/b && $(names "$SHARED") == "b " ]]
}

# nobody's directory at a target: refused, the directory and what it holds untouched.
directory_at_target() {
    reset
    as_nobody sh -c "mkdir '$SHARED/b' && echo inside >'$SHARED/b/x'"
    refused "$SHARED/b" batch root "$SHARED/a" "$SHARED/b" "$SHARED/c" &&
        [[ $(cat "$SHARED/b/x") == inside && $(names "$SHARED") == "b " ]]
}

# Under --lock, nobody's links (to root's private file) and FIFO at the lock names of root's
# files, a short and a 255-byte name: in a sticky directory existing targets are locked
# themselves, so the batch writes both, follows nothing, waits for nothing, and leaves the
# planted names as they were. (A missing target's lock name taken by nobody is hostile_lock's.)
planted_lock_names() {
    reset
    local long
    long=$(printf 'l%.0s' {1..255})
    echo old >"$SHARED/a"
    echo old >"$SHARED/$long"
    as_nobody ln -s "$secret/s" "$SHARED/.a.atomfile-lock"
    as_nobody ln -s "$secret/s" "$SHARED/.${long:0:200}.atomfile-lock"
    as_nobody mkfifo -m 666 "$SHARED/.${long:0:200}~.atomfile-lock"
    batch --lock root "$SHARED/a" "$SHARED/$long" >/dev/null 2>&1 &&
        [[ $(cat "$SHARED/a") == "root $SHARED/a" && $(cat "$SHARED/$long") == "root $SHARED/$long" ]] &&
        secret_kept && [[ -L $SHARED/.a.atomfile-lock && -p "$SHARED/.${long:0:200}~.atomfile-lock" ]] &&
        [[ $(names "$SHARED" | wc -w) == 5 ]]
}

# A name one byte too long among three: refused naming it, nothing written.
over_long_name() {
    reset
    local long
    long=$(printf 'l%.0s' {1..256})
    refused "$long" batch root "$SHARED/a" "$SHARED/$long" "$SHARED/c" &&
        [[ -z $(names "$SHARED") ]]
}

# between staging and commit: run batch --pause ARGS, run SWAP while it waits, then let it commit.
# Its output and status go to $SCRATCH/out.
swapped_between() {
    local swap=$1
    shift
    coproc staged { batch --pause "$@" 2>&1; echo "status $?"; }
    # shellcheck disable=SC2154 # set by coproc
    local line pid=$staged_PID
    read -r line <&"${staged[0]}"
    [[ $line == staged ]] || { echo "  $line"; return 1; }
    eval "$swap"
    echo go >&"${staged[1]}"
    cat <&"${staged[0]}" >"$SCRATCH/out"
    wait "$pid" 2>/dev/null || true
}

# A missing target swapped for nobody's link to root's private file after staging: the commit
# replaces the link itself, never writes through it.
target_swapped_for_symlink() {
    reset
    swapped_between "as_nobody ln -s '$secret/s' '$SHARED/new'" root "$SHARED/a" "$SHARED/new"
    grep -qx "status 0" "$SCRATCH/out" && secret_kept && [[ ! -L $SHARED/new ]] &&
        [[ $(cat "$SHARED/new") == "root $SHARED/new" && $(names "$SHARED") == "a new " ]]
}

# nobody's directory holding two staged targets moved away after staging, a link to root's
# private directory put in its place: the files land in the directory that was staged in.
directory_swapped_for_symlink() {
    reset
    as_nobody mkdir -m 777 "$SHARED/sub"
    swapped_between "as_nobody mv '$SHARED/sub' '$SHARED/moved' &&
        as_nobody ln -s '$secret' '$SHARED/sub'" root "$SHARED/sub/x" "$SHARED/sub/y"
    secret_kept && [[ $(names "$SHARED/moved") == "x y " ]] &&
        [[ $(cat "$SHARED/moved/x") == "root $SHARED/sub/x" ]]
}

# A small sticky file system that nobody filled, leaving room for three of root's ten new
# files: staging fails at the fourth with ENOSPC naming it; every file keeps its old content, no
# temp is left and the space is free again.
filled_file_system() {
    reset
    local small="$SCRATCH/small" i files=()
    mkdir "$small"
    mount -t tmpfs -o size=80k,mode=1777 tmpfs "$small" || return 1
    for i in {0..9}; do
        echo "old $i" >"$small/f$i"
        files+=("$small/f$i")
    done
    as_nobody sh -c "dd if=/dev/zero of='$small/fill' bs=4096 2>/dev/null; truncate -s -12288 '$small/fill'"
    local free_before ok=0
    free_before=$(df --output=avail "$small" | tail -1)
    refused "$small/f3" batch root "${files[@]}" && grep -q "No space left" "$SCRATCH/err" &&
        [[ $(cat "$small/f0") == "old 0" && $(cat "$small/f9") == "old 9" ]] &&
        [[ $(names "$small" | wc -w) == 11 && $(df --output=avail "$small" | tail -1) == "$free_before" ]] &&
        ok=1
    umount "$small"
    ((ok))
}

# The reverse: nobody's batch of their own file and two of root's in the sticky directory is
# refused when root's first file is staged; nothing is written, nobody's own file included (the
# kernel would refuse the rename over root's file only after publishing nobody's).
nobody_batches_roots_files() {
    reset
    printf 'root 1\n' >"$SHARED/r1"
    printf 'root 2\n' >"$SHARED/r2"
    chmod 666 "$SHARED/r1" "$SHARED/r2"
    as_nobody sh -c "echo mine >'$SHARED/n1'"
    refused "$SHARED/r1" nobody_writer files evil "$SHARED/n1" "$SHARED/r1" "$SHARED/r2" &&
        [[ $(cat "$SHARED/r1") == "root 1" && $(cat "$SHARED/r2") == "root 2" ]] &&
        [[ $(cat "$SHARED/n1") == mine && $(names "$SHARED") == "n1 r1 r2 " ]]
}

# nobody given CAP_FOWNER (a service, not root), which the kernel lets rename over others'
# files in a sticky directory: the batch of root's file and nobody's own in a sticky directory
# of nobody's group is written whole. A third user's file in the sticky world-writable one
# stays refused (protected_regular: planted there for us to fill), nothing written.
fowner_batches_roots_files() {
    reset
    local team="$SCRATCH/team"
    rm -rf "$team" && mkdir -m 1770 "$team" && chgrp 65534 "$team"
    printf 'root\n' >"$team/r1"
    printf 'root\n' >"$SHARED/r1"
    chmod 666 "$team/r1" "$SHARED/r1"
    chown 12345 "$SHARED/r1"
    as_nobody sh -c "echo mine >'$team/n1'"
    fowner_writer files fowner "$team/n1" "$team/r1" 2>"$SCRATCH/err" &&
        [[ $(cat "$team/r1") == "fowner $team/r1" && $(cat "$team/n1") == "fowner $team/n1" ]] &&
        [[ $(names "$team") == "n1 r1 " ]] &&
        refused "$SHARED/r1" fowner_writer files fowner "$SHARED/r1" &&
        [[ $(cat "$SHARED/r1") == root ]] &&
        [[ $(names "$SHARED") == "r1 " ]]
}

# nobody's batch against root's world-writable file in root's own directory: no temp can be
# made there, so the batch is refused; nothing is written (not even in place).
nobody_batches_root_directory() {
    reset
    local own="$SCRATCH/own"
    rm -rf "$own" && mkdir -m 755 "$own"
    printf 'root\n' >"$own/conf"
    chmod 666 "$own/conf"
    refused "$own/conf" nobody_writer files evil "$own/conf" &&
        [[ $(cat "$own/conf") == root && $(names "$own") == "conf " ]]
}

# json::update of a settings file where nobody put a link to root's private file: refused,
# nothing written through it.
json_update_through_symlink() {
    reset
    as_nobody ln -s "$secret/s" "$SHARED/settings.json"
    refused "$SHARED/settings.json" root_writer json "$SHARED/settings.json" k 1 &&
        secret_kept && [[ -L $SHARED/settings.json ]]
}

# json::update where nobody put a FIFO: refused at once.
json_update_fifo() {
    reset
    as_nobody mkfifo -m 666 "$SHARED/settings.json"
    refused "$SHARED/settings.json" root_writer json "$SHARED/settings.json" k 1 &&
        [[ -p $SHARED/settings.json ]]
}

# A ScheduledWriter whose state file nobody replaced by a link to root's private file before
# the first write: flush() fails, nothing is written through it.
scheduled_through_symlink() {
    reset
    as_nobody ln -s "$secret/s" "$SHARED/state"
    refused "$SHARED/state" root_writer scheduled "$SHARED/state" state && secret_kept &&
        [[ -L $SHARED/state ]]
}

# nobody's ScheduledWriter on root's state file in the sticky directory: refused, unchanged.
nobody_schedules_roots_file() {
    reset
    printf 'root state\n' >"$SHARED/state"
    chmod 666 "$SHARED/state"
    refused "$SHARED/state" nobody_writer scheduled "$SHARED/state" evil &&
        [[ $(cat "$SHARED/state") == "root state" && $(names "$SHARED") == "state " ]]
}

check "a batch never follows nobody's symlink at a target and writes none of the set" \
    symlink_at_target
check "a batch refuses nobody's hard-linked file at a target and writes none of the set" \
    hard_link_at_target
check "a batch refuses nobody's FIFO at a target at once" fifo_at_target
check "a batch refuses nobody's directory at a target and leaves it as it was" \
    directory_at_target
check "a locked batch writes past nobody's links and FIFO at the lock names, following none" \
    planted_lock_names
check "a batch with one over-long name writes none of the set" over_long_name
check "a target swapped for nobody's symlink after staging is replaced, not followed" \
    target_swapped_for_symlink
check "a directory swapped for nobody's symlink after staging receives nothing" \
    directory_swapped_for_symlink
check "a batch on a file system nobody filled fails while staging, replacing nothing" \
    filled_file_system
check "nobody's batch including root's files in a sticky directory is refused, nothing written" \
    nobody_batches_roots_files
check "nobody's batch of root's files in root's directory is refused, nothing written" \
    nobody_batches_root_directory
check "nobody with CAP_FOWNER batches root's file in a sticky directory, not a planted one" \
    fowner_batches_roots_files
check "json::update never follows nobody's symlink at the settings file" \
    json_update_through_symlink
check "json::update refuses nobody's FIFO at the settings file at once" json_update_fifo
check "a ScheduledWriter never follows nobody's symlink at its file" scheduled_through_symlink
check "nobody's ScheduledWriter cannot replace root's file in a sticky directory" \
    nobody_schedules_roots_file
hostile_summary batch
