#!/usr/bin/env bash
# Builds the libFuzzer targets in Fuzz/ (release, -sanitize=fuzzer), writes a seed corpus of valid files for
# each — the shipped configs, tokenizer.json files and a whole checkpoint from a tiny training run, text in
# several scripts — and runs each target for SECONDS (default 60). Inputs that crash or hang a target are kept in
# .build/fuzz/artifacts/; the script exits non-zero if any target found one.
# Usage: bash Fuzz/run.sh [SECONDS [TARGET...]]   (targets: config tokenizer-json safetensors checkpoint encode)
set -euo pipefail
seconds="${1:-60}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(config tokenizer-json safetensors checkpoint encode)
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
out="$root/.build/fuzz"
mkdir -p "$out/artifacts"

echo "== building the fuzz targets (release, -sanitize=fuzzer)"
swift build -c release --sanitize=fuzzer --package-path Fuzz 2>&1 | tail -3
bin="$(swift build -c release --sanitize=fuzzer --package-path Fuzz --show-bin-path)"

echo "== seed corpus"
seeds="$out/seeds"
rm -rf "$seeds"
mkdir -p "$seeds"/{config,tokenizer-json,safetensors,checkpoint,encode}
cp Configs/*.json "$seeds/config/"
cp Corpora/tiny.txt "$seeds/encode/"
find Corpora/multilingual -type f -size -64k -exec cp {} "$seeds/encode/" \; 2>/dev/null || true
printf 'a\xcc\x81\xcc\x96\xcc\x81 e\xcc\x81 \xf0\x9f\x91\x8d\xf0\x9f\x8f\xbd \xf0\x9f\x87\xab\xf0\x9f\x87\xb7 \xff\xfe' \
    > "$seeds/encode/marks.bin"

swift build -c release --product seqtrain 2>&1 | tail -1
swift build -c release --product seqtok 2>&1 | tail -1
scratch="$(mktemp -d "${TMPDIR:-/tmp}/seqkit-fuzz-seeds.XXXXXX")"
trap 'rm -rf "$scratch"' EXIT
cp Corpora/tiny.txt "$scratch/corpus.txt"
.build/release/seqtok train "$scratch/corpus.txt" --vocab-size 300 -o "$seeds/tokenizer-json/bpe.json" > /dev/null
.build/release/seqtok train "$scratch/corpus.txt" --kind char --unit grapheme -o "$seeds/tokenizer-json/char.json" \
    > /dev/null
cat > "$scratch/tiny.json" <<JSON
{
  "model": { "kind": "transformer", "contextLength": 16, "embeddingSize": 16, "layers": 1, "heads": 2 },
  "tokenizer": { "kind": "char" },
  "data": { "corpus": ["$scratch/corpus.txt"], "validationFraction": 0.1 },
  "schedule": { "kind": "constant", "warmupSteps": 1 },
  "training": { "batchSize": 4, "maxSteps": 4, "evalInterval": 2, "evalWindows": 2, "logInterval": 2 },
  "run": { "seed": 1 }
}
JSON
cp "$scratch/tiny.json" "$seeds/config/"
.build/release/seqtrain --config "$scratch/tiny.json" --out "$scratch/run" --threads 1 > /dev/null
checkpoint="$scratch/run/latest"
cp "$checkpoint/tokenizer.json" "$seeds/tokenizer-json/run.json"
cp "$checkpoint/model.safetensors" "$checkpoint/optimizer.safetensors" "$seeds/safetensors/"
cp "$checkpoint/state.json" "$checkpoint/manifest.json" "$seeds/checkpoint/"
cp "$checkpoint/config.json" "$seeds/config/checkpoint-config.json"
mkdir -p "$out/checkpoint"
cp "$checkpoint"/*.json "$checkpoint"/*.safetensors "$out/checkpoint/"
export SEQKIT_FUZZ_CHECKPOINT="$out/checkpoint"  # fuzz-checkpoint's scratch folder starts as a copy of it

status=0
summary="$out/summary.txt"  # appended to: one line per target run
for target in "${targets[@]}"; do
    echo "== fuzz-$target for ${seconds}s"
    corpus="$out/corpus/$target"
    mkdir -p "$corpus"
    log="$out/$target.log"
    set +e
    "$bin/fuzz-$target" "$corpus" "$seeds/$target" -max_total_time="$seconds" -timeout=20 -rss_limit_mb=4096 \
        -max_len=65536 -artifact_prefix="$out/artifacts/$target-" -print_final_stats=1 > "$log" 2>&1
    code=$?
    set -e
    runs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo "?")
    found=$(ls "$out/artifacts" | grep -c "^$target-" || true)
    line="fuzz-$target: $runs executions in ${seconds}s, exit $code, $found crash/hang/oom inputs kept"
    echo "$line" | tee -a "$summary"
    if [ "$code" -ne 0 ]; then
        grep -m 5 -E 'ERROR|Fatal error|SUMMARY|==[0-9]+==' "$log" || tail -5 "$log"
        status=1
    fi
done
echo "== summary in $summary; artifacts in $out/artifacts"
exit $status
