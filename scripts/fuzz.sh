#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS [JOBS] — run every libFuzzer harness for SECONDS
# each, JOBS at a time (default 1), growing its committed corpus in
# fuzz/corpus/<harness>/ (review and commit the new inputs). A crash, leak or
# timeout fails the run; the input is saved in fuzz/artifacts/ and the log in
# fuzz/artifacts/<harness>.log.
set -uo pipefail
build=$1 secs=$2 jobs=${3:-1}
cd "$(dirname "$0")/.."
mkdir -p fuzz/artifacts

one() {
  local bin=$1 secs=$2 h log rc
  h=$(basename "$bin" _fuzz)
  log=fuzz/artifacts/$h.log
  mkdir -p "fuzz/corpus/$h"
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -artifact_prefix="fuzz/artifacts/$h-" \
    -print_final_stats=1 "fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  {
    echo "== $h: ${secs}s (log: $log)"
    grep -E 'stat::number_of_executed_units|stat::new_units_added|SUMMARY' "$log" | sed 's/^/   /'
    if ((rc != 0)); then echo "fuzz: $h FAILED (exit $rc); see $log"; fi
  }
  return $((rc != 0))
}
export -f one

ls "$build"/bin/*_fuzz | xargs -P "$jobs" -I{} bash -c 'one "$@"' _ {} "$secs"
