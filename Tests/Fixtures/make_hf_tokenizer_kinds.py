#!/usr/bin/env python3
"""Regenerates the Hugging Face tokenizer-kind fixtures in Tests/SeqTokenizersTests/Fixtures (run by hand; `swift test`
never runs it).

    pip install tokenizers==0.23.3 sentencepiece protobuf   # sentencepiece only compiles a small charsmap
    python3 Tests/Fixtures/make_hf_tokenizer_kinds.py

For each kind below it TRAINS a small tokenizer with the Python `tokenizers` library on the corpus that
make_tokenizer_fixtures.py composes (English-like sentences and multilingual lines), sets the parts the kind is
about, and writes:
  kind_<name>.json        the tokenizer.json the library saves
  kind_<name>_cases.json  for each text, the ids, UTF-8 byte offsets and decoded text (skip_special_tokens) the
                          library gives: the edge cases and multilingual lines of make_tokenizer_fixtures.py (combining
                          marks, emoji ZWJ sequences, flags, CJK, RTL, odd whitespace), seeded random strings of
                          assigned scalars, and texts with the kind's added tokens in them.
The library's Unigram and BPE trainers are not bit-for-bit repeatable (hash-map order), so a rerun writes different
but equally valid pairs of files; commit each kind's two files together. Nothing here is downloaded: every tokenizer is trained from text this script composes.
"""
import json
import os
import sys

from tokenizers import AddedToken, Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
import make_tokenizer_fixtures as base  # noqa: E402  (corpus and texts)

ROOT = os.path.dirname(os.path.dirname(HERE))
OUT = os.path.join(ROOT, "Tests", "SeqTokenizersTests", "Fixtures")

ADDED_TEXTS = [
    "<unk> alone",
    "a</s>b </s> c",
    "word <pad><pad> word",
    "  <mask>  spaced  <mask>x",
    "x<mask>y and a <mask> b",
    "<sep> a  <sep>  b <sep>",
    "[NEW] [new] n[NEW]",
    "Hello <0x41> literal byte piece",
    "<0xZZ> <0x4> <0x41",
    "A [new] and [NEW]x <Sep> <sep> [NEW]",
    "<|begin_of_text|>Hi<|end_of_text|> <|endoftext|>",
    "<s> </s> <mask> <pad>x <pad> y",
    "x 1234567 and ٣٤٥ and 12.5",
]


def texts():
    return base.EDGE_CASES + base.MULTILINGUAL + base.random_texts(60, seed=11) + ADDED_TEXTS


def corpus_lines():
    return base.corpus().splitlines()


def byte_offsets(text, offsets):
    def byte(i):
        return len(text[:i].encode("utf-8"))
    return [[byte(a), byte(b)] for a, b in offsets]


def newer_than_unicode_3_2(text):
    """Whether the text has a scalar Unicode 3.2 did not assign: the library's normalization tables and Swift's
    (ICU) are of different Unicode versions there, so kinds with a Unicode normalizer mark such texts."""
    import unicodedata
    return any(unicodedata.ucd_3_2_0.category(c) == "Cn" for c in text)


def write(name, tokenizer, extra=(), mark_new_scalars=False):
    """Saves the tokenizer and the library's ids, offsets and decodes for every text."""
    path = os.path.join(OUT, f"kind_{name}.json")
    tokenizer.save(path)
    with open(path, encoding="utf-8") as f:
        data = json.load(f)
    with open(path, "w", encoding="utf-8") as f:  # compact: the library pretty-prints every vocabulary entry
        json.dump(data, f, ensure_ascii=False, separators=(",", ":"))
        f.write("\n")
    # Read the saved file back, so the cases come from exactly what is committed.
    tokenizer = Tokenizer.from_file(path)
    cases = []
    for text in texts() + list(extra):
        encoding = tokenizer.encode(text)
        case = {"text": text, "ids": encoding.ids, "offsets": byte_offsets(text, encoding.offsets),
                "decoded": tokenizer.decode(encoding.ids)}
        if mark_new_scalars and newer_than_unicode_3_2(text):
            case["unicode_dependent"] = True
        cases.append(case)
    with open(os.path.join(OUT, f"kind_{name}_cases.json"), "w", encoding="utf-8") as f:
        header = json.dumps({"generator": "Tests/Fixtures/make_hf_tokenizer_kinds.py",
                             "tokenizers": __import__("tokenizers").__version__})
        # One case a line: small, and a diff shows which texts changed.
        lines = ",\n".join(json.dumps(c, ensure_ascii=False, separators=(",", ":")) for c in cases)
        f.write(header[:-1] + ', "cases": [\n' + lines + "\n]}\n")
    print(name, os.path.getsize(path), "bytes,", len(cases), "cases")


