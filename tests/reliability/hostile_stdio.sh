#!/usr/bin/env bash
# The hostile user, family "stdio": the tools started with standard input, output or error
# closed (`0<&-`, `1>&-`, `2>&-`, as cron, a careless script or a daemon may start them). Before
# the fix the first files a tool opened took the free descriptors 0, 1, 2: json-edit's lock file
# became "standard error" and received its messages; /dev/stdin, /dev/fd/0 and /proc/self/fd/0
# named the tool's own files, so atomic-commit committed an EMPTY file from conf=/dev/stdin and
# exited 0, and json-edit and atomic-install said "Too many levels of symbolic links" or "Is a
# directory" for `@/dev/stdin`; json-edit's temp became descriptor 1 and a long --diff was
# committed into the new file; atomic-install -v exited 1 ("nothing was replaced") after
# replacing DEST when its report could not be written. Now each tool first reserves a closed
# 0, 1, 2 with /dev/null (or / as O_PATH where /dev has no null device) that fails every use as a
# closed descriptor does, and a path leading back to one fails saying which standard descriptor
# is closed; -v's failed report is exit 3. Each case failed before the fix (run against a build
# of the commit before it).
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
for tool in atomic-commit atomic-install; do
    cp "$ATOMFILE_TOOLS/$tool" "$TOOLS/"
done
chmod -R a+rX "$TOOLS"
ac=$TOOLS/atomic-commit ai=$TOOLS/atomic-install je=$TOOLS/json-edit
aw=$TOOLS/atomic-write ae=$TOOLS/atomic-edit
dir="$SCRATCH/work"
mkdir -m 755 "$dir"
nobody_ids=(--reuid=65534 --regid=65534 --clear-groups)

# closed "FDS" COMMAND...: runs COMMAND with stdout and stderr in $SCRATCH/out and $SCRATCH/err
# and with the descriptors FDS ("0", "1 2") closed for it alone; sets STATUS.
closed() {
    local fds=$1
    shift
    STATUS=0
    bash -c 'for fd in '"$fds"'; do eval "exec $fd>&-"; done; exec "$@"' closed "$@" \
        <<<"stdin text" >"$SCRATCH/out" 2>"$SCRATCH/err" || STATUS=$?
}

# said TEXT: the last run's stderr contains TEXT (printed when it does not).
said() {
    grep -qF -- "$1" "$SCRATCH/err" && return 0
    echo "  exit $STATUS, stderr: $(cat "$SCRATCH/err")"
    return 1
}

# holds FILE CONTENT: FILE holds exactly CONTENT (a line), saying what it holds if not.
holds() {
    [[ $(cat "$1") == "$2" ]] && return 0
    echo "  $1 holds: $(head -c 200 "$1")"
    return 1
}

# The data-loss case: conf=/dev/stdin with standard input closed read the tool's own file (the
# root's directory: nothing), committed conf EMPTY and exited 0.
commit_from_closed_stdin() {
    mkdir -p "$dir/root"
    echo old >"$dir/root/conf"
    closed 0 "$ac" "$dir/root" conf=/dev/stdin
    ((STATUS == 1)) && said "/dev/stdin: open: standard input is closed" &&
        holds "$dir/root/conf" old
}

# The same through /dev/fd/0, as nobody in a sticky directory: refused, nobody's file kept.
nobody_commit_from_closed_fd_0() {
    mkdir -m 755 "$SHARED/root"
    echo old >"$SHARED/root/conf"
    chown -R 65534:65534 "$SHARED/root"
    closed 0 setpriv "${nobody_ids[@]}" "$ac" "$SHARED/root" conf=/dev/fd/0
    ((STATUS == 1)) && said "/dev/fd/0: open: standard input is closed" &&
        holds "$SHARED/root/conf" old
}

# The reported defect: "Too many levels of symbolic links" for @/dev/stdin.
json_argument_from_closed_stdin() {
    echo '{"a": 1}' >"$dir/f.json"
    closed 0 "$je" "$dir/f.json" set-string /a @/dev/stdin
    ((STATUS == 4)) && said "json-edit: /dev/stdin: read argument: standard input is closed" &&
        holds "$dir/f.json" '{"a": 1}'
}

# @/dev/stdout with standard output closed: it said "Too many levels of symbolic links" (a
# directory the walk held was descriptor 1).
json_argument_from_closed_stdout() {
    echo '{"a": 1}' >"$dir/f.json"
    closed 1 "$je" "$dir/f.json" set-string /a @/dev/stdout
    ((STATUS == 4)) && said "/dev/stdout: read argument: standard output is closed" &&
        holds "$dir/f.json" '{"a": 1}'
}

# FILE '-' with standard input closed: libstdc++'s "basic_filebuf::underflow error reading the
# file" said nothing of standard input.
json_dash_from_closed_stdin() {
    closed 0 "$je" - get /a
    ((STATUS == 4)) && said "json-edit: -: read standard input: Bad file descriptor" &&
        ! grep -qF basic_filebuf "$SCRATCH/err"
}

