#!/usr/bin/env bash
# The hostile user, family "limits": every tool run under resource limits, as a careless script
# or a hostile parent may start it: `ulimit -f` below the new content (SIGXFSZ), `ulimit -n` of a
# handful of descriptors (EMFILE at each step), `ulimit -v` too small for the document (ENOMEM,
# std::bad_alloc), `ulimit -u 1` as nobody (no thread to be had), a file system out of inodes or
# blocks, and directories without write or search permission. The promise under attack: the
# target whole old or whole new, nothing left behind but what the docs say persists (a root's
# .atomfile-transaction.lock), a message naming the path and the step, a documented status.
# Before the fixes: SIGXFSZ killed the tools mid-way (status 153, "nothing changed"), leaving
# lock files, atomic-commit's half-staged transaction and atomic-dir's staging directory;
# atomic-dir out of descriptors left its staging directory; with-tempdir failed (125, "could not
# be removed entirely") after removing its directory, and said "No such file or directory" for
# EMFILE; atomic-commit called EMFILE "refuse transaction journal"; json-edit said only "out of
# memory", without the file; atomic-dir and atomic-ln in a directory without search permission
# named steps never reached ("exchange directories", "rename temp symlink over target"). Each
# such case failed on the code before its fix (run against a build of the commit before it);
# the others held already and stay as guards.
source "$(dirname "$0")/lib.sh"
need_other_user
hostile_setup
for tool in atomic-commit atomic-install atomic-dir atomic-ln; do
    cp "$ATOMFILE_TOOLS/$tool" "$TOOLS/"
done
chmod -R a+rX "$TOOLS"
aw=$TOOLS/atomic-write ae=$TOOLS/atomic-edit je=$TOOLS/json-edit wt=$TOOLS/with-tempdir
ac=$TOOLS/atomic-commit ai=$TOOLS/atomic-install ad=$TOOLS/atomic-dir al=$TOOLS/atomic-ln
work="$SCRATCH/work" mnt="$SCRATCH/mnt"
mkdir -m 755 "$work" "$mnt"
trap 'umount "$mnt" 2>/dev/null || true; chmod -R u+rwx "$SCRATCH" 2>/dev/null; rm -rf "$SCRATCH"' EXIT

# limited "ULIMITS" COMMAND...: runs COMMAND under the ulimit options ULIMITS ("-f 10", "" for
# none), stdin from $INPUT (default /dev/null), stdout and stderr in $SCRATCH/out and
# $SCRATCH/err; sets STATUS. "nobody" as COMMAND runs the rest as nobody, limits applied after
# the switch (RLIMIT_NPROC, checked at the switch, would refuse it). Descriptors above 2 that
# the caller inherited (ctest's) are closed first, so that `-n N` leaves N - 3 to the tool.
limited() {
    local limits=${1:--c 0} who=()
    shift
    [[ $1 == nobody ]] && who=(setpriv --reuid=65534 --regid=65534 --clear-groups) && shift
    STATUS=0
    "${who[@]}" bash -c 'for fd in $(ls /proc/$$/fd); do ((fd < 3)) || eval "exec $fd>&-"; done
        ulimit '"$limits"' && exec "$@"' limited "$@" <"${INPUT:-/dev/null}" \
        >"$SCRATCH/out" 2>"$SCRATCH/err" || STATUS=$?
}

# not_started: the last run's program could not even be loaded (its shared libraries need
# descriptors and address space too, and so does the first thread's TLS): nothing was touched,
# the status is the loader's 127.
not_started() {
    ((STATUS == 127)) &&
        grep -qE "error while loading shared libraries|cannot allocate TLS data" "$SCRATCH/err"
}

# said TEXT / unsaid TEXT: the last run's stderr contains TEXT / does not.
said() {
    grep -qF -- "$1" "$SCRATCH/err" && return 0
    echo "  exit $STATUS, stderr: $(head -c 300 "$SCRATCH/err")"
    return 1
}
unsaid() {
    grep -qF -- "$1" "$SCRATCH/err" || return 0
    echo "  exit $STATUS, stderr: $(head -c 300 "$SCRATCH/err")"
    return 1
}

