#!/usr/bin/env python3
"""Checks that the tokenizer.json files SeqKit writes load in the Hugging Face `tokenizers` library with the same ids.

    pip install tokenizers==0.23.3
    swift build --product seqtok
    python3 Tests/Fixtures/check_written_tokenizers.py .build/debug/seqtok /tmp/written   # SEQTOK WORK_FOLDER

Two parts, both through the `seqtok` binary given:

1. Trained files. The script writes a small multi-script corpus itself (Latin with accents and combining marks, CJK,
   Cyrillic, Arabic, Hebrew, Devanagari, emoji with ZWJ sequences, skin tones and flags, tabs, NBSP, CR LF, digits,
   punctuation) and runs `seqtok train` once per file shape it can write: byte-level BPE with each normalizer
   SeqKit writes, with and without special tokens, and the char tokenizer (scalar and grapheme units, `<unk>` and
   byte fallback). Each file must load with `tokenizers.Tokenizer.from_file`; then every test line (the corpus
   lines, lines not in the corpus and seeded random strings of Unicode 3.2 scalars) must give the same ids from
   `seqtok encode` and from `Tokenizer.encode`, the same byte offsets from `seqtok encode --offsets
   --whole-characters` and from the library's offsets, and the same text from `seqtok decode` and
   `Tokenizer.decode(ids, skip_special_tokens=False)`; for byte-level BPE that text must also be the line as the
   file's normalizer leaves it (an exact round trip).
   Files whose format is SeqKit's own by design are named as such, not loaded: the char tokenizer's model type
   `SeqKitChar` and the `SeqKitCaseFold` normalizer (DESIGN.md, "Files on disk"). The script checks that the library
   still refuses them, so a change on either side shows up here; a char file's vocabulary, normalizer and special
   tokens are then run as the library parts that do the same (a Split per scalar or `\\X` grapheme, WordLevel for
   `<unk>`, a byte-fallback BPE without merges) and must give the same ids, except graphemes with byte fallback,
   which no library part splits the same way; with byte fallback `seqtok decode` must give back each line as the
   file's normalizer, run by the library, leaves it.
2. Read fixtures written back. Every Tests/SeqTokenizersTests/Fixtures/kind_*.json and hf_*.json that seqtok loads
   is written back with `seqtok convert` (what `Tokenizer.save(to:)` writes); the library must load the written file
   and give the ids, offsets and decodes it gives for the original on the fixture's own texts (kind_*_cases.json)
   and the test lines, and `seqtok encode` (ids, and offsets with --whole-characters) must give the same for the written
   file as for the original (the Swift tests hold seqtok on the original to the library).

Prints one line per file (`ok  bpe-nfc  212 lines`) and exits 1 after naming, for each file that differs, the line
and the first differing id. Run from anywhere; nothing is downloaded.
"""
import argparse
import glob
import json
import os
import random
import re
import subprocess
import sys
import unicodedata

from tokenizers import Tokenizer

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
FIXTURES = os.path.join(ROOT, "Tests", "SeqTokenizersTests", "Fixtures")