def with_byte_pieces(tokenizer, after):
    """The tokenizer with sentencepiece's 256 byte pieces `<0x00>`…`<0xFF>` inserted after the first `after` pieces
    of a Unigram vocabulary and `byte_fallback` on (the library's trainer does not make them)."""
    data = json.loads(tokenizer.to_str())
    vocab = data["model"]["vocab"]
    data["model"]["vocab"] = vocab[:after] + [[f"<0x{b:02X}>", 0.0] for b in range(256)] + vocab[after:]
    data["model"]["byte_fallback"] = True
    for token in data["added_tokens"]:
        if token["id"] >= after:
            token["id"] += 256
    return Tokenizer.from_str(json.dumps(data))


def unigram(vocab_size, specials, pre_tokenizer, normalizer=None):
    tokenizer = Tokenizer(models.Unigram())
    if normalizer is not None:
        tokenizer.normalizer = normalizer
    tokenizer.pre_tokenizer = pre_tokenizer
    trainer = trainers.UnigramTrainer(vocab_size=vocab_size, special_tokens=specials, unk_token="<unk>",
                                      show_progress=False, max_piece_length=8)
    tokenizer.train_from_iterator(corpus_lines(), trainer=trainer)
    return tokenizer


def unigram_kinds():
    # T5-style: Metaspace (always, split), Metaspace decoder, "$A </s>" template.
    t5 = unigram(320, ["<pad>", "</s>", "<unk>"], pre_tokenizers.Metaspace(prepend_scheme="always", split=True))
    t5.decoder = decoders.Metaspace(prepend_scheme="always", split=True)
    t5.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    write("unigram_t5", t5)

    # Sentencepiece with byte fallback: prepend only at the start, no split, bytes decoded by ByteFallback.
    sp = unigram(300, ["<unk>", "<s>", "</s>"], pre_tokenizers.Metaspace(prepend_scheme="first", split=False))
    sp = with_byte_pieces(sp, after=3)
    sp.decoder = decoders.Sequence([decoders.ByteFallback(), decoders.Metaspace(prepend_scheme="first", split=False)])
    sp.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    write("unigram_bytefallback", sp)

    # No prepended space, a lowercasing Replace-and-Lowercase normalizer, and a non-special added token.
    lower = unigram(280, ["<unk>", "<pad>"], pre_tokenizers.Metaspace(replacement="_", prepend_scheme="never"),
                    normalizer=normalizers.Sequence([normalizers.Replace("\t", " "), normalizers.Lowercase()]))
    lower.decoder = decoders.Metaspace(replacement="_", prepend_scheme="never")
    lower.add_tokens(["[NEW]"])
    write("unigram_never", lower)


def with_bpe_byte_pieces(tokenizer, after):
    """The BPE tokenizer with the 256 byte pieces given ids after the first `after` (the trainer does not make
    them)."""
    data = json.loads(tokenizer.to_str())
    vocab = data["model"]["vocab"]
    for piece, id in list(vocab.items()):
        if id >= after:
            vocab[piece] = id + 256
    for b in range(256):
        vocab[f"<0x{b:02X}>"] = after + b
    for token in data["added_tokens"]:
        if token["id"] >= after:
            token["id"] += 256
    return Tokenizer.from_str(json.dumps(data))


