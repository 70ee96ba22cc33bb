#!/usr/bin/env bash
# fuzz.sh BUILD_DIR SECONDS — run every libFuzzer harness for SECONDS each,
# growing its committed corpus in fuzz/corpus/<harness>/ (review and commit the
# new inputs). A crash, leak or timeout stops the run; the input is saved in
# fuzz/artifacts/ and the log in fuzz/artifacts/<harness>.log.
set -uo pipefail
build=$1 secs=$2
cd "$(dirname "$0")/.."
mkdir -p fuzz/artifacts
status=0
for bin in "$build"/bin/*_fuzz; do
  h=$(basename "$bin" _fuzz)
  log=fuzz/artifacts/$h.log
  echo "== fuzzing $h for ${secs}s (log: $log)"
  mkdir -p "fuzz/corpus/$h"
  "$bin" -max_total_time="$secs" -max_len=4096 -timeout=10 -artifact_prefix=fuzz/artifacts/ \
    -print_final_stats=1 "fuzz/corpus/$h" >"$log" 2>&1
  rc=$?
  grep -E 'stat::number_of_executed_units|stat::new_units_added|SUMMARY' "$log" | sed 's/^/   /'
  if ((rc != 0)); then
    echo "fuzz: $h FAILED (exit $rc); see $log"
    status=1
  fi
done
exit $status