# Lines of the training corpus: each script several times in different sentences, so BPE learns merges in each.
CORPUS_LINES = [
    "The quick brown fox jumps over the lazy dog, again and again.",
    "Ça va très bien, merci ! L'été est là, à Noël on mange des bûches.",
    "Die Straße ist schön; Größe, Maß und Fuß. Übermäßig große Äpfel.",
    "Combining marks: e\u0301te\u0301, n\u0303, a\u0308, o\u0302 and A\u030a.",
    "Ελληνικά: καλημέρα κόσμε, ευχαριστώ πολύ.",
    "Русский текст: привет, мир! Как дела? Всё хорошо.",
    "Україна, Київ; Беларусь, Мінск; Ёлка и ёж.",
    "日本語のテキストと漢字、ひらがな、カタカナ。東京と京都。",
    "中文：你好，世界。天下大同，学而时习之。",
    "한국어 문장입니다. 안녕하세요! 감사합니다.",
    "العربية: مرحبا بالعالم. كيف حالك؟ شكرا جزيلا.",
    "עברית: שלום עולם. תודה רבה.",
    "हिन्दी: नमस्ते दुनिया। धन्यवाद।",
    "Emoji: 👍 👍🏽 👨‍👩‍👧‍👦 👩‍💻 🇫🇷 🇯🇵 "
    "❤️ 🏳️‍🌈 and 😀😀😀.",
    "Tabs\tand  double  spaces,\u00a0no-break\u00a0spaces and a\u3000wide space.",
    "Windows line\r",
    "Numbers 12345 and 3.14159, 2024-06-01, ٣٤٥ and ⅷ; ½ of ①.",
    "Punctuation: «quotes» “curly” ‘single’ — dashes – and … ellipsis!?",
    "ﬁne ﬂowers, ＦＵＬＬ ｗｉｄｔｈ, ㎞ and ™ symbols.",
    "MiXeD CaSe İstanbul ǅ ß ẞ ΣΊΣΥΦΟΣ.",
    "code_snippet(x) { return a[i] + b->c; } // 100% <ok>",
    "<|endoftext|> a document boundary <|endoftext|>",
]

# Lines the corpus does not hold: other words, scripts and emoji, odd whitespace, special tokens inside words.
UNSEEN_LINES = [
    "",
    " ",
    "   leading and trailing   ",
    "\t\ttabs only\t",
    "a\u00a0b\u2009c\u202fd\u2028e\u0085f",
    "Zażółć gęślą jaźń; Ångström; Ærøskøbing.",
    "e\u0301\u0301\u0301 stacked marks a\u0323\u0302 and Z\u0351\u0352\u0353\u0354",
    "ไทย: สวัสดีครับ ขอบคุณ",
    "ქართული ენა; Հայերեն; አማርኛ",
    "Tiếng Việt có dấu: người, được, những.",
    "漢字の読み方：躊躇、薔薇、憂鬱。魑魅魍魎。",
    "𠀋𡈽𡌛 𪚲 rare CJK extension B",
    "👨🏾‍🦱 🧑🏻‍🤝‍🧑🏿 🏴󠁧󠁢󠁳󠁣󠁴󠁿 🇺🇳🇪🇺 1️⃣ #️⃣ 🫠",
    "ZWJ alone \u200d and ZWNJ \u200c and BOM \ufeff inside",
    "RTL mixed: abc مرحبا 123 שלום def",
    "x<|endoftext|>y<|endoftext|><|endoftext|>z",
    "<|endoftext|>",
    "<pad> <PAD> <unk> [CLS] special-looking text",
    "MORE CAPITALS: ΑΘΗΝΑ, МОСКВА, İĞDIR, ǄEŽ.",
    "ﬀ ﬃ ﬄ ﬅ ﬆ ㈱ ㌔ ¼ ² ⁴ ₅ Ⅻ ⑳ ㊿",
    "line with CR inside\rmiddle and at end\r",
    "0123456789 ٠١٢٣٤٥٦٧٨٩ ०१२३४५६७८९ 一二三",
    "Hangul: 각 = 가\u11a8 = \u1100\u1161\u11a8; 한글 = \u1112\u1161\u11ab\u1100\u1173\u11af; "
    "데 = \u1103\uffc7 = \u1103\u3154",
    "Reordered marks: \u00fc\u05b7 \u00e9\u0316\u0301 \u1e69\u0323 \u01c4\u0323 a\u0301\u0316 "
    "\u0135\u0f81 \u0f79\u0338\u0948",
    "!!!???...,,,;;;:::---___+++===",
    "a" * 300,
    "ab" * 150 + " " + "東" * 40,
]