# FILE /dev/stdin with standard input closed: "No such file or directory", or with /dev/null
# standing in for it, "unexpected end of input" (exit 3) for a document nobody gave.
json_file_dev_stdin_closed() {
    closed 0 "$je" /dev/stdin get /a
    ((STATUS == 4)) && said "json-edit: /dev/stdin: open: standard input is closed"
}

# Standard output closed, no lock: the new document's temp became descriptor 1, and a --diff
# longer than the stream's buffer was written into it: the file committed (exit 0) held the diff
# and then the document. Now the output fails as on a closed descriptor, and a diff that cannot be
# shown is an edit not made: exit 4, nothing created.
diff_not_into_new_file() {
    local value
    value=$(head -c 20000 /dev/zero | tr '\0' x)
    rm -f "$dir/new.json"
    # Named in the working directory: the descriptors the path's walk takes and frees depend on
    # its depth, and one name here is what leaves descriptor 1 free for the temp.
    cd "$dir" || return 1
    closed 1 "$je" --no-lock --create --diff new.json set-string /a "$value"
    cd - >/dev/null || return 1
    ((STATUS == 4)) && said "write error on standard output: Bad file descriptor; nothing was" &&
        [[ ! -e $dir/new.json ]]
}

# The same for nobody in the sticky directory, standard error closed as well.
nobody_diff_not_into_new_file() {
    local value
    value=$(head -c 20000 /dev/zero | tr '\0' y)
    rm -f "$SHARED/new.json"
    cd "$SHARED" || return 1
    closed "1 2" setpriv "${nobody_ids[@]}" "$je" --no-lock --create --diff new.json \
        set-string /a "$value"
    cd - >/dev/null || return 1
    ((STATUS == 4)) && [[ ! -e $SHARED/new.json ]]
}

# Standard error closed: json-edit's lock file became descriptor 2 and received the message
# (unseen afterwards: the lock file is removed at the end, so the writes are traced).
message_not_into_lock_file() {
    echo '{"a": 1}' >"$dir/g.json"
    STATUS=0
    bash -c 'exec 2>&-; exec "$@"' closed strace -f -y -qq -e trace=write,writev \
        -o "$SCRATCH/trace" "$je" "$dir/g.json" delete /missing || STATUS=$?
    ((STATUS == 1)) && holds "$dir/g.json" '{"a": 1}' &&
        grep -q '^[0-9]* *writev\?(2' "$SCRATCH/trace" &&
        ! grep -q "^[0-9]* *writev\?([0-9]*<$dir" "$SCRATCH/trace" ||
        { echo "  exit $STATUS; $(grep "<$dir" "$SCRATCH/trace" | head -3)"; return 1; }
}

# atomic-install SOURCE /dev/stdin with standard input closed: DEST kept, and said why.
install_from_closed_stdin() {
    echo old >"$dir/dest"
    closed 0 "$ai" /dev/stdin "$dir/dest"
    ((STATUS == 1)) && said "/dev/stdin: open source: standard input is closed" &&
        holds "$dir/dest" old
}

# atomic-install -v with standard output closed replaced DEST, then exited 1, "nothing was
# replaced": the report's failure comes after the commit, so it is 3, and said.
install_report_after_commit() {
    echo old >"$dir/dest2"
    echo new >"$dir/src2"
    closed 1 "$ai" -v "$dir/src2" "$dir/dest2"
    ((STATUS == 3)) && said "every DEST was replaced, but the -v report could not be written" &&
        holds "$dir/dest2" new
}

# atomic-install -d -v with standard output closed made the directories, then exited 1 ("the
# install failed"): like the files' report, it is 3, and said.
install_directories_report_after_work() {
    closed 1 "$ai" -d -v "$dir/made/a" "$dir/made/b"
    ((STATUS == 3)) && said "every directory exists, but the -v report could not be written" &&
        [[ -d $dir/made/a && -d $dir/made/b ]]
}

# atomic-write and atomic-edit FILE /dev/stdout with standard output closed were told "not a
# regular file (character device) ...; to write to it, use '> /dev/stdout'": a descriptor that
# does not exist. They now say that standard output is closed.
write_to_closed_stdout() {
    closed 1 "$aw" /dev/stdout
    ((STATUS == 1)) && said "/dev/stdout: open: standard output is closed" &&
        ! grep -q "use '>" "$SCRATCH/err" || return 1
    closed 1 "$ae" /dev/stdout cat
    ((STATUS == 125)) && said "/dev/stdout: open: standard output is closed" &&
        ! grep -q "use '>" "$SCRATCH/err"
}

