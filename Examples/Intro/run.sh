#!/usr/bin/env bash
# Fetches the labelled Shakespeare passages (Corpora/fetch-shakespeare.sh --genres, pinned checksums), then builds
# and runs the Intro example package: the 177-parameter network fitted to y = x², and a comedy-or-tragedy
# classifier. Run from anywhere: `bash Examples/Intro/run.sh`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"

bash "$root/Corpora/fetch-shakespeare.sh" --genres "$root/Corpora/shakespeare-genres"

echo "== building the example package"
cd "$here"
# SwiftPM keeps the build plan of a path dependency and misses source files added to it since; drop the plan so
# a checkout that moved forward builds what is there now (a no-op on a clean clone).
rm -f "$here/.build/release.yaml"
swift build -c release --product Intro

echo "== running"
out="$(mktemp)"
"$here/.build/release/Intro" "$root/Corpora/shakespeare-genres" | tee "$out"
grep -q "Total params: 177 (708.00 B)" "$out" || { echo "run.sh: the summary lacks 177 parameters" >&2; exit 1; }
mse=$(sed -n 's/^y = x²: validation MSE after [0-9]* epochs: \([0-9.]*\)$/\1/p' "$out")
awk -v m="$mse" 'BEGIN { exit !(m != "" && m < 0.001) }' || { echo "run.sh: validation MSE '$mse' not below 0.001" >&2; exit 1; }
grep -q "^comedy or tragedy, [0-9]* held-out passages: accuracy 0\.[0-9]*" "$out" ||
    { echo "run.sh: no classifier accuracy" >&2; exit 1; }
rm -f "$out"
