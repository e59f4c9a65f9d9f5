#!/usr/bin/env bash
# The swap proof: swap_readers.sh directory|symlink [SWAPS]
# Readers check a manifest (every file of a tree names the tree's generation) through one
# directory descriptor while SWAPS (default 1,000) replace_directory or replace_symlink swaps
# run; none may see a mixed tree or a missing one (swap_readers.cpp says how each is told).
source "$(dirname "$0")/lib.sh"
make_scratch
mode=$1 swaps=${2:-1000}
summary=$("$RELIABILITY_BIN/swap_readers" "$mode" "$SCRATCH" "$swaps" 2) ||
    fail "${summary:-swap_readers failed}"
echo "$summary"
left=$(find "$SCRATCH" -maxdepth 1 -name '.*atomfile-*')
[[ -z $left ]] || fail "left behind: $left"