status_is() {
    ((STATUS == $1)) && return 0
    echo "  exit $STATUS (expected $1), stderr: $(head -c 300 "$SCRATCH/err")"
    return 1
}

# only DIR NAME...: DIR holds exactly the entries NAME... (hidden ones included).
only() {
    local dir=$1
    shift
    local want have
    want=$(printf '%s\n' "$@" | sort)
    have=$(ls -A "$dir" | sort)
    [[ $have == "$want" ]] && return 0
    echo "  $dir holds: ${have//$'\n'/ }"
    return 1
}

# fresh NAME: an empty directory $work/NAME, made anew.
fresh() {
    rm -rf "${work:?}/$1"
    mkdir -p "$work/$1"
    echo "$work/$1"
}

payload() { head -c "$1" /dev/zero | tr '\0' x; }
payload 100000 >"$SCRATCH/big"
echo new >"$SCRATCH/new"

# A JSON document of about N MiB: a member per 100 bytes.
json_of() {
    awk -v n=$(($1 * 10000)) 'BEGIN {
        pad = sprintf("%90s", ""); gsub(/ /, "x", pad); printf "{"
        for (i = 0; i < n; i++) printf "\"k%d\": \"%s\", ", i, pad
        print "\"end\": 0}" }'
}
json_of 2 >"$SCRATCH/two.json"
json_of 20 >"$SCRATCH/twenty.json"

# ---- ulimit -f: a write past the limit fails with EFBIG, reported; nothing killed, nothing left.

xfsz_write() {
    local d
    d=$(fresh xw)
    echo old >"$d/f"
    INPUT=$SCRATCH/big limited "-f 10" "$aw" -l "$d/f"
    status_is 1 && said "$d/f: copy standard input into temp file: File too large" &&
        [[ $(cat "$d/f") == old ]] && only "$d" f
}

xfsz_edit() {
    local d
    d=$(fresh xe)
    echo old >"$d/f"
    limited "-f 10" "$ae" "$d/f" -- cat "$SCRATCH/big"
    status_is 125 && said "$d/f: copy command output into temp file: File too large" &&
        [[ $(cat "$d/f") == old ]] && only "$d" f
}

# COMMAND's own writes still get SIGXFSZ's default action, as from a shell: only the tool's own
# writes are spared (a child inheriting the ignored signal would get EFBIG instead).
xfsz_command_keeps_its_signal() {
    local d
    d=$(fresh xc)
    echo old >"$d/f"
    limited "-f 10" "$ae" "$d/f" -- sh -c "echo new; exec head -c 30000 /dev/zero >'$d/side'"
    status_is 153 && [[ $(cat "$d/f") == old ]] && only "$d" f side
}

xfsz_json_edit() {
    local d size
    for size in small big; do
        d=$(fresh "xj-$size")
        if [[ $size == small ]]; then echo '{"a": 1}' >"$d/c.json"; else cp "$SCRATCH/two.json" "$d/c.json"; fi
        cp "$d/c.json" "$SCRATCH/before.json"
        limited "-f $([[ $size == small ]] && echo 1 || echo 1024)" "$je" "$d/c.json" \
            set-string /a "$(payload 3000)"
        status_is 4 && said "$d/c.json:" && said "File too large" &&
            cmp -s "$d/c.json" "$SCRATCH/before.json" && only "$d" c.json || return 1
    done
}

xfsz_install() {
    local d i
    d=$(fresh xi)
    mkdir "$d/src" "$d/dst"
    for i in 1 2 3; do
        echo "old$i" >"$d/dst/s$i"
        head -c $((i * 9000)) /dev/zero >"$d/src/s$i"
    done
    limited "-f 10" "$ai" "$d/src/s1" "$d/src/s2" "$d/src/s3" "$d/dst/"
    status_is 1 && said "File too large" && said "nothing was replaced" &&
        [[ $(cat "$d/dst/s1" "$d/dst/s2" "$d/dst/s3") == $'old1\nold2\nold3' ]] &&
        only "$d/dst" s1 s2 s3
}

