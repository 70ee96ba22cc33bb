#!/usr/bin/env bash
# check-self-contained.sh — a clone of this repository is all a user has: no
# file in the tree may refer to a path outside it (the sibling checkout the
# project's vectors came from, a workspace or home directory, the parent of the
# source tree). The sibling's name is assembled below, so that this file does
# not refer to it either.
# Usage: check-self-contained.sh [ROOT]   (default: the repository holding this script)
set -euo pipefail
root=${1:-"$(dirname "$0")/.."}
cd "$root"
if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
  mapfile -t files < <(git ls-files --cached --others --exclude-standard)
else
  mapfile -t files < <(find . -type f -not -path './.git/*' -not -path './node_modules/*' \
    -not -path './build*' | sed 's|^\./||')
fi
# Third-party vectors are kept byte-exact (their provenance names upstream paths).
sibling='\.\./'"sha"'red'
pattern="$sibling"'|(^|[^A-Za-z0-9_.])/(work|home|root)/|(PROJECT_SOURCE_DIR|CMAKE_SOURCE_DIR|CLO_SOURCE_DIR)\}?/\.\.'
fail=0
for f in "${files[@]}"; do
  case $f in
    tests/vectors/*|fuzz/corpus/*|package-lock.json) continue ;;
  esac
  [[ -f $f ]] || continue
  if hits=$(grep -nIE "$pattern" -- "$f"); then
    while IFS= read -r h; do echo "self-contained: $f:$h"; done <<<"$hits"
    fail=1
  fi
done
[[ $fail == 0 ]] && echo "self-contained: ${#files[@]} files refer to nothing outside the repository"
exit $fail