def bpe(model, vocab_size, specials, limit_alphabet=None, **trainer_options):
    tokenizer = Tokenizer(model)
    if limit_alphabet is not None:
        trainer_options["limit_alphabet"] = limit_alphabet
    return tokenizer, trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=specials, show_progress=False,
                                          **trainer_options)


def bpe_kinds():
    # Llama-2-style: Prepend + Replace normalizer, no pre-tokenizer (a line is one word), byte fallback, fused
    # unknowns, decoder Replace ▁ → space, ByteFallback, Fuse, Strip one leading space; "<s> $A".
    llama, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True, byte_fallback=True), 420,
                         ["<unk>", "<s>", "</s>"], limit_alphabet=70)
    llama.normalizer = normalizers.Sequence([normalizers.Prepend("▁"), normalizers.Replace(" ", "▁")])
    llama.train_from_iterator(corpus_lines(), trainer=trainer)
    llama = with_bpe_byte_pieces(llama, after=3)
    llama.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.ByteFallback(), decoders.Fuse(),
                                       decoders.Strip(" ", 1, 0)])
    llama.post_processor = processors.TemplateProcessing(single="<s> $A", special_tokens=[("<s>", 1)])
    write("bpe_llama", llama)

    # Newer sentencepiece-style BPE: Metaspace (prepend first, no split), ignore_merges, unknowns not fused and
    # no byte fallback.
    mistral, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=False, ignore_merges=True), 380,
                           ["<unk>", "<s>", "</s>"], limit_alphabet=60)
    mistral.pre_tokenizer = pre_tokenizers.Metaspace(prepend_scheme="first", split=False)
    mistral.train_from_iterator(corpus_lines(), trainer=trainer)
    mistral.decoder = decoders.Metaspace(prepend_scheme="first", split=False)
    write("bpe_metaspace", mistral)

    # Word-level BPE with a continuing-subword prefix: Whitespace pre-tokenizer, WordPiece decoder.
    prefixed, trainer = bpe(models.BPE(unk_token="<unk>"), 420, ["<unk>"], limit_alphabet=80,
                            continuing_subword_prefix="##")
    prefixed.pre_tokenizer = pre_tokenizers.Whitespace()
    prefixed.train_from_iterator(corpus_lines(), trainer=trainer)
    prefixed.decoder = decoders.WordPiece(prefix="##", cleanup=False)
    write("bpe_prefix", prefixed)

    # End-of-word suffix (original subword-nmt style): WhitespaceSplit pre-tokenizer, BPEDecoder.
    suffixed, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True), 420, ["<unk>"], limit_alphabet=80,
                            end_of_word_suffix="</w>")
    suffixed.pre_tokenizer = pre_tokenizers.WhitespaceSplit()
    suffixed.train_from_iterator(corpus_lines(), trainer=trainer)
    suffixed.decoder = decoders.BPEDecoder(suffix="</w>")
    write("bpe_suffix", suffixed)


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|"
                  r"\s*[\r\n]+|\s+(?!\S)|\s+")