# A transaction half staged when the limit struck: killed, its staging directory and the files
# staged so far were left for the next commit or atomic-recover to roll back.
xfsz_commit() {
    local d i args=()
    d=$(fresh xt)
    mkdir "$d/root" "$d/src"
    for i in 1 2 3 4; do
        echo "old$i" >"$d/root/f$i"
        head -c $((i < 3 ? 200 : 20000)) /dev/zero >"$d/src/s$i"
        args+=("f$i=$d/src/s$i")
    done
    limited "-f 15" "$ac" "$d/root" "${args[@]}"
    status_is 1 && said "root/f3: copy into temp file: File too large" &&
        [[ $(cat "$d/root"/f*) == $'old1\nold2\nold3\nold4' ]] &&
        only "$d/root" f1 f2 f3 f4 .atomfile-transaction.lock
}

xfsz_dir_copy() {
    local d i
    d=$(fresh xd)
    mkdir "$d/site"
    for i in 1 2 3; do head -c 20000 /dev/zero >"$d/site/p$i"; done
    limited "-f 15" "$ad" --copy "$d/site" -- true
    status_is 125 && said "populate staging directory: File too large" && only "$d" site &&
        only "$d/site" p1 p2 p3
}

check xfsz_write xfsz_write
check xfsz_edit xfsz_edit
check xfsz_command_keeps_its_signal xfsz_command_keeps_its_signal
check xfsz_json_edit_small_and_2MiB xfsz_json_edit
check xfsz_install_three xfsz_install
check xfsz_commit_half_staged xfsz_commit
check xfsz_dir_copy xfsz_dir_copy

# ---- ulimit -n: EMFILE wherever it strikes, swept over 3..N descriptors.

# Each single-file tool: old or new as the status says, nothing beside the file.
emfile_single_file_tools() {
    local d n
    d=$(fresh ns)
    for ((n = 4; n <= 12; n++)); do
        echo old >"$d/f" && echo '{"a": 1}' >"$d/c.json"
        INPUT=$SCRATCH/new limited "-n $n" "$aw" -l "$d/f"
        if not_started; then [[ $(cat "$d/f") == old ]]; elif ((STATUS == 0)); then [[ $(cat "$d/f") == new ]]; else status_is 1 && [[ $(cat "$d/f") == old ]]; fi || return 1
        echo old >"$d/f"
        limited "-n $n" "$ae" "$d/f" -- echo new
        if not_started; then [[ $(cat "$d/f") == old ]]; elif ((STATUS == 0)); then [[ $(cat "$d/f") == new ]]; else status_is 125 && [[ $(cat "$d/f") == old ]]; fi || return 1
        limited "-n $n" "$je" "$d/c.json" set /a 2
        if not_started; then [[ $(cat "$d/c.json") == '{"a": 1}' ]]; elif ((STATUS == 0)); then [[ $(cat "$d/c.json") == '{"a": 2}' ]]; else status_is 4 && [[ $(cat "$d/c.json") == '{"a": 1}' ]]; fi || return 1
        only "$d" f c.json || return 1
    done
}

