#!/usr/bin/env bash
# Item 6, the cleanup race: attack_tempdir_race.sh [ITERATIONS]
# TemporaryDirectory::cleanup() racing a thread that keeps exchanging a subdirectory with a
# symlink to an outside directory (renameat2 RENAME_EXCHANGE): nothing outside may be removed
# or chmodded (see tempdir_race.cpp).
source "$(dirname "$0")/lib.sh"
make_scratch
"$RELIABILITY_BIN/tempdir_race" "$SCRATCH" "${1:-10000}"
