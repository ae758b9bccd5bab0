#!/usr/bin/env bash
# Data-parallel tests: build with the MPI trait, then run real `mpirun` jobs of the built tools and check that
# two ranks train exactly what one process with twice the batch trains.
#
#   bash Tests/MPI/run.sh            (make test-mpi; CI runs it; needs openmpi-bin libopenmpi-dev)
#   BIN=.build/mpi/release bash Tests/MPI/run.sh --skip-build
set -euo pipefail
cd "$(dirname "$0")/../.."
root="$PWD"
SCRATCH="${SCRATCH:-.build/mpi}"
BIN="${BIN:-$SCRATCH/debug}"
if [ "${1:-}" != "--skip-build" ]; then
    swift build --traits MPI --scratch-path "$SCRATCH" --product seqtrain
    swift build --traits MPI --scratch-path "$SCRATCH" --product mpicheck
fi
BIN="$(cd "$BIN" && pwd)"

# Two ranks on a 2-core machine; mpirun refuses root unless told.
mpi=(mpirun --oversubscribe -np 2)
[ "$(id -u)" -eq 0 ] && mpi+=(--allow-run-as-root)

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
export XDG_CACHE_HOME="$work/cache"
cd "$work"
failures=0
pass() { echo "PASS $1"; }
fail() { echo "FAIL $1"; failures=$((failures + 1)); }

# Short, deterministic runs of the shipped configs on the small corpus; the schedule does not depend on
# training.maxSteps, so a run stopped at step 25 and resumed to 50 follows the run that went to 50 at once.
common=(--set "data.corpus=[\"$root/Corpora/tiny.txt\"]" --set model.contextLength=32
    --set schedule.warmupSteps=5 --set schedule.decaySteps=50 --set training.evalInterval=25
    --set training.evalWindows=8 --set training.logInterval=5 --set training.checkpointInterval=25 --threads 1)

echo "== the all-reduced gradient equals the one-process gradient of the doubled batch"
if "${mpi[@]}" "$BIN/mpicheck" gradient "$root/Configs/tiny-gpt.json" "$root/Configs/char-lstm.json"; then
    pass "gradient all-reduce"
else
    fail "gradient all-reduce"
fi

same() {  # same NAME RUN_A RUN_B: the two runs' latest weights agree to 1e-5
    if "$BIN/mpicheck" compare "$2/latest/model.safetensors" "$3/latest/model.safetensors" 1e-5; then
        pass "$1"
    else
        fail "$1"
    fi
}

for config in tiny-gpt char-lstm; do
    echo "== $config: 2 ranks × batch 4 against 1 process × batch 8, 50 steps; resume 2 → 1 and 1 → 2"
    c=(--config "$root/Configs/$config.json" "${common[@]}")
    "$BIN/seqtrain" "${c[@]}" --set training.batchSize=8 --max-steps 50 --out one > one.log
    "${mpi[@]}" "$BIN/seqtrain" "${c[@]}" --set training.batchSize=4 --max-steps 50 --out two > two.log
    same "$config: 2 ranks = 1 process with twice the batch" one two
    grep -q "data parallel: 2 processes × 4 rows = 8 rows per step" two.log || fail "$config: rank 0 names the split"

    "${mpi[@]}" "$BIN/seqtrain" "${c[@]}" --set training.batchSize=4 --max-steps 25 --out two-one > /dev/null
    "$BIN/seqtrain" --resume two-one --max-steps 50 > /dev/null
    same "$config: resume from 2 ranks onto 1" one two-one

    "$BIN/seqtrain" "${c[@]}" --set training.batchSize=8 --max-steps 25 --out one-two > /dev/null
    "${mpi[@]}" "$BIN/seqtrain" --resume one-two --max-steps 50 > /dev/null
    same "$config: resume from 1 process onto 2 ranks" one one-two
    rm -rf one two two-one one-two
done

c=(--config "$root/Configs/tiny-gpt.json" "${common[@]}" --set training.batchSize=4 --set training.checkpointInterval=5
    --max-steps 100000)

wait_for() {  # wait_for FILE PID: until FILE exists (or the process ended)
    for _ in $(seq 1 600); do
        [ -f "$1" ] && return 0
        kill -0 "$2" 2> /dev/null || return 1
        sleep 0.1
    done
    return 1
}

echo "== SIGINT to mpirun: every rank stops at one step, rank 0 saves, the ranks exit 0"
# On Ctrl-C mpirun sends the ranks SIGCONT, SIGTERM and SIGKILL, odls_base_sigkill_timeout seconds apart (1 by
# default): give a debug-built rank time to finish its step and save.
OMPI_MCA_odls_base_sigkill_timeout=10 "${mpi[@]}" "$BIN/seqtrain" "${c[@]}" --out sigint > sigint.log 2>&1 &
job=$!
if wait_for sigint/latest/state.json $job; then
    sleep 1
    kill -INT $job
    status=0
    wait $job || status=$?
    # Open MPI 4's mpirun exits 1 after forwarding a Ctrl-C whatever its ranks return; the ranks exit 0.
    if grep -q "interrupted by SIGTERM at step" sigint.log && "$BIN/mpicheck" verify sigint/latest \
        && ! grep -q "exited on signal" sigint.log; then
        pass "SIGINT: the ranks stop at one step, rank 0 saves, no rank killed (mpirun exit $status)"
    else
        cat sigint.log
        fail "SIGINT: saved and stopped cleanly (mpirun exit $status)"
    fi
else
    cat sigint.log
    fail "SIGINT: no checkpoint appeared"
fi

echo "== SIGKILL of one rank: the other ranks exit non-zero within seconds, latest/ intact"
"${mpi[@]}" "$BIN/seqtrain" "${c[@]}" --out sigkill > sigkill.log 2>&1 &
job=$!
if wait_for sigkill/latest/state.json $job; then
    sleep 1
    victim="$(pgrep -P $job | head -n 1)"
    kill -KILL "$victim"
    killed=$(date +%s)
    status=0
    wait $job || status=$?
    took=$(($(date +%s) - killed))
    if [ $status -ne 0 ] && [ $took -le 10 ] \
        && "$BIN/mpicheck" verify sigkill/latest; then
        pass "a killed rank stops the run (exit $status after ${took} s), latest/ intact"
    else
        cat sigkill.log
        fail "a killed rank stops the run (exit $status after ${took} s)"
    fi
else
    cat sigkill.log
    fail "SIGKILL: no checkpoint appeared"
fi

echo "== MPI tests: $failures failure(s)"
[ $failures -eq 0 ]