def pre_tokenizer_kinds():
    # Whitespace-split words, punctuation alone, every digit alone; no decoder (tokens joined with spaces).
    punct, trainer = bpe(models.BPE(unk_token="<unk>"), 400, ["<unk>"], limit_alphabet=90)
    punct.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.WhitespaceSplit(),
                                                   pre_tokenizers.Punctuation(behavior="isolated"),
                                                   pre_tokenizers.Digits(individual_digits=True)])
    punct.train_from_iterator(corpus_lines(), trainer=trainer)
    write("pre_punct_digits", punct)

    # Every Split behavior, string and regex patterns, and Digits runs.
    behaviors, trainer = bpe(models.BPE(unk_token="<unk>"), 400, ["<unk>"], limit_alphabet=90)
    behaviors.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(" ", behavior="removed"),
        pre_tokenizers.Split(tokenizers_regex(r"[,.;:!?]"), behavior="merged_with_next"),
        pre_tokenizers.Split("'", behavior="merged_with_previous"),
        pre_tokenizers.Split(tokenizers_regex(r"\p{Lu}"), behavior="isolated"),
        pre_tokenizers.Split(tokenizers_regex(r"[aeiou]"), behavior="contiguous"),
        pre_tokenizers.Digits(individual_digits=False),
        pre_tokenizers.Punctuation(behavior="merged_with_previous"),
    ])
    behaviors.train_from_iterator(corpus_lines(), trainer=trainer)
    write("pre_split_behaviors", behaviors)

    # Inverted splits: the pattern marks what to keep; and the Whitespace pre-tokenizer (\w+|[^\w\s]+).
    inverted, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True), 400, ["<unk>"], limit_alphabet=90)
    inverted.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers_regex(r"\S+"), behavior="removed", invert=True),
        pre_tokenizers.Split(tokenizers_regex(r"\p{L}+"), behavior="isolated", invert=True),
        pre_tokenizers.Whitespace(),
    ])
    inverted.train_from_iterator(corpus_lines(), trainer=trainer)
    write("pre_split_invert", inverted)

    # CharDelimiterSplit on spaces, then FixedLength pieces of 3 scalars.
    fixed, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True), 300, ["<unk>"], limit_alphabet=90)
    fixed.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.CharDelimiterSplit(" "),
                                                   pre_tokenizers.FixedLength(length=3)])
    fixed.train_from_iterator(corpus_lines(), trainer=trainer)
    write("pre_delimiter_fixed", fixed)

    # The Nmt and ByteLevel normalizers: odd spaces made spaces, then bytes as byte-level scalars before a
    # byte-level BPE split before each Ġ.
    nmt, trainer = bpe(models.BPE(), 500, ["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    nmt.normalizer = normalizers.Sequence([normalizers.Nmt(), normalizers.ByteLevel()])
    nmt.pre_tokenizer = pre_tokenizers.Split("Ġ", behavior="merged_with_next")
    nmt.train_from_iterator(corpus_lines(), trainer=trainer)
    nmt.decoder = decoders.ByteLevel()
    write("bytelevel_nmt_normalizer", nmt, extra=PRECOMPILED_TEXTS + ["tab\there\u000bvt\u2028ls\u2581x\ufeff\u0007"])
    # The CTC decoder (repeats collapsed, pad removed, cleanup, delimiter made a space) on a char-level vocabulary.
    ctc, trainer = bpe(models.BPE(unk_token="<unk>"), 60, ["<pad>", "<unk>"], limit_alphabet=57)
    ctc.normalizer = normalizers.Replace(" ", "|")
    ctc.pre_tokenizer = pre_tokenizers.Split("", behavior="isolated")
    ctc.train_from_iterator(corpus_lines(), trainer=trainer)
    ctc.decoder = decoders.CTC(pad_token="<pad>", word_delimiter_token="|", cleanup=True)
    write("ctc_decoder", ctc)

    # WordLevel: a word is one token or <unk>; Whitespace pre-tokenizer, lowercase.
    words = Tokenizer(models.WordLevel(unk_token="<unk>"))
    words.normalizer = normalizers.Lowercase()
    words.pre_tokenizer = pre_tokenizers.Whitespace()
    words.train_from_iterator(corpus_lines(), trainer=trainers.WordLevelTrainer(
        vocab_size=300, special_tokens=["<unk>"], show_progress=False))
    write("wordlevel", words)

    # Llama-3 / GPT-4 style: the regex Split, then ByteLevel without its own regex; ByteLevel decoder; template.
    llama3, trainer = bpe(models.BPE(ignore_merges=True), 600, ["<|begin_of_text|>", "<|end_of_text|>"],
                          initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    llama3.pre_tokenizer = pre_tokenizers.Sequence([
        pre_tokenizers.Split(tokenizers_regex(LLAMA3_PATTERN), behavior="isolated"),
        pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
    ])
    llama3.train_from_iterator(corpus_lines(), trainer=trainer)
    llama3.decoder = decoders.ByteLevel()
    llama3.post_processor = processors.Sequence([
        processors.ByteLevel(trim_offsets=False),
        processors.TemplateProcessing(single="<|begin_of_text|> $A", special_tokens=[("<|begin_of_text|>", 0)]),
    ])
    write("bytelevel_llama3", llama3)


def tokenizers_regex(pattern):
    from tokenizers import Regex
    return Regex(pattern)


def added_token_kinds():
    # RoBERTa style: ByteLevel with a prefix space, RobertaProcessing trimming offsets, <mask> with lstrip.
    roberta, trainer = bpe(models.BPE(), 500, ["<s>", "<pad>", "</s>", "<unk>"],
                           initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    roberta.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=True)
    roberta.train_from_iterator(corpus_lines(), trainer=trainer)
    roberta.add_special_tokens([AddedToken("<mask>", lstrip=True, normalized=False, special=True)])
    roberta.decoder = decoders.ByteLevel()
    roberta.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=True,
                                                          add_prefix_space=True)
    write("bytelevel_roberta", roberta)

    # GPT-2 style with the ByteLevel post-processor trimming offsets and added tokens with every flag.
    gpt2, trainer = bpe(models.BPE(), 500, ["<|endoftext|>"], initial_alphabet=pre_tokenizers.ByteLevel.alphabet())
    gpt2.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    gpt2.train_from_iterator(corpus_lines(), trainer=trainer)
    gpt2.add_special_tokens([AddedToken("<sep>", lstrip=True, rstrip=True, normalized=False, special=True),
                             AddedToken("<mask>", single_word=True, normalized=False, special=True)])
    gpt2.add_tokens([AddedToken("[NEW]", single_word=True, normalized=True, special=False),
                     AddedToken("<pad>", rstrip=True, normalized=True, special=False)])
    gpt2.decoder = decoders.ByteLevel()
    gpt2.post_processor = processors.ByteLevel(trim_offsets=True)
    write("bytelevel_flags", gpt2)

    # Added tokens matched after a lowercasing normalizer (normalized: true) on a sentencepiece BPE.
    lower, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True), 400, ["<unk>"], limit_alphabet=80)
    lower.normalizer = normalizers.Sequence([normalizers.Lowercase(), normalizers.Prepend("▁"),
                                             normalizers.Replace(" ", "▁")])
    lower.train_from_iterator(corpus_lines(), trainer=trainer)
    lower.add_tokens([AddedToken("[NEW]", normalized=True, lstrip=True), AddedToken("<Sep>", normalized=False)])
    lower.decoder = decoders.Sequence([decoders.Replace("▁", " "), decoders.Fuse(), decoders.Strip(" ", 1, 0)])
    write("bpe_normalized_added", lower)

    # Truncation and padding as the file sets them: cut from the left to 10 with the template's </s>, padded to 14.
    t5 = Tokenizer.from_file(os.path.join(OUT, "kind_unigram_t5.json"))
    t5.enable_truncation(max_length=10, direction="left")
    t5.enable_padding(length=14, pad_id=0, pad_token="<pad>")
    write("unigram_lengths", t5)
    # Right truncation to 7 and padding to a multiple of 4.
    llama = Tokenizer.from_file(os.path.join(OUT, "kind_bpe_llama.json"))
    llama.enable_truncation(max_length=7)
    llama.enable_padding(pad_to_multiple_of=4, pad_id=2, pad_token="</s>", direction="left")
    write("bpe_lengths", llama)


