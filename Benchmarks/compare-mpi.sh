#!/usr/bin/env bash
# Data-parallel throughput: tokens/s of `mpirun -np 2 seqtrain --threads 1` against one process with --threads 2
# and one process with --threads 1, for tiny-gpt, char-lstm and gpt-10m, on the same global batch.
#
#   make release-mpi && bash Benchmarks/compare-mpi.sh [STEPS]   (default 60 steps per run)
#
# The rate of a run is (tokens between its first and last metrics.jsonl records) / (their elapsed difference), so
# start-up and the first logInterval steps are not counted. Scaling efficiency = 2-rank tokens/s / (2 × 1-rank,
# 1-thread tokens/s). Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
steps="${1:-60}"
bin="$root/.build/mpi/release/seqtrain"
[ -x "$bin" ] || { echo "build it first: make release-mpi" >&2; exit 1; }
corpus="$root/Corpora/shakespeare.txt"
[ -f "$corpus" ] || corpus="$root/Corpora/tiny.txt"
mpi=(mpirun)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"

rate() {  # rate RUN_DIR TOKENS_PER_STEP: tokens/s between the first and the last record
    python3 - "$1/metrics.jsonl" "$2" << 'PY'
import json, sys
records = [json.loads(line) for line in open(sys.argv[1])]
first, last = records[0], records[-1]
print(f"{(last['step'] - first['step']) * int(sys.argv[2]) / (last['elapsed'] - first['elapsed']):.0f}")
PY
}

echo "| config | global batch | 1 process, 1 thread | 1 process, 2 threads | 2 ranks × 1 thread | efficiency | 2 ranks / 2 threads |"
echo "|---|---|---|---|---|---|---|"
for config in tiny-gpt char-lstm gpt-10m; do
    read -r batch time < <(python3 -c "import json; c = json.load(open('$root/Configs/$config.json'))
print(c['training']['batchSize'], c['model']['contextLength'])")
    half=$((batch / 2))
    tokens=$((half * 2 * time))
    common=(--config "$root/Configs/$config.json" --set "data.corpus=[\"$corpus\"]" --max-steps "$steps"
        --set schedule.warmupSteps=5 --set training.evalInterval=100000 --set training.evalWindows=2 --set training.checkpointInterval=0
        --set training.logInterval=10)
    "${mpi[@]}" -np 1 --bind-to core "$bin" "${common[@]}" --threads 1 --set training.batchSize=$((half * 2)) --out "$work/$config-1" > /dev/null
    "${mpi[@]}" -np 1 --bind-to none "$bin" "${common[@]}" --threads 2 --set training.batchSize=$((half * 2)) --out "$work/$config-t2" > /dev/null
    "${mpi[@]}" -np 2 --bind-to core "$bin" "${common[@]}" --threads 1 --set training.batchSize=$half --out "$work/$config-2" > /dev/null
    one=$(rate "$work/$config-1" $tokens)
    two=$(rate "$work/$config-t2" $tokens)
    ranks=$(rate "$work/$config-2" $tokens)
    python3 -c "print(f'| $config | $((half * 2)) | $one | $two | $ranks | {$ranks / (2 * $one):.2f} | {$ranks / $two:.2f} |')"
done
echo
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg); steps per run: $steps; corpus: $(basename "$corpus")"
