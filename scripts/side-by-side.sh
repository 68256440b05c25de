#!/usr/bin/env bash
# Side-by-side speed: llama-bench (llama.cpp built by ../shared/tools/build-llamacpp.sh) then ./jollama bench, file by
# file, R repetitions each, ROUNDS rounds, with the load average before each run.
# usage: LLAMA_BENCH=/path/to/llama-bench scripts/side-by-side.sh FILE.gguf...   (NP=4 adds the batched-decoding row)
set -u
here="$(cd "$(dirname "$0")/.." && pwd)"
B=${LLAMA_BENCH:?set LLAMA_BENCH to llama-bench}
R=${R:-2}; ROUNDS=${ROUNDS:-1}
for f in "$@"; do
  for round in $(seq "$ROUNDS"); do
    echo "== $f round $round $(date -u +%H:%M:%S) load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$B" -m "$f" -p 512 -n 128 -t 2 -r "$R" -mmp 0 2>&1 | grep -E "pp512|tg128"
    echo "-- load $(cut -d' ' -f1-3 /proc/loadavg)"
    "$here/jollama" bench "$f" -p 512 -n 128 -t 2 -r "$R" ${NP:+-np $NP} 2>&1 | grep -E "pp512|tg128"
  done
done