# atomic-install of 50 files, atomic-commit of 20: all old or all new, nothing staged left;
# EMFILE is never called a refused journal (it refuses nothing: the journal was not looked at).
emfile_multi_file_tools() {
    local d n i args=() srcs=()
    d=$(fresh nm)
    mkdir "$d/src" "$d/dst" "$d/root"
    for ((i = 1; i <= 50; i++)); do
        echo "new$i" >"$d/src/s$i"
        srcs+=("$d/src/s$i")
    done
    for ((i = 1; i <= 20; i++)); do args+=("f$i=$d/src/s$i"); done
    for ((n = 4; n <= 16; n++)); do
        for ((i = 1; i <= 50; i++)); do echo "old$i" >"$d/dst/s$i"; done
        for ((i = 1; i <= 20; i++)); do echo "old$i" >"$d/root/f$i"; done
        limited "-n $n" "$ai" "${srcs[@]}" "$d/dst/"
        local want=old
        ((STATUS == 0)) && want=new || not_started || status_is 1 || return 1
        [[ $(cat "$d/dst/s1" "$d/dst/s50") == "${want}1"$'\n'"${want}50" ]] || return 1
        [[ $(ls -A "$d/dst" | wc -l) == 50 ]] || { echo "  n=$n: $(ls -A "$d/dst" | head)"; return 1; }
        limited "-n $n" "$ac" "$d/root" "${args[@]}"
        want=old
        ((STATUS == 0)) && want=new || not_started || status_is 1 || return 1
        unsaid "refuse transaction journal" || return 1
        [[ $(cat "$d/root/f1" "$d/root/f20") == "${want}1"$'\n'"${want}20" ]] || return 1
        [[ ! -e $d/root/.atomfile-transaction ]] || { echo "  n=$n: staging left"; return 1; }
    done
}

# The soft limit alone is raised by atomic-install to the hard one: 50 files under ulimit -Sn 10.
emfile_install_raises_soft_limit() {
    local d i srcs=()
    d=$(fresh nr)
    mkdir "$d/src" "$d/dst"
    for ((i = 1; i <= 50; i++)); do
        echo "new$i" >"$d/src/s$i"
        srcs+=("$d/src/s$i")
    done
    limited "-Sn 10" "$ai" "${srcs[@]}" "$d/dst/"
    status_is 0 && [[ $(cat "$d/dst/s50") == new50 ]]
}

# atomic-dir: its staging directory was left when the descriptors ran out just after its mkdir
# or while the tree was copied.
emfile_dir() {
    local d n
    d=$(fresh nd)
    mkdir "$d/site" "$d/site/sub"
    echo old >"$d/site/p" && echo old >"$d/site/sub/q"
    for ((n = 4; n <= 10; n++)); do
        limited "-n $n" "$ad" --copy "$d/site" -- cp "$SCRATCH/new" {}/p
        # COMMAND itself may fail for want of descriptors (its own status, 1-124).
        if not_started; then [[ $(cat "$d/site/p") == old ]]; elif ((STATUS == 0)); then [[ $(cat "$d/site/p") == new ]]; else ((STATUS <= 125)) && [[ $(cat "$d/site/p") == old ]]; fi || return 1
        only "$d" site || { echo "  at ulimit -n $n"; return 1; }
        echo old >"$d/site/p"
    done
}

# with-tempdir: COMMAND ran and the directory is gone, so the run succeeded; it said 125 ("could
# not be removed entirely") when only its listing was refused, and "No such file or directory"
# when no descriptor was left to probe a candidate.
emfile_with_tempdir() {
    local d n
    d=$(fresh nw)
    for ((n = 4; n <= 8; n++)); do
        rm -f "$SCRATCH/ran"
        TMPDIR=$d limited "-n $n" "$wt" -- touch "$SCRATCH/ran"
        unsaid "No such file or directory" || return 1
        only "$d" || return 1
        if [[ -e $SCRATCH/ran ]]; then status_is 0; else not_started || status_is 125 && said "Too many open files"; fi || {
            echo "  at ulimit -n $n"
            return 1
        }
    done
}

# A sanitizer's runtime needs descriptors and address space of its own (UBSan's vptr check
# reads /proc/self/maps): under it the -n and -v cases would test the runtime, not the tools.
sanitized=false
grep -qaF -e __asan_init -e __tsan_init "$aw" && sanitized=true

if ! $sanitized; then
    check emfile_single_file_tools emfile_single_file_tools
    check emfile_install_50_commit_20 emfile_multi_file_tools
    check emfile_install_raises_soft_limit emfile_install_raises_soft_limit
    check emfile_dir_copy_leaves_no_staging emfile_dir
    check emfile_with_tempdir emfile_with_tempdir
else
    echo "SKIP emfile_* (a sanitizer build: its runtime fails first at a few descriptors)"
fi