# Blocks whose scalars, when Unicode 3.2 assigns them, every Unicode table on either side agrees about.
RANDOM_BLOCKS = [
    (0x20, 0x7E), (0xA0, 0x24F), (0x300, 0x36F), (0x370, 0x3FF), (0x400, 0x4FF), (0x590, 0x5FF), (0x600, 0x6FF),
    (0x900, 0x97F), (0xE00, 0xE7F), (0xF00, 0xFCF), (0x1100, 0x11FF), (0x1E00, 0x1EFF), (0x2000, 0x206F),
    (0x2100, 0x218F), (0x2460, 0x24FF),
    (0x3000, 0x30FF), (0x3130, 0x318F), (0x4E00, 0x4FFF), (0xAC00, 0xAD00), (0xFB00, 0xFB4F), (0xFF00, 0xFFEF),
    (0x1D400, 0x1D4FF),
]


def random_lines(count, seed):
    """Seeded random strings of scalars Unicode 3.2 assigns (no line feed, no surrogates)."""
    rng = random.Random(seed)
    lines = []
    for _ in range(count):
        chars = []
        while len(chars) < rng.randint(1, 24):
            low, high = rng.choice(RANDOM_BLOCKS)
            c = chr(rng.randint(low, high))
            if c != "\n" and unicodedata.ucd_3_2_0.category(c) not in ("Cn", "Cs"):
                chars.append(c)
        lines.append("".join(chars))
    return lines


def corpus_text():
    """The training corpus: the lines, then seeded shuffles of their words so merges see words in new company."""
    rng = random.Random(15)
    words = " ".join(CORPUS_LINES).split(" ")
    shuffled = [" ".join(rng.sample(words, 12)) for _ in range(200)]
    return "\r\n".join(CORPUS_LINES) + "\n" + "\n".join(CORPUS_LINES * 3 + shuffled) + "\n"


def test_lines(random_count, seed):
    return CORPUS_LINES + UNSEEN_LINES + random_lines(random_count, seed)


# Each shape of file `seqtok train` writes: (name, arguments, SeqKit-only part or None).
TRAINED = [
    ("bpe-nfc", ["--kind", "bpe", "--vocab-size", "600"], None),
    ("bpe-raw-no-special", ["--kind", "bpe", "--vocab-size", "600", "--normalization", "", "--no-special"], None),
    ("bpe-nfkc-lowercase", ["--kind", "bpe", "--vocab-size", "600", "--normalization", "nfkc,lowercase",
                            "--special", "<|endoftext|>", "--special", "<pad>"], None),
    ("bpe-nfd", ["--kind", "bpe", "--vocab-size", "500", "--normalization", "nfd"], None),
    ("bpe-nfkd", ["--kind", "bpe", "--vocab-size", "500", "--normalization", "nfkd", "--no-special"], None),
    ("bpe-strip-accents", ["--kind", "bpe", "--vocab-size", "500", "--normalization", "stripAccents,lowercase"],
     None),
    ("bpe-whitespace", ["--kind", "bpe", "--vocab-size", "500", "--normalization", "whitespace,nfc"], None),
    ("bpe-casefold", ["--kind", "bpe", "--vocab-size", "500", "--normalization", "casefold"], "SeqKitCaseFold"),
    ("char-scalar-unk", ["--kind", "char", "--unit", "scalar", "--unknown", "unk", "--vocab-size", "150"],
     "SeqKitChar"),
    ("char-scalar-bytefallback", ["--kind", "char", "--unit", "scalar", "--unknown", "byteFallback",
                                  "--vocab-size", "400"], "SeqKitChar"),
    ("char-scalar-bytefallback-nfkc", ["--kind", "char", "--unit", "scalar", "--unknown", "byteFallback",
                                       "--vocab-size", "400", "--normalization", "whitespace,nfkc,lowercase"],
     "SeqKitChar"),
    ("char-grapheme-unk", ["--kind", "char", "--unit", "grapheme", "--unknown", "unk", "--vocab-size", "150"],
     "SeqKitChar"),
    ("char-grapheme-bytefallback", ["--kind", "char", "--unit", "grapheme", "--unknown", "byteFallback",
                                    "--vocab-size", "400", "--no-special"], "SeqKitChar"),
]


class Mismatch(Exception):
    pass


def run(seqtok, arguments, input_text=None):
    done = subprocess.run([seqtok] + arguments, input=None if input_text is None else input_text.encode("utf-8"),
                          capture_output=True)
    if done.returncode != 0:
        raise Mismatch(f"seqtok {' '.join(arguments)} failed: {done.stderr.decode('utf-8', 'replace').strip()}")
    return done.stdout.decode("utf-8")


