#!/usr/bin/env python3
"""Regenerates the tokenizer fixtures in Tests/SeqTokenizersTests/Fixtures (run by hand; `swift test` never runs it).

    pip install tokenizers==0.23.3
    swift build --product seqtok
    python3 Tests/Fixtures/make_tokenizer_fixtures.py

Writes, all small:
  corpus.txt          a corpus this script composes itself (English-like sentences and multilingual lines)
  texts.json          the texts to encode: Unicode edge cases plus seeded random strings of assigned scalars
  hf_bpe.json         a byte-level BPE trained by the Python `tokenizers` library on corpus.txt
  hf_bpe_ids.json     ids that library gives for texts.json with hf_bpe.json
  hf_bpe_variant.json the same model with add_prefix_space, ignore_merges and an NFKC + Lowercase normalizer
  hf_bpe_variant_ids.json  its ids for texts.json
  seqkit_bpe.json     a byte-level BPE trained by `seqtok train` on corpus.txt (vocabulary 400, no normalization)
  seqkit_bpe_ids.json ids the Python library gives for texts.json with seqkit_bpe.json
  seqkit_bpe_normalized.json      `seqtok train` with whitespace, nfkc, lowercase, stripAccents (vocabulary 300)
  seqkit_bpe_normalized_ids.json  ids the Python library gives for texts.json with it (null for texts with scalars
                                  newer than Unicode 3.2, where the two sides' Unicode tables may differ)
"""
import json
import os
import random
import subprocess
import sys
import unicodedata

from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Tests", "SeqTokenizersTests", "Fixtures")
SEQTOK = os.path.join(ROOT, ".build", "debug", "seqtok")

WORDS = (
    "the of and to in a is that for it as was with be by on not he I this are or his from at which but have an "
    "they you were her she there been one all we their has would when if so no will more what up its out into "
    "time can only new some could these two may first then do any like my now over such our man me even most "
    "king queen lord lady sword crown night day love death heart blood grace honour sweet gentle noble speak "
    "citizen senate people bread corn famine war peace city gate tower river sea storm wind fire earth heaven "
    "don't won't I'll you're we've she'd it's they're isn't can't shan't o'er e'en 'tis 'twas"
).split()

MULTILINGUAL = [
    "Ça va très bien, merci ! L'été est là.",
    "Die Straße ist schön; Größe und Maß.",
    "Ελληνικά: καλημέρα κόσμε.",
    "Русский текст: привет, мир!",
    "日本語のテキストと漢字、ひらがな、カタカナ。",
    "中文：你好，世界。天下大同。",
    "한국어 문장입니다. 안녕하세요!",
    "العربية: مرحبا بالعالم.",
    "עברית: שלום עולם.",
    "हिन्दी: नमस्ते दुनिया।",
    "Emoji: 👍🏽 👨‍👩‍👧‍👦 🇫🇷 🇯🇵 ❤️ 🏳️‍🌈",
    "Numbers 12345 and 3.14159, ٣٤٥ and ⅷ.",
    "Tabs\tand  double  spaces,\r\nwindows lines.",
]

EDGE_CASES = [
    "",
    " ",
    "   ",
    "\n",
    "\r\n",
    "a\r\nb\r\n",
    "Hello world",
    "Hello  world   ",
    "  leading spaces",
    "don't stop, I'LL go; we'd've",
    "'s 't 're 've 'm 'll 'd",
    "café",  # NFC é
    "cafe\u0301",  # e + combining acute
    "\u1100\u1161\u11a8",  # Hangul jamo (NFD of 각)
    "각",
    "한국어",
    "漢字テスト",
    "مرحبا",
    "שָׁלוֹם",
    "👍🏽",
    "👨\u200d👩\u200d👧\u200d👦",
    "🇫🇷🇩🇪",
    "a\u200db",
    "\u200d",
    "x<|endoftext|>y",
    "<|endoftext|>",
    "<|endoftext|><|endoftext|>",
    "<|endoftext|> <|endoftext|>",
    "<|endoftext",
    "123456789 1,000,000",
    "tab\there",
    "\u00a0nbsp\u3000ideographic",
    "mixed: ABCabc123!?…—“quotes”",
    "\U0001F600\U0001F601",
    "\U00010400\U00010428",  # Deseret
    "\U00020000\U0002A6D6",  # CJK extension B
    "a" * 300,  # long pre-tokens take the heap path
    "".join("thesaurus"[i * 7 % 9] for i in range(400)),
    " " * 200 + "x",
    "!?" * 150,
]


def corpus():
    rng = random.Random(20261123)
    lines = []
    for i in range(500):
        n = rng.randint(4, 14)
        sentence = " ".join(rng.choice(WORDS) for _ in range(n))
        sentence = sentence[0].upper() + sentence[1:] + rng.choice([".", ",", "!", "?", ";", ":"])
        lines.append(sentence)
        if i % 25 == 0:
            lines.append(rng.choice(MULTILINGUAL))
        if i % 100 == 99:
            lines.append("<|endoftext|>")
    return "\n".join(lines) + "\n"