# ---- ulimit -v: out of memory is a message naming the file and status 4, never a half write.
# A build whose runtime cannot start under a virtual memory limit (ASan, TSan) skips these.
memory_limit_works() {
    limited "-v 300000" "$je" --version
    ((STATUS == 0))
}

enomem_json_edit() {
    local d v
    d=$(fresh vj)
    cp "$SCRATCH/twenty.json" "$d/c.json"
    for v in 30000 45000 60000 75000; do
        limited "-v $v" "$je" "$d/c.json" set /k1 '"changed"'
        if ((STATUS == 0)); then
            grep -q '"k1": "changed"' "$d/c.json" || return 1
            cp "$SCRATCH/twenty.json" "$d/c.json"
        else
            status_is 4 && said "json-edit: $d/c.json: " && unsaid "json-edit: out of memory" &&
                cmp -s "$d/c.json" "$SCRATCH/twenty.json" || { echo "  at ulimit -v $v"; return 1; }
        fi
        only "$d" c.json || return 1
    done
}

enomem_commit_and_install() {
    local d v i args=()
    d=$(fresh vc)
    mkdir "$d/src" "$d/root" "$d/dst"
    for i in 1 2 3; do
        head -c 3000000 /dev/urandom >"$d/src/s$i"
        args+=("f$i=$d/src/s$i")
    done
    for ((v = 6000; v <= 9000; v += 500)); do
        for i in 1 2 3; do echo "old$i" >"$d/root/f$i" && echo "old$i" >"$d/dst/s$i"; done
        limited "-v $v" "$ac" "$d/root" "${args[@]}"
        # 127: the loader could not map the program, before any work.
        ((STATUS == 0 || STATUS == 1 || STATUS == 127)) || { echo "  commit at -v $v: $STATUS"; return 1; }
        if ((STATUS == 0)); then cmp -s "$d/root/f3" "$d/src/s3"; else [[ $(cat "$d/root/f3") == old3 ]]; fi || return 1
        [[ ! -e $d/root/.atomfile-transaction ]] || return 1
        limited "-v $v" "$ai" "$d/src/s1" "$d/src/s2" "$d/src/s3" "$d/dst/"
        ((STATUS == 0 || STATUS == 1 || STATUS == 127)) || { echo "  install at -v $v: $STATUS"; return 1; }
        if ((STATUS == 0)); then cmp -s "$d/dst/s3" "$d/src/s3"; else [[ $(cat "$d/dst/s3") == old3 ]]; fi || return 1
        only "$d/dst" s1 s2 s3 || return 1
    done
}

# Every tool, from the least address space its loader can start it in, 2 MiB on in steps of
# 64 KiB: loaded, it ends with 0 and its work done, or with its failure status, a message, and
# the work not done; never killed by the C++ runtime's abort (134), which it was before the
# arguments' copy and the runtime's missing reserve for std::bad_alloc were handled. The
# commands, by the tool's failure status; {} is the directory of the run.
enomem_at_start() {
    local d v tool status base runs=0 says
    local -A commands=(
        [atomic-write]="1 $aw {}/t" [atomic-edit]="125 $ae {}/t cat $SCRATCH/new"
        [json-edit]="4 $je {}/c.json set /a 2" [atomic-install]="1 $ai $SCRATCH/new {}/t"
        [atomic-commit]="1 $ac {} t=$SCRATCH/new" [atomic-ln]="1 $al new {}/link"
        [atomic-dir]="125 $ad {}/dir true" [atomic-recover]="1 $TOOLS/atomic-recover {}"
        [with-tempdir]="125 $wt true")
    cp "$ATOMFILE_TOOLS/atomic-recover" "$TOOLS/"
    for tool in "${!commands[@]}"; do
        read -r status command <<<"${commands[$tool]}"
        for ((v = 3000, base = 0; v < 65536 && (base == 0 || v < base + 2048); v += 64)); do
            d=$(fresh start)
            echo old >"$d/t" && echo '{"a": 1}' >"$d/c.json"
            INPUT=$SCRATCH/new limited "-v $v" ${command//\{\}/$d}
            not_started && continue
            ((base == 0)) && base=$v
            runs=$((runs + 1))
            says="  $tool at ulimit -v $v:"
            if ((STATUS == 0)); then
                case $tool in
                    atomic-write | atomic-edit | atomic-install | atomic-commit)
                        [[ $(cat "$d/t") == new ]] ;;
                    json-edit) grep -q '"a": 2' "$d/c.json" ;;
                esac || { echo "$says exit 0, the work not done"; return 1; }
                continue
            fi
            status_is "$status" && said "$tool: " || { echo "$says"; return 1; }
            [[ $(cat "$d/t") == old ]] && grep -q '"a": 1' "$d/c.json" || { echo "$says work half done"; return 1; }
        done
        ((base > 0)) || { echo "  $tool never started under ulimit -v up to 64 MiB"; return 1; }
    done
    echo "  $runs runs of 9 tools, each from its first start under ulimit -v"
}