def seqtok_lines(seqtok, arguments, lines, work):
    """Runs seqtok on `lines` written to a file, one output line per input line."""
    path = os.path.join(work, "input.txt")
    with open(path, "w", encoding="utf-8", newline="") as f:
        f.write("".join(line + "\n" for line in lines))
    out = run(seqtok, arguments + [path]).split("\n")
    if out[-1] != "":
        raise Mismatch(f"seqtok {arguments[0]} output does not end in a newline")
    out = out[:-1]
    if len(out) != len(lines):
        raise Mismatch(f"seqtok {arguments[0]} printed {len(out)} lines for {len(lines)}")
    return out


def byte_offsets(text, offsets):
    """The library's character offsets into `text` as UTF-8 byte offsets."""
    starts = [0]
    for c in text:
        starts.append(starts[-1] + len(c.encode("utf-8")))
    return [[starts[a], starts[b]] for a, b in offsets]


def first_difference(a, b):
    for k, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return k
    return min(len(a), len(b))


def describe(line):
    shown = json.dumps(line, ensure_ascii=False)
    return shown if len(shown) <= 80 else shown[:77] + "…\""


def compare_ids(what, number, line, got, want, got_name, want_name):
    if got != want:
        k = first_difference(got, want)
        mine = got[k] if k < len(got) else "nothing"
        theirs = want[k] if k < len(want) else "nothing"
        raise Mismatch(f"{what} differ on line {number} {describe(line)}: at position {k} {got_name} has {mine}, "
                       f"{want_name} has {theirs}\n    {got_name}: {got}\n    {want_name}: {want}")


def normalized_form(tokenizer, line):
    """`line` as `tokenizer`'s normalizer leaves it: added tokens stay as they are, the text between them is
    normalized piece by piece (what an exact round trip decodes to)."""
    contents = sorted((t.content for t in tokenizer.get_added_tokens_decoder().values()), key=len, reverse=True)
    pieces = re.split("(" + "|".join(map(re.escape, contents)) + ")", line) if contents else [line]
    normalizer = tokenizer.normalizer
    return "".join(piece if k % 2 or normalizer is None else normalizer.normalize_str(piece)
                   for k, piece in enumerate(pieces))


def check_against_library(seqtok, path, tokenizer, lines, work, round_trip):
    """seqtok on `path` against the library's `tokenizer`: ids, offsets, decodes (and the round trip)."""
    encodings = [tokenizer.encode(line, add_special_tokens=True) for line in lines]
    ids = [json.loads(out) for out in seqtok_lines(seqtok, ["encode", "-t", path], lines, work)]
    for number, (line, got, encoding) in enumerate(zip(lines, ids, encodings), 1):
        compare_ids("ids", number, line, got, encoding.ids, "seqtok", "tokenizers")
    spans = [json.loads(out) for out in
             seqtok_lines(seqtok, ["encode", "-t", path, "--offsets", "--whole-characters"], lines, work)]
    for number, (line, got, encoding) in enumerate(zip(lines, spans, encodings), 1):
        want = [[i] + o for i, o in zip(encoding.ids, byte_offsets(line, encoding.offsets))]
        compare_ids("offsets", number, line, got, want, "seqtok", "tokenizers")
    decoded = seqtok_lines(seqtok, ["decode", "-t", path], [" ".join(map(str, e.ids)) for e in encodings], work)
    for number, (line, got, encoding) in enumerate(zip(lines, decoded, encodings), 1):
        want = tokenizer.decode(encoding.ids, skip_special_tokens=False)
        if got != want:
            raise Mismatch(f"decodes differ on line {number} {describe(line)}: seqtok {describe(got)}, "
                           f"tokenizers {describe(want)}")
        if round_trip:
            normalized = normalized_form(tokenizer, line)
            if got != normalized:
                raise Mismatch(f"line {number} {describe(line)} decodes to {describe(got)}, not to its normalized "
                               f"form {describe(normalized)}")