SETTINGS_TEXTS = ["a  <|endoftext|>  b", "x<|endoftext|>y", "Hello world, how are you? " * 3, " 東京 👍🏽 café ",
                  "<|endoftext|>", "  leading and trailing  ", ""]


def settings_cases():
    """hf_bpe.json (make_tokenizer_fixtures.py) with one setting changed at a time — the settings SeqKit used to
    refuse — and the library's ids and offsets for a few texts: settings_cases.json {name: {patch, cases}}."""
    with open(os.path.join(OUT, "hf_bpe.json"), encoding="utf-8") as f:
        root = json.load(f)

    def flag(name):
        tokens = json.loads(json.dumps(root["added_tokens"]))
        tokens[0][name] = True
        return {"added_tokens": tokens}

    patches = {
        "lstrip": flag("lstrip"), "rstrip": flag("rstrip"), "single_word": flag("single_word"),
        "truncation": {"truncation": {"direction": "Right", "max_length": 8, "strategy": "LongestFirst", "stride": 0}},
        "padding": {"padding": {"direction": "Right", "pad_id": 0, "pad_token": "<|endoftext|>", "pad_type_id": 0,
                                "pad_to_multiple_of": None, "strategy": {"Fixed": 24}}},
        "trim_offsets": {"post_processor": {"type": "ByteLevel", "add_prefix_space": False, "trim_offsets": True,
                                            "use_regex": True}},
    }
    out = {}
    for name, patch in patches.items():
        tokenizer = Tokenizer.from_str(json.dumps({**root, **patch}))
        cases = []
        for text in SETTINGS_TEXTS:
            encoding = tokenizer.encode(text)
            cases.append({"text": text, "ids": encoding.ids, "offsets": byte_offsets(text, encoding.offsets),
                          "decoded": tokenizer.decode(encoding.ids)})
        out[name] = {"patch": patch, "cases": cases}
    with open(os.path.join(OUT, "settings_cases.json"), "w", encoding="utf-8") as f:
        json.dump(out, f, ensure_ascii=False, indent=0)
        f.write("\n")
    print("settings", len(out), "patches")