# The same two as nobody in the sticky directory: nobody's directories made and reported as
# such; root's symlink to /dev/stdout (trusted: root owns the directory) leads to the closed
# descriptor, said so, the symlink untouched.
nobody_directories_report_after_work() {
    closed 1 setpriv "${nobody_ids[@]}" "$ai" -d -v "$SHARED/made/a" "$SHARED/made/b"
    ((STATUS == 3)) && said "every directory exists, but the -v report could not be written" &&
        [[ $(stat -c %U "$SHARED/made/a") == nobody && -d $SHARED/made/b ]]
}

nobody_write_through_symlink_to_closed_stdout() {
    ln -s /dev/stdout "$SHARED/out"
    closed 1 setpriv "${nobody_ids[@]}" "$aw" "$SHARED/out"
    ((STATUS == 1)) && said "$SHARED/out: open: standard output is closed" &&
        [[ $(readlink "$SHARED/out") == /dev/stdout ]]
}

# nobody's standard output on root's file in the sticky directory, reached through root's
# symlink to /dev/stdout: replacing it is refused, root's file keeps its content, nothing left.
# No temp of roots' left in SHARED (printed when there is).
leftovers_none() {
    local left
    left=$(find "$SHARED" -maxdepth 1 -name '.roots*')
    [[ -z $left ]] && return 0
    echo "  left behind: $left"
    return 1
}

nobody_cannot_replace_roots_stdout_file() {
    ln -s /dev/stdout "$SHARED/out2"
    echo root >"$SHARED/roots"
    local status=0
    setpriv "${nobody_ids[@]}" "$aw" "$SHARED/out2" <<<"nobody" >>"$SHARED/roots" \
        2>"$SCRATCH/err" || status=$?
    STATUS=$status
    ((STATUS == 1)) && said "rename temp over target: Operation not permitted" &&
        holds "$SHARED/roots" root && leftovers_none
}

# An over-long directory name with the report's descriptor closed: the name's failure, exit 1.
directory_name_too_long() {
    closed 1 "$ai" -d -v "$dir/$(printf 'n%.0s' {1..300})"
    ((STATUS == 1)) && said "create parent directory: File name too long"
}

# A chroot or container without /dev/null: / (O_PATH) takes the closed descriptor's place, and
# /proc/self/fd/0 is still refused, not read as the root directory ("Is a directory").
no_dev_null() {
    echo '{"a": 1}' >"$dir/h.json"
    closed 0 unshare -m --propagation private sh -c \
        'mount -t tmpfs none /dev && exec "$@"' sh "$je" "$dir/h.json" set-string /a \
        @/proc/self/fd/0
    ((STATUS == 4)) && said "/proc/self/fd/0: read argument: standard input is closed" &&
        holds "$dir/h.json" '{"a": 1}'
}

check "conf=/dev/stdin with stdin closed: refused, conf keeps its content" commit_from_closed_stdin
check "nobody's conf=/dev/fd/0 with stdin closed: refused, conf kept" nobody_commit_from_closed_fd_0
check "json-edit @/dev/stdin with stdin closed: says so, FILE kept" json_argument_from_closed_stdin
check "json-edit @/dev/stdout with stdout closed: says so, FILE kept" \
    json_argument_from_closed_stdout
check "json-edit - with stdin closed: says standard input" json_dash_from_closed_stdin
check "json-edit /dev/stdin with stdin closed: says so, exit 4" json_file_dev_stdin_closed
check "stdout closed: json-edit --diff neither written into the file nor committed" diff_not_into_new_file
check "nobody, stdout and stderr closed: --diff not committed" nobody_diff_not_into_new_file
if strace -qq -o /dev/null true 2>/dev/null; then
    check "stderr closed: json-edit's message not written into its lock file" \
        message_not_into_lock_file
else
    echo "SKIP message_not_into_lock_file: strace cannot trace here"
fi
check "atomic-install /dev/stdin with stdin closed: says so, DEST kept" install_from_closed_stdin
check "atomic-install -v with stdout closed: DEST new, exit 3, said" install_report_after_commit
check "atomic-install -d -v with stdout closed: directories made, exit 3, said" \
    install_directories_report_after_work
check "atomic-write/atomic-edit /dev/stdout with stdout closed: says it is closed" \
    write_to_closed_stdout
check "nobody's atomic-install -d -v with stdout closed: directories made, exit 3" \
    nobody_directories_report_after_work
check "nobody's atomic-write through root's symlink to a closed /dev/stdout: says it is closed" \
    nobody_write_through_symlink_to_closed_stdout
check "nobody's /dev/stdout on root's file in a sticky directory: refused, file kept" \
    nobody_cannot_replace_roots_stdout_file
check "atomic-install -d -v with an over-long name: File name too long, exit 1" \
    directory_name_too_long
if unshare -m --propagation private true 2>/dev/null; then
    check "no /dev/null: /proc/self/fd/0 of a closed stdin refused, FILE kept" no_dev_null
else
    echo "SKIP no_dev_null: cannot make a mount namespace here"
fi
hostile_summary stdio
