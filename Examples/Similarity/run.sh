#!/usr/bin/env bash
# Trains a tiny checkpoint with seqtrain (150 steps on Corpora/tiny.txt, a few seconds), then builds and runs the
# Similarity example package against it. Run from anywhere: `bash Examples/Similarity/run.sh`.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
cd "$root"

# seqtrain from the main package (built by `make test`; built here when missing).
seqtrain="$root/.build/debug/seqtrain"
[ -x "$seqtrain" ] || swift build --product seqtrain
run="$here/.runs/tiny"
rm -rf "$run"
mkdir -p "$here/.runs"
cat > "$here/.runs/tiny.json" <<JSON
{
  "model": { "kind": "transformer", "contextLength": 32, "embeddingSize": 32, "layers": 2, "heads": 2 },
  "tokenizer": { "kind": "char" },
  "data": { "corpus": ["$root/Corpora/tiny.txt"], "validationFraction": 0.1, "cacheTokens": false },
  "optimizer": { "kind": "adamw", "learningRate": 3e-3 },
  "schedule": { "kind": "constant", "warmupSteps": 5 },
  "training": { "batchSize": 8, "maxSteps": 150, "evalInterval": 50, "evalWindows": 4, "checkpointInterval": 50,
                "logInterval": 10 },
  "run": { "out": "$run", "seed": 7 }
}
JSON
echo "== training a tiny checkpoint (150 steps)"
"$seqtrain" --config "$here/.runs/tiny.json" --threads 2

echo "== building the example package"
cd "$here"
# SwiftPM keeps the build plan of a path dependency and misses source files added to it since; drop the plan so
# a checkout that moved forward builds what is there now (a no-op on a clean clone).
rm -f "$here/.build/debug.yaml"
swift build --product Similarity

echo "== ranking"
out="$here/.runs/ranking.txt"
"$here/.build/debug/Similarity" "$run" "the keeper lit the lamp" \
    "The keeper climbs the stair to light the lamp." \
    "EDRIC, keeper of the lighthouse" \
    "A storm is coming from the north." \
    "zzz qqq xxx" \
    "The ship is lost upon the rocks." | tee "$out"
# The ranking must list all five sentences with a score each.
ranked=$(grep -cE '^ ?[0-9]+\. [+-][0-9]\.[0-9]{4}  ' "$out" || true)
[ "$ranked" -eq 5 ] || { echo "run.sh: expected 5 ranked sentences, got $ranked" >&2; exit 1; }