# Rules for a small sentencepiece charsmap (source scalars TAB replacement scalars, hex): full-width letters, a
# ligature, sequences composed (e + acute, A + ring), a circled digit, odd spaces, a sign, a syllable decomposed,
# and a zero-width space removed.
CHARSMAP_RULES = """FF21\t41
FF41\t61
FB01\t66 69
65 301\tE9
41 30A\tC5
2460\t31
3000\t20
A0\t20
2126\t3A9
AC00\t1100 1161
200B\t
"""

PRECOMPILED_TEXTS = ["Ａａ ﬁne e\u0301te A\u030angstrom ① 　wide\u00a0space Ω 가방 zero\u200bwidth",
                     "\u200bstart and end\u200b", "e\u0301\u0301 ﬁﬁ ＡＡ", "  two  spaces   three  "]


def sentencepiece_charsmap():
    """A precompiled_charsmap that sentencepiece (pip install sentencepiece protobuf) compiles from CHARSMAP_RULES."""
    import base64
    import tempfile
    import sentencepiece as spm
    from sentencepiece import sentencepiece_model_pb2
    with tempfile.TemporaryDirectory() as folder:
        rules = os.path.join(folder, "rules.tsv")
        with open(rules, "w", encoding="utf-8") as f:
            f.write(CHARSMAP_RULES)
        corpus = os.path.join(folder, "corpus.txt")
        with open(corpus, "w", encoding="utf-8") as f:
            f.write("\n".join(corpus_lines()[:50]) + "\n")
        spm.SentencePieceTrainer.train(input=corpus, model_prefix=os.path.join(folder, "m"), vocab_size=200,
                                       normalization_rule_tsv=rules, hard_vocab_limit=False, minloglevel=2)
        proto = sentencepiece_model_pb2.ModelProto()
        with open(os.path.join(folder, "m.model"), "rb") as f:
            proto.ParseFromString(f.read())
    return base64.b64encode(proto.normalizer_spec.precompiled_charsmap).decode()


