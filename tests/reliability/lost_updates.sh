#!/usr/bin/env bash
# Item 5, lost updates: lost_updates.sh library|counter|json [ROUNDS]
#   library  8 processes increment one counter file ROUNDS times each through safe_update.
#            The final value must be exactly 8 x ROUNDS.
#   counter  8 processes increment one counter file ROUNDS times each, read-modify-write: 4
#            through the library (safe_update) and 4 through atomic-edit, sharing one lock.
#            The final value must be exactly 8 x ROUNDS.
#   json     8 json-edit processes each set ROUNDS distinct keys of one JSON file. Every key must
#            be there at the end.
source "$(dirname "$0")/lib.sh"
make_scratch
kind=$1 rounds=${2:-50}
file="$SCRATCH/shared"
driver="$RELIABILITY_BIN/reliability_driver"

edit_increments() {
    for ((i = 0; i < rounds; i++)); do
        "$ATOMFILE_TOOLS/atomic-edit" "$file" -- sh -c 'read -r n; echo $((n + 1))' ||
            return 1
    done
}

set_keys() {
    for ((i = 0; i < rounds; i++)); do
        "$ATOMFILE_TOOLS/json-edit" "$file" set "/p$1k$i" "$i" || return 1
    done
}

pids=()
case $kind in
    library)
        echo 0 >"$file"
        for p in 1 2 3 4 5 6 7 8; do
            "$driver" increment "$file" "$rounds" &
            pids+=($!)
        done
        ;;
    counter)
        [[ -x $ATOMFILE_TOOLS/atomic-edit ]] || fail "atomic-edit is not built"
        echo 0 >"$file"
        for p in 1 2 3 4; do
            "$driver" increment "$file" "$rounds" &
            pids+=($!)
            edit_increments &
            pids+=($!)
        done
        ;;
    json)
        [[ -x $ATOMFILE_TOOLS/json-edit ]] || fail "json-edit is not built"
        echo '{}' >"$file"
        for p in 1 2 3 4 5 6 7 8; do
            set_keys "$p" &
            pids+=($!)
        done
        ;;
    *) fail "unknown kind $kind" ;;
esac
for pid in "${pids[@]}"; do wait "$pid" || fail "a writer failed"; done

expected=$((8 * rounds))
case $kind in
    library)
        got=$(cat "$file")
        summary="lost updates library: 8 processes x $rounds safe_update increments,"
        summary+=" final value $got of $expected"
        ;;
    counter)
        got=$(cat "$file")
        summary="lost updates counter: 8 processes (4 safe_update, 4 atomic-edit) x $rounds"
        summary+=" increments, final value $got of $expected"
        ;;
    json)
        got=$(grep -oE '"p[0-9]+k[0-9]+"' "$file" | sort -u | wc -l)
        summary="lost updates json: 8 json-edit processes x $rounds distinct keys,"
        summary+=" $got of $expected keys present"
        ;;
esac
[[ $got == "$expected" ]] || fail "$summary"
left=$(find "$SCRATCH" -mindepth 1 ! -name shared)
[[ -z $left ]] || fail "$summary; left behind: $left"
echo "$summary: PASS"
