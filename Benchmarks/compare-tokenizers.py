#!/usr/bin/env python3
"""Side-by-side tokenizer benchmark: SeqKit (tokbench) against Hugging Face `tokenizers`, `sentencepiece` (BPE)
and `tiktoken` (loaded with SeqKit's merges), on one corpus, single thread, alternating implementations.

    swift build -c release --product tokbench
    pip install tokenizers sentencepiece tiktoken
    python3 Benchmarks/compare-tokenizers.py [CORPUS] [--vocab 4096] [--runs 5]

CORPUS defaults to ../shared/corpora/tinyshakespeare.txt. Each measurement runs in a fresh process; the table shows
medians over the runs and each reference's ratio to SeqKit. Encoding and decoding take the whole corpus as one
string; "encode" is the first encode after loading (empty caches), "warm" the second.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
TOKBENCH = os.path.join(ROOT, ".build", "release", "tokbench")
GPT2_PATTERN = r"""'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"""
SINGLE_THREAD = {"RAYON_NUM_THREADS": "1", "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}


def timed(fn):
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def worker_hf(corpus, vocab, text, mb):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers

    tok = Tokenizer(models.BPE())
    tok.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tok.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab, min_frequency=2, special_tokens=["<|endoftext|>"],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False)
    train_s, _ = timed(lambda: tok.train([corpus], trainer))
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "tokenizer.json")
        tok.save(path)
        tok = Tokenizer.from_file(path)
    enc_s, enc = timed(lambda: tok.encode(text, add_special_tokens=False))
    warm_s, enc = timed(lambda: tok.encode(text, add_special_tokens=False))
    dec_s, out = timed(lambda: tok.decode(enc.ids, skip_special_tokens=False))
    assert out == text
    return dict(train_s=train_s, encode_mbps=mb / enc_s, encode_warm_mbps=mb / warm_s, decode_mbps=mb / dec_s,
                tokens=len(enc.ids))


def worker_spm(corpus, vocab, text, mb):
    import sentencepiece as spm

    with tempfile.TemporaryDirectory() as folder:
        prefix = os.path.join(folder, "spm")
        train_s, _ = timed(lambda: spm.SentencePieceTrainer.train(
            input=corpus, model_prefix=prefix, vocab_size=vocab, model_type="bpe", num_threads=1,
            character_coverage=1.0, minloglevel=2))
        sp = spm.SentencePieceProcessor(model_file=prefix + ".model")
    enc_s, ids = timed(lambda: sp.encode(text))
    warm_s, ids = timed(lambda: sp.encode(text))
    dec_s, _ = timed(lambda: sp.decode(ids))
    return dict(train_s=train_s, encode_mbps=mb / enc_s, encode_warm_mbps=mb / warm_s, decode_mbps=mb / dec_s,
                tokens=len(ids))


def tiktoken_encoding(tokenizer_json):
    """A tiktoken Encoding with the vocabulary and merge order of a SeqKit byte-level BPE tokenizer.json."""
    import tiktoken

    with open(tokenizer_json, encoding="utf-8") as f:
        spec = json.load(f)
    byte_of = {}
    printable = list(range(0x21, 0x7F)) + list(range(0xA1, 0xAD)) + list(range(0xAE, 0x100))
    n = 0
    for b in range(256):
        if b in printable:
            byte_of[chr(b)] = b
        else:
            byte_of[chr(256 + n)] = b
            n += 1
    specials = {t["content"]: t["id"] for t in spec["added_tokens"]}
    ranks = {}
    for piece, token_id in spec["model"]["vocab"].items():
        if piece in specials:
            continue
        ranks[bytes(byte_of[c] for c in piece)] = token_id
    return tiktoken.Encoding("seqkit-bpe", pat_str=GPT2_PATTERN, mergeable_ranks=ranks, special_tokens=specials)


def worker_tiktoken(corpus, vocab, text, mb, tokenizer_json):
    enc = tiktoken_encoding(tokenizer_json)
    enc_s, ids = timed(lambda: enc.encode_ordinary(text))
    warm_s, ids = timed(lambda: enc.encode_ordinary(text))
    dec_s, out = timed(lambda: enc.decode(ids))
    assert out == text
    return dict(train_s=None, encode_mbps=mb / enc_s, encode_warm_mbps=mb / warm_s, decode_mbps=mb / dec_s,
                tokens=len(ids))


def run_worker(args):
    with open(args.corpus, encoding="utf-8") as f:
        text = f.read()
    mb = len(text.encode("utf-8")) / 1e6
    if args.worker == "hf":
        result = worker_hf(args.corpus, args.vocab, text, mb)
    elif args.worker == "spm":
        result = worker_spm(args.corpus, args.vocab, text, mb)
    else:
        result = worker_tiktoken(args.corpus, args.vocab, text, mb, args.tokenizer_json)
    result["impl"] = args.worker
    print(json.dumps(result))