def precompiled_kind():
    # T5-style: the Precompiled charsmap then runs of spaces collapsed, Unigram with Metaspace.
    data = json.loads(Tokenizer.from_file(os.path.join(OUT, "kind_unigram_t5.json")).to_str())
    data["normalizer"] = {"type": "Sequence", "normalizers": [
        {"type": "Precompiled", "precompiled_charsmap": sentencepiece_charsmap()},
        {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": " "}]}
    write("unigram_precompiled", Tokenizer.from_str(json.dumps(data)), extra=PRECOMPILED_TEXTS)


def unicode_normalizer_kinds():
    # NFKC + Lowercase before a sentencepiece-style BPE.
    nfkc, trainer = bpe(models.BPE(unk_token="<unk>", fuse_unk=True), 400, ["<unk>"], limit_alphabet=90)
    nfkc.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    nfkc.pre_tokenizer = pre_tokenizers.Metaspace()
    nfkc.train_from_iterator(corpus_lines(), trainer=trainer)
    nfkc.decoder = decoders.Metaspace()
    write("bpe_nfkc_lower", nfkc, extra=PRECOMPILED_TEXTS, mark_new_scalars=True)

    # NFD, accents stripped, both ends stripped, before a Unigram; and NFC, NFKD alone.
    for name, normalizer in [
        ("unigram_nfd_strip", normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(),
                                                    normalizers.Strip()])),
        ("unigram_nfc", normalizers.NFC()),
        ("unigram_nfkd", normalizers.NFKD()),
    ]:
        data = json.loads(Tokenizer.from_file(os.path.join(OUT, "kind_unigram_t5.json")).to_str())
        data["normalizer"] = json.loads(normalizer.__getstate__())
        write(name, Tokenizer.from_str(json.dumps(data)), extra=PRECOMPILED_TEXTS, mark_new_scalars=True)


def wordpiece_kinds():
    # BERT's own parts (SeqKit's WordPieceTokenizer runs these).
    bert = Tokenizer(models.WordPiece(unk_token="[UNK]"))
    bert.normalizer = normalizers.BertNormalizer(lowercase=True)
    bert.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=500, special_tokens=["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"],
                                        limit_alphabet=120, show_progress=False)
    bert.train_from_iterator(corpus_lines(), trainer=trainer)
    bert.post_processor = processors.TemplateProcessing(single="[CLS] $A [SEP]", special_tokens=[("[CLS]", 2),
                                                                                               ("[SEP]", 3)])
    bert.decoder = decoders.WordPiece()
    write("wordpiece_bert", bert, extra=PRECOMPILED_TEXTS, mark_new_scalars=True)

    # WordPiece with other parts (run part by part): NFD + StripAccents + Lowercase, Whitespace + Digits, an MPNet-
    # style RobertaProcessing, and a [MASK] that takes the spaces before it; cased BertNormalizer kept apart.
    mixed = Tokenizer(models.WordPiece(unk_token="[UNK]", max_input_chars_per_word=12))
    mixed.normalizer = normalizers.Sequence([normalizers.NFD(), normalizers.StripAccents(), normalizers.Lowercase()])
    mixed.pre_tokenizer = pre_tokenizers.Sequence([pre_tokenizers.Whitespace(), pre_tokenizers.Digits(True)])
    trainer = trainers.WordPieceTrainer(vocab_size=500, special_tokens=["<s>", "<pad>", "</s>", "[UNK]"],
                                        limit_alphabet=100, show_progress=False)
    mixed.train_from_iterator(corpus_lines(), trainer=trainer)
    mixed.add_special_tokens([AddedToken("[MASK]", lstrip=True, normalized=False, special=True)])
    mixed.post_processor = processors.RobertaProcessing(("</s>", 2), ("<s>", 0), trim_offsets=False)
    mixed.decoder = decoders.WordPiece(cleanup=True)
    write("wordpiece_mixed", mixed, extra=PRECOMPILED_TEXTS + ["a [MASK] b  [MASK]c", "x" * 13 + " ok"],
          mark_new_scalars=True)


def main():
    os.makedirs(OUT, exist_ok=True)
    settings_cases()
    unigram_kinds()
    bpe_kinds()
    pre_tokenizer_kinds()
    added_token_kinds()
    precompiled_kind()
    unicode_normalizer_kinds()
    wordpiece_kinds()


if __name__ == "__main__":
    main()