def check_char_equivalent(seqtok, path, lines, work):
    """Runs a char tokenizer's vocabulary as the tokenizers parts that do the same, where they exist, and compares
    ids: scalars are a `Split` on `.`, graphemes on `\\X`; `<unk>` is a WordLevel model, byte fallback a BPE with no
    merges and `byte_fallback` (per scalar only: a BPE would split an unknown grapheme into known scalars, where
    SeqKit gives the grapheme's bytes). The file's own normalizer and special tokens are kept."""
    with open(path, encoding="utf-8") as f:
        root = json.load(f)
    model = root["model"]
    vocab = {name: i for i, name in enumerate(model["vocab"])}
    if model["unknown"] == "unk":
        root["model"] = {"type": "WordLevel", "vocab": vocab, "unk_token": "<unk>"}
        what = "WordLevel"
    else:
        root["model"] = {"type": "BPE", "dropout": None, "unk_token": None, "continuing_subword_prefix": None,
                         "end_of_word_suffix": None, "fuse_unk": False, "byte_fallback": True, "ignore_merges": True,
                         "vocab": vocab, "merges": []}
        what = "byte-fallback BPE"
    pattern = "." if model["unit"] == "scalar" else "\\X"
    root["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": pattern}, "behavior": "Isolated", "invert": False}
    equivalent = Tokenizer.from_str(json.dumps(root))
    encoded = seqtok_lines(seqtok, ["encode", "-t", path], lines, work)
    note = ""
    if model["unit"] == "grapheme" and model["unknown"] == "byteFallback":
        note = "; no tokenizers parts split an unknown grapheme into its bytes, so its ids are not compared"
    else:
        for number, (line, got) in enumerate(zip(lines, encoded), 1):
            compare_ids("ids", number, line, json.loads(got), equivalent.encode(line).ids, "seqtok",
                        f"tokenizers {what}")
        note = f"; as a tokenizers {what} over Split('{pattern}') it gives the same ids on {len(lines)} lines"
    if model["unknown"] == "byteFallback":
        # Byte fallback promises an exact round trip: seqtok decodes to the line as the file's normalizer leaves it.
        decoded = seqtok_lines(seqtok, ["decode", "-t", path], encoded, work)
        for number, (line, got) in enumerate(zip(lines, decoded), 1):
            normalized = normalized_form(equivalent, line)
            if got != normalized:
                raise Mismatch(f"line {number} {describe(line)} decodes to {describe(got)}, not to its normalized "
                               f"form {describe(normalized)} (the file's normalizer in tokenizers)")
        note += ", and decodes to each line as the file's normalizer in tokenizers leaves it"
    return note


def check_trained(seqtok, work, corpus, lines):
    failures = []
    for name, arguments, own_part in TRAINED:
        path = os.path.join(work, f"{name}.json")
        try:
            run(seqtok, ["train", corpus, "-o", path] + arguments)
            with open(path, encoding="utf-8") as f:
                text = f.read()
            if own_part is not None:
                if f'"{own_part}"' not in text:
                    raise Mismatch(f"the file no longer holds {own_part}; move {name} to the files compared")
                try:
                    Tokenizer.from_file(path)
                except Exception as error:  # the library's error type is a plain Exception
                    note = check_char_equivalent(seqtok, path, lines, work) if own_part == "SeqKitChar" else ""
                    print(f"n/a {name}  {own_part} is SeqKit's own format; tokenizers refuses it ({error}){note}")
                    continue
                raise Mismatch(f"tokenizers now loads {own_part}; compare {name} like the other files")
            try:
                tokenizer = Tokenizer.from_file(path)
            except Exception as error:
                raise Mismatch(f"tokenizers cannot load it: {error}")
            check_against_library(seqtok, path, tokenizer, lines, work, round_trip=True)
            print(f"ok  {name}  {len(lines)} lines")
        except Mismatch as error:
            print(f"FAIL {name} ({path}): {error}")
            failures.append(name)
    return failures