def measure(command):
    env = dict(os.environ, **SINGLE_THREAD)
    out = subprocess.run(command, check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("corpus", nargs="?", default=os.path.join(ROOT, "..", "shared", "corpora", "tinyshakespeare.txt"))
    parser.add_argument("--vocab", type=int, default=4096)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--worker", choices=["hf", "spm", "tiktoken"], help=argparse.SUPPRESS)
    parser.add_argument("--tokenizer-json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return run_worker(args)
    if not os.path.exists(TOKBENCH):
        sys.exit(f"{TOKBENCH} is missing: run `swift build -c release --product tokbench` first")
    corpus = os.path.abspath(args.corpus)
    folder = tempfile.mkdtemp()
    seqkit_json = os.path.join(folder, "seqkit.json")
    me = [sys.executable, os.path.abspath(__file__)]
    commands = {
        "SeqKit": [TOKBENCH, corpus, "--vocab", str(args.vocab), "--save", seqkit_json],
        "HF tokenizers": me + [corpus, "--vocab", str(args.vocab), "--worker", "hf"],
        "sentencepiece (BPE)": me + [corpus, "--vocab", str(args.vocab), "--worker", "spm"],
        "tiktoken": me + [corpus, "--vocab", str(args.vocab), "--worker", "tiktoken", "--tokenizer-json", seqkit_json],
    }
    results = {name: [] for name in commands}
    load_before = os.getloadavg()[0]
    for run in range(args.runs):
        for name, command in commands.items():
            results[name].append(measure(command))
        print(f"run {run + 1}/{args.runs} done", file=sys.stderr)

    # tiktoken with SeqKit's merges must give SeqKit's ids.
    with open(corpus, encoding="utf-8") as f:
        text = f.read()
    same_ids = "not checked"
    try:
        enc = tiktoken_encoding(seqkit_json)
        encoded = subprocess.run([os.path.join(ROOT, ".build", "release", "seqtok"), "encode", "-t", seqkit_json],
                                 input=text.encode(), capture_output=True)
        if encoded.returncode == 0:
            seqkit_ids = [i for line in encoded.stdout.decode().splitlines() for i in json.loads(line)]
            lines = text.split("\n")
            if lines and lines[-1] == "":
                lines.pop()
            tiktoken_lines = [i for line in lines for i in enc.encode_ordinary(line)]
            same_ids = "yes" if seqkit_ids == tiktoken_lines else "NO"
    except Exception as error:  # the table matters more than this check
        same_ids = f"check failed: {error}"

    def median(name, key):
        values = [r[key] for r in results[name] if r.get(key) is not None]
        return statistics.median(values) if values else None

    seqkit = {k: median("SeqKit", k) for k in ("train_s", "encode_mbps", "encode_warm_mbps", "decode_mbps")}
    size = os.path.getsize(corpus) / 1e6
    print(f"\ncorpus: {args.corpus} ({size:.2f} MB), vocabulary {args.vocab}, {args.runs} runs, medians, 1 thread")
    print(f"load average (1 min) before / after: {load_before:.1f} / {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"tiktoken loaded with SeqKit's merges gives SeqKit's ids (line by line): {same_ids}\n")
    header = "| implementation | train s | encode MB/s | warm encode MB/s | decode MB/s | tokens |"
    print(header)
    print("|" + "---|" * 6)
    for name in commands:
        row = [median(name, k) for k in ("train_s", "encode_mbps", "encode_warm_mbps", "decode_mbps")]
        tokens = results[name][0]["tokens"]
        cells = ["—" if v is None else f"{v:.3f}" if i == 0 else f"{v:.1f}" for i, v in enumerate(row)]
        print(f"| {name} | " + " | ".join(cells) + f" | {tokens} |")
    print("\nratios (SeqKit relative to each; > 1 means SeqKit is faster):\n")
    print("| against | train | encode | warm encode | decode |")
    print("|---|---|---|---|---|")
    for name in commands:
        if name == "SeqKit":
            continue
        row = [median(name, k) for k in ("train_s", "encode_mbps", "encode_warm_mbps", "decode_mbps")]
        cells = []
        for i, (key, v) in enumerate(zip(("train_s", "encode_mbps", "encode_warm_mbps", "decode_mbps"), row)):
            if v is None or seqkit[key] is None:
                cells.append("—")
            elif i == 0:
                cells.append(f"{v / seqkit[key]:.2f}×")
            else:
                cells.append(f"{seqkit[key] / v:.2f}×")
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