if ! $sanitized && memory_limit_works; then
    check enomem_json_edit_names_the_file enomem_json_edit
    check enomem_commit_and_install enomem_commit_and_install
    check enomem_at_start_every_tool enomem_at_start
else
    echo "SKIP enomem_* (this build cannot start under ulimit -v, or is sanitized)"
fi

# ---- ulimit -u 1 as nobody: no thread to be had; json-edit's validating thread and the group
# commit's sync threads fall back to doing it on the one thread.
no_threads() {
    local d i args=() srcs=()
    d=$(fresh u)
    chmod 777 "$d"
    cp "$SCRATCH/two.json" "$d/c.json"
    mkdir "$d/src" "$d/dst" "$d/root"
    for ((i = 1; i <= 20; i++)); do
        echo "new$i" >"$d/src/s$i" && echo "old$i" >"$d/dst/s$i" && echo "old$i" >"$d/root/f$i"
        srcs+=("$d/src/s$i") args+=("f$i=$d/src/s$i")
    done
    chown -R 65534:65534 "$d"
    limited "-u 1" nobody "$je" "$d/c.json" set /k1 '"changed"'
    status_is 0 && grep -q '"k1": "changed"' "$d/c.json" || return 1
    limited "-u 1" nobody "$ai" "${srcs[@]}" "$d/dst/"
    status_is 0 && [[ $(cat "$d/dst/s20") == new20 ]] || return 1
    limited "-u 1" nobody "$ac" "$d/root" "${args[@]}"
    status_is 0 && [[ $(cat "$d/root/f20") == new20 ]]
}
check no_thread_falls_back no_threads