def fixture_texts(path):
    """The fixture's own texts from its cases file, when it has one."""
    cases = path[:-len(".json")] + "_cases.json"
    if not os.path.exists(cases):
        return []
    with open(cases, encoding="utf-8") as f:
        return [case["text"] for case in json.load(f)["cases"]]


def check_written_back(seqtok, work, lines):
    failures = []
    paths = sorted(glob.glob(os.path.join(FIXTURES, "kind_*.json")) + glob.glob(os.path.join(FIXTURES, "hf_*.json")))
    paths = [p for p in paths if not p.endswith(("_cases.json", "_ids.json"))]
    for source in paths:
        name = os.path.basename(source)[:-len(".json")]
        written = os.path.join(work, f"written_{name}.json")
        done = subprocess.run([seqtok, "convert", "-t", source, "-o", written], capture_output=True)
        if done.returncode != 0:
            print(f"n/a {name}  seqtok does not load it ({done.stderr.decode('utf-8', 'replace').strip()})")
            continue
        texts = list(dict.fromkeys(fixture_texts(source) + lines))
        try:
            original = Tokenizer.from_file(source)
            try:
                again = Tokenizer.from_file(written)
            except Exception as error:
                raise Mismatch(f"tokenizers cannot load the written file: {error}")
            for number, text in enumerate(texts, 1):
                want = original.encode(text)
                got = again.encode(text)
                compare_ids("ids", number, text, got.ids, want.ids, "written", "original")
                compare_ids("offsets", number, text, got.offsets, want.offsets, "written", "original")
                for skip in (True, False):
                    if again.decode(got.ids, skip_special_tokens=skip) != original.decode(want.ids,
                                                                                           skip_special_tokens=skip):
                        raise Mismatch(f"decodes differ on line {number} {describe(text)}")
            # SeqKit reads what it wrote as it reads the original (the Swift tests hold the original to the library).
            one_line = [t for t in texts if "\n" not in t]
            for mode in (["encode"], ["encode", "--offsets", "--whole-characters"]):
                want = seqtok_lines(seqtok, mode + ["-t", source], one_line, work)
                got = seqtok_lines(seqtok, mode + ["-t", written], one_line, work)
                for number, (text, a, b) in enumerate(zip(one_line, got, want), 1):
                    compare_ids(" ".join(mode[1:]) or "ids", number, text, json.loads(a), json.loads(b),
                                "seqtok (written)", "seqtok (original)")
            print(f"ok  written-{name}  {len(texts)} lines")
        except Mismatch as error:
            print(f"FAIL written-{name} ({written}, from {source}): {error}")
            failures.append(f"written-{name}")
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("seqtok", help="the seqtok binary, e.g. .build/debug/seqtok")
    parser.add_argument("work", help="a scratch folder for the corpus and the written files (created if missing)")
    parser.add_argument("--only", choices=["trained", "fixtures"], help="run one part only")
    parser.add_argument("--random", type=int, default=120, metavar="N", help="random test lines (default 120)")
    parser.add_argument("--seed", type=int, default=3, help="seed of the random test lines (default 3)")
    args = parser.parse_args()
    seqtok = os.path.abspath(args.seqtok)
    if not os.access(seqtok, os.X_OK):
        sys.exit(f"check_written_tokenizers: {seqtok} is not an executable; build it with "
                 f"`swift build --product seqtok`")
    os.makedirs(args.work, exist_ok=True)
    corpus = os.path.join(args.work, "corpus.txt")
    with open(corpus, "w", encoding="utf-8", newline="") as f:
        f.write(corpus_text())
    lines = test_lines(args.random, args.seed)
    failures = []
    if args.only in (None, "trained"):
        failures += check_trained(seqtok, args.work, corpus, lines)
    if args.only in (None, "fixtures"):
        failures += check_written_back(seqtok, args.work, lines)
    if failures:
        sys.exit(f"check_written_tokenizers: {len(failures)} file(s) differ: {', '.join(failures)}")
    print("check_written_tokenizers: every file SeqKit writes that tokenizers reads gives the same ids, offsets "
          "and decodes")


if __name__ == "__main__":
    main()
