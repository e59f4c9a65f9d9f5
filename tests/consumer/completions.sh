#!/usr/bin/env bash
# install/completions: each tool's bash completion (tools/completions/TOOL) loads in a plain
# bash, offers every long option the built tool's --help lists, completes option values, file
# operands (directories only after atomic-install -t) and, for atomic-edit and with-tempdir, a
# command.
# Usage: completions.sh COMPLETIONS_DIR TOOLS_DIR
set -euo pipefail
completions=${1:?usage: completions.sh COMPLETIONS_DIR TOOLS_DIR}
tools=${2:?}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
touch "$scratch/settings.json"
failures=0

# complete TOOL WORD...: what completing the last WORD offers, one per line, as bash would
# after loading the tool's completion file (COMP_WORDS/COMP_CWORD set as readline sets them).
complete_words() {
    local tool=$1
    shift
    bash --norc --noprofile -c '
        source "$1" || exit 1
        function=$(complete -p "$2" | sed -n "s/.*-F \([^ ]*\) .*/\1/p")
        [[ -n $function ]] || { echo "no completion registered for $2" >&2; exit 1; }
        shift 2
        COMP_WORDS=("$@")
        COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
        COMP_LINE="$*"
        COMP_POINT=${#COMP_LINE}
        "$function"
        printf "%s\n" "${COMPREPLY[@]}"' sh "$completions/$tool" "$tool" "$tool" "$@"
}

# expect NAME OFFERED-WORD TOOL WORD...: completing the words offers OFFERED-WORD.
expect() {
    local name=$1 wanted=$2
    shift 2
    local offered
    offered=$(complete_words "$@")
    if grep -qxF -- "$wanted" <<<"$offered"; then
        echo "ok: $name"
    else
        echo "FAIL: $name: completing '$*' does not offer '$wanted'" >&2
        failures=$((failures + 1))
    fi
}

for tool in atomic-write atomic-edit atomic-install json-edit with-tempdir atomic-commit atomic-recover atomic-dir atomic-ln; do
    for option in $("$tools/$tool" --help | grep -oE -- '--[a-z][a-z-]*' | sort -u); do
        expect "$tool offers $option" "$option" "$tool" --
    done
done

expect "atomic-write --du offers --durability" --durability atomic-write --du
if [[ $(complete_words atomic-write --du) != --durability ]]; then
    echo "FAIL: atomic-write --du does not offer exactly --durability" >&2
    failures=$((failures + 1))
fi
expect "atomic-write completes a durability level" data atomic-write -d d
expect "atomic-write completes --durability=LEVEL" full atomic-write --durability = f
expect "atomic-write completes FILE" "$scratch/settings.json" atomic-write -l "$scratch/set"
expect "atomic-edit completes FILE" "$scratch/settings.json" atomic-edit "$scratch/set"
expect "atomic-edit completes a command after FILE" bash atomic-edit -b f bas
expect "atomic-edit completes a command after --" bash atomic-edit -- f -- bas
expect "with-tempdir completes a command after --" bash with-tempdir -C -- bas
expect "with-tempdir completes --dir with a directory" "$scratch" with-tempdir --dir "$scratch"
expect "atomic-install completes a durability level" none atomic-install --durability n
expect "atomic-install completes --durability=LEVEL" data atomic-install --durability = d
expect "atomic-install completes -t with a directory" "$scratch" atomic-install -t "$scratch"
if complete_words atomic-install -t "$scratch/" | grep -qF settings.json; then
    echo "FAIL: atomic-install -t offers a file, not only directories" >&2
    failures=$((failures + 1))
fi
expect "atomic-install completes SOURCE" "$scratch/settings.json" atomic-install -D "$scratch/set"
expect "atomic-dir completes DIR with a directory" "$scratch" atomic-dir --copy "$scratch"
expect "atomic-dir completes a command after DIR" bash atomic-dir -C "$scratch" bas
expect "atomic-dir completes a command after --" bash atomic-dir "$scratch" -- bas
expect "atomic-ln completes LINK" "$scratch/settings.json" atomic-ln target "$scratch/set"
expect "json-edit completes FILE" "$scratch/settings.json" json-edit "$scratch/set"
expect "json-edit completes an operation after FILE" set-string json-edit f.json set-
expect "json-edit completes the next operation" delete json-edit f.json set /a 1 de
expect "json-edit completes @FILE" "@$scratch/settings.json" json-edit f set /a "@$scratch/set"

if ((failures)); then
    echo "completions: $failures failures" >&2
    exit 1
fi
echo "completions: every tool's options, values, files and commands complete: PASS"