# ---- a file system out of inodes, then out of blocks: nothing half done, nothing left.
full_file_system() {
    local kind=$1 i args=() srcs=()
    umount "$mnt" 2>/dev/null || true
    if [[ $kind == inodes ]]; then
        mount -t tmpfs -o size=4m,nr_inodes=64 tmpfs "$mnt"
    else
        mount -t tmpfs -o size=1m tmpfs "$mnt"
    fi
    mkdir "$mnt/root" "$mnt/dst" "$mnt/site" "$SCRATCH/src-$kind"
    for ((i = 1; i <= 10; i++)); do
        echo "old$i" >"$mnt/root/f$i" && echo "old$i" >"$mnt/dst/s$i" && echo "old$i" >"$mnt/site/p$i"
        if [[ $kind == inodes ]]; then echo "new$i" >"$SCRATCH/src-$kind/s$i"; else head -c 150000 /dev/zero >"$SCRATCH/src-$kind/s$i"; fi
        srcs+=("$SCRATCH/src-$kind/s$i") args+=("f$i=$SCRATCH/src-$kind/s$i")
    done
    echo '{"a": 1}' >"$mnt/c.json"
    # Fill what is left, but for a handful of inodes (or blocks).
    if [[ $kind == inodes ]]; then
        i=0
        while touch "$mnt/fill$i" 2>/dev/null; do i=$((i + 1)); done
        rm -f "$mnt/fill$((i - 1))" "$mnt/fill$((i - 2))" "$mnt/fill$((i - 3))"
    else
        head -c 2000000 /dev/zero >"$mnt/fill" 2>/dev/null || true
        truncate -s -200000 "$mnt/fill"
    fi
    limited "" "$ai" "${srcs[@]}" "$mnt/dst/"
    status_is 1 && [[ $(cat "$mnt/dst/s1" "$mnt/dst/s10") == $'old1\nold10' ]] &&
        [[ $(ls -A "$mnt/dst" | wc -l) == 10 ]] || return 1
    limited "" "$ac" "$mnt/root" "${args[@]}"
    status_is 1 && [[ $(cat "$mnt/root/f1" "$mnt/root/f10") == $'old1\nold10' ]] &&
        [[ ! -e $mnt/root/.atomfile-transaction ]] || return 1
    limited "" "$ad" --copy "$mnt/site" -- sh -c "cat ${srcs[*]} >\"\$1/all\"" sh {}
    ((STATUS == 1 || STATUS == 125)) || { echo "  atomic-dir: exit $STATUS"; return 1; }
    [[ $(cat "$mnt/site/p1") == old1 && ! -e $mnt/site/all ]] || return 1
    ls -A "$mnt" | grep -q atomfile && { echo "  left: $(ls -A "$mnt" | grep atomfile)"; return 1; }
    umount "$mnt"
}
if mount -t tmpfs -o size=1m tmpfs "$mnt" 2>/dev/null; then
    umount "$mnt"
    check full_inodes_install_commit_dir full_file_system inodes
    check full_blocks_install_commit_dir full_file_system blocks
else
    echo "SKIP full_* (cannot mount a tmpfs here)"
fi

# ---- permissions, as nobody: a directory without write permission (EACCES at the temp, the
# lock, the staging directory), and one with write but without search permission.
no_permission() {
    local d
    d=$(fresh perm)
    mkdir -m 555 "$d/ro" && mkdir "$d/src" && echo new >"$d/src/s"
    echo old >"$d/ro/f" && echo '{"a": 1}' >"$d/ro/c.json" && chmod 666 "$d/ro/f" "$d/ro/c.json"
    limited "" nobody "$aw" "$d/ro/f" && status_is 1 && said "$d/ro/f: create temp file: Permission denied" || return 1
    limited "" nobody "$ae" "$d/ro/f" -- echo new && status_is 125 && said "Permission denied" || return 1
    limited "" nobody "$je" "$d/ro/c.json" set /a 2 && status_is 4 && said "Permission denied" || return 1
    limited "" nobody "$ai" "$d/src/s" "$d/ro/" && status_is 1 && said "$d/ro/s: create temp file: Permission denied" || return 1
    limited "" nobody "$ac" "$d/ro" f=$d/src/s && status_is 1 && said "take transaction lock: Permission denied" || return 1
    limited "" nobody "$wt" --dir "$d/ro" true && status_is 125 && said "create temp directory: Permission denied" || return 1
    [[ $(cat "$d/ro/f") == old ]] && only "$d/ro" f c.json
}

# Write without search (0666): nothing inside can be reached. atomic-dir and atomic-ln named a
# step they never reached ("exchange directories", "rename temp symlink over target").
no_search_permission() {
    local d
    d=$(fresh search)
    mkdir -m 777 "$d/ns" "$d/ns/site" && echo old >"$d/ns/f"
    chmod 666 "$d/ns"
    limited "" nobody "$ad" "$d/ns/site" -- true
    status_is 125 && said "$d/ns/site: resolve target: Permission denied" || return 1
    limited "" nobody "$al" target "$d/ns/link"
    status_is 1 && said "$d/ns/link: resolve target: Permission denied" || return 1
    limited "" nobody "$aw" "$d/ns/f"
    status_is 1 && said "$d/ns/f: resolve target: Permission denied" || return 1
    chmod 777 "$d/ns"
    [[ $(cat "$d/ns/f") == old ]] && only "$d/ns" f site
}

check no_write_permission no_permission
check no_search_permission no_search_permission

hostile_summary limits
