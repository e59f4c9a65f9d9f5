#!/usr/bin/env bash
# Item 6, the umask matrix: attack_umask.sh
# Under each umask: a file created by a writer gets 0666 & ~umask (never the temp's 0600); an
# existing file keeps its own mode (0640, 0604); the temps get exactly 0600 (files) and 0700
# (directories), whatever the umask.
source "$(dirname "$0")/lib.sh"
make_scratch
driver="$RELIABILITY_BIN/reliability_driver"
tools=$ATOMFILE_TOOLS
echo data >"$SCRATCH/data"
checks=0 failures=0

expect_mode() {
    local what=$1 path=$2 want=$3 got
    got=$(stat -c %a "$path")
    checks=$((checks + 1))
    if [[ $got != "$want" ]]; then
        echo "umask $mask: $what: mode $got, expected $want"
        failures=$((failures + 1))
    fi
}

# write_with WRITER PATH: replaces or creates PATH with a writer.
write_with() {
    case $1 in
        library) "$driver" write "$2" "$SCRATCH/data" ;;
        atomic-write) "$tools/atomic-write" "$2" <"$SCRATCH/data" ;;
        atomic-edit) "$tools/atomic-edit" "$2" -- echo edited ;;
        json-edit) "$tools/json-edit" --create "$2" set /k 1 ;;
    esac
}

writers=(library)
for tool in atomic-write atomic-edit json-edit; do
    [[ -x $tools/$tool ]] && writers+=("$tool")
done

for mask in 000 002 022 027 077 277; do
    dir="$SCRATCH/$mask"
    mkdir "$dir"
    (
        umask "$mask"
        for writer in "${writers[@]}"; do
            write_with "$writer" "$dir/new-$writer" >/dev/null
            for existing in 640 604; do
                echo '{}' >"$dir/old-$writer-$existing"
                chmod "$existing" "$dir/old-$writer-$existing"
                write_with "$writer" "$dir/old-$writer-$existing" >/dev/null
            done
        done
        "$driver" temp mkstemp "$dir" >"$dir.mkstemp"
        "$driver" temp mkdtemp "$dir" >"$dir.mkdtemp"
        "$driver" temp named "$dir" >"$dir.named"
        if [[ -x $tools/with-tempdir ]]; then
            "$tools/with-tempdir" --dir "$dir" -- sh -c 'stat -c %a "$TMPDIR"' >"$dir.with-tempdir"
        fi
    )
    for writer in "${writers[@]}"; do
        expect_mode "$writer creates" "$dir/new-$writer" "$(printf %o $((0666 & ~8#$mask)))"
        expect_mode "$writer replaces a 0640 file" "$dir/old-$writer-640" 640
        expect_mode "$writer replaces a 0604 file" "$dir/old-$writer-604" 604
    done
    expect_mode mkstemp "$(cat "$dir.mkstemp")" 600
    expect_mode mkdtemp "$(cat "$dir.mkdtemp")" 700
    expect_mode NamedTemporaryFile "$(cat "$dir.named")" 600
    if [[ -f $dir.with-tempdir ]]; then
        checks=$((checks + 1))
        if [[ $(cat "$dir.with-tempdir") != 700 ]]; then
            echo "umask $mask: with-tempdir's directory is $(cat "$dir.with-tempdir")"
            failures=$((failures + 1))
        fi
    fi
done

summary="umask matrix: 6 umasks, ${#writers[@]} writers and the temp primitives,"
summary+=" $checks mode checks, $failures wrong"
((failures == 0)) || fail "$summary"
echo "$summary: PASS"