def assigned(c):
    return unicodedata.category(chr(c)) not in ("Cn", "Cs", "Co")


def random_texts(count, seed):
    rng = random.Random(seed)
    planes = [(0x20, 0x7F), (0xA0, 0x2FF), (0x300, 0x36F), (0x370, 0x10FF), (0x1100, 0x11FF), (0x2000, 0x2BFF),
              (0x3000, 0x9FFF), (0xAC00, 0xD7A3), (0xF900, 0xFFFD), (0x10000, 0x1FAFF), (0x20000, 0x2A6DF)]
    texts = []
    while len(texts) < count:
        n = rng.randint(1, 24)
        chars = []
        while len(chars) < n:
            lo, hi = rng.choice(planes)
            c = rng.randint(lo, hi)
            if assigned(c):
                chars.append(chr(c))
            if rng.random() < 0.2:
                chars.append(rng.choice([" ", "  ", "\n", "'s", "e", "1", "<|endoftext|>"]))
        texts.append("".join(chars))
    return texts


def main():
    os.makedirs(OUT, exist_ok=True)
    text = corpus()
    corpus_path = os.path.join(OUT, "corpus.txt")
    with open(corpus_path, "w", encoding="utf-8", newline="") as f:
        f.write(text)
    texts = EDGE_CASES + MULTILINGUAL + random_texts(200, seed=7)
    with open(os.path.join(OUT, "texts.json"), "w", encoding="utf-8") as f:
        json.dump(texts, f, ensure_ascii=False, indent=0)

    # The Python library trains; SeqKit must load its file and give the same ids.
    hf = Tokenizer(models.BPE())
    hf.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    hf.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=400, min_frequency=2, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    hf.train([corpus_path], trainer)
    hf.save(os.path.join(OUT, "hf_bpe.json"))
    hf_ids = [hf.encode(t, add_special_tokens=False).ids for t in texts]
    with open(os.path.join(OUT, "hf_bpe_ids.json"), "w") as f:
        json.dump(hf_ids, f, separators=(",", ":"))

    # The same model with a prefix space, ignore_merges and an NFKC + Lowercase normalizer.
    spec = json.loads(hf.to_str())
    spec["pre_tokenizer"]["add_prefix_space"] = True
    spec["model"]["ignore_merges"] = True
    spec["normalizer"] = {"type": "Sequence", "normalizers": [{"type": "NFKC"}, {"type": "Lowercase"}]}
    variant = Tokenizer.from_str(json.dumps(spec))
    variant.save(os.path.join(OUT, "hf_bpe_variant.json"))
    with open(os.path.join(OUT, "hf_bpe_variant_ids.json"), "w") as f:
        json.dump([variant.encode(t, add_special_tokens=False).ids for t in texts], f, separators=(",", ":"))

    # SeqKit trains; the Python library must load its file and give the same ids.
    seqkit_path = os.path.join(OUT, "seqkit_bpe.json")
    subprocess.run([SEQTOK, "train", corpus_path, "--vocab-size", "400", "--normalization", "",
                    "--special", "<|endoftext|>", "-o", seqkit_path], check=True)
    sk = Tokenizer.from_file(seqkit_path)
    sk_ids = [sk.encode(t, add_special_tokens=False).ids for t in texts]
    with open(os.path.join(OUT, "seqkit_bpe_ids.json"), "w") as f:
        json.dump(sk_ids, f, separators=(",", ":"))
    for t, ids in zip(texts, sk_ids):
        assert sk.decode(ids, skip_special_tokens=False) == t, t

    # SeqKit trains with every normalizer the library has; the library must normalize and encode alike.
    normalized_path = os.path.join(OUT, "seqkit_bpe_normalized.json")
    subprocess.run([SEQTOK, "train", corpus_path, "--vocab-size", "300",
                    "--normalization", "whitespace,nfkc,lowercase,stripAccents", "--special", "<|endoftext|>",
                    "-o", normalized_path], check=True)
    skn = Tokenizer.from_file(normalized_path)
    # Normalization tables differ between Unicode versions (utf8proc 2.8 has Unicode 15, the library older ones),
    # so texts with scalars assigned after Unicode 3.2 get null here and are skipped.
    def old_unicode(text):
        return all(unicodedata.ucd_3_2_0.category(c) != "Cn" for c in text)

    with open(os.path.join(OUT, "seqkit_bpe_normalized_ids.json"), "w") as f:
        json.dump([skn.encode(t, add_special_tokens=False).ids if old_unicode(t) else None for t in texts], f,
                  separators=(",", ":"))
    print(f"wrote fixtures for {len(texts)} texts to {OUT}", file=sys.stderr)


if __name__ == "__main__":
    main()
