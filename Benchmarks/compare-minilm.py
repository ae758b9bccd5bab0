#!/usr/bin/env python3
"""Sentence embeddings per second with all-MiniLM-L6-v2: SeqKit's SentenceEncoder next to sentence-transformers on
PyTorch, in one run, on the same machine, same sentences, same threads, batch 1 and batch 32.

    bash Models/fetch-minilm.sh
    pip install sentence-transformers torch
    swift build -c release --product minilmbench
    python3 Benchmarks/compare-minilm.py [--sentences 256] [--rounds 2] [--threads 2]

Sentences of 10 to 60 words (seeded) are written to a temporary file; each side embeds all of them, text in and
normalized vectors out (tokenization included), best of 3 passes, in its own process so peak RSS is its own. The two
sides alternate, `--rounds` times. Prints sentences/s, the ratio SeqKit / sentence-transformers and peak RSS.
"""
import argparse
import os
import random
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FOLDER = ROOT / "Models" / "all-MiniLM-L6-v2"
WORDS = ("the a man woman child dog city river music light night day eats reads plays walks sings builds finds "
         "small large quiet bright old new under over near far and but with without because while").split()


def sentences(count):
    rng = random.Random(2026)
    return [" ".join(rng.choice(WORDS) for _ in range(rng.randint(10, 60))).capitalize() + "." for _ in range(count)]


PYTHON_SIDE = r"""
import resource, sys, time, torch
from sentence_transformers import SentenceTransformer
torch.set_num_threads(int(sys.argv[3]))
model = SentenceTransformer(sys.argv[1], device="cpu")
texts = open(sys.argv[2], encoding="utf-8").read().splitlines()
batch = int(sys.argv[4])
model.encode(texts[:batch], batch_size=batch, normalize_embeddings=True)
best = float("inf")
for _ in range(3):
    start = time.perf_counter()
    vectors = model.encode(texts, batch_size=batch, normalize_embeddings=True)
    best = min(best, time.perf_counter() - start)
rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
print(f"batch={batch} sentences={len(texts)} seconds={best:.3f} per_second={len(texts)/best:.1f} peak_rss_mib={rss:.1f}")
"""


def parse(line):
    return {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", line)}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=256)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    binary = ROOT / ".build" / "release" / "minilmbench"
    if not binary.exists() or not (FOLDER / "model.safetensors").exists():
        sys.exit("build it (swift build -c release --product minilmbench) and fetch the model "
                 "(bash Models/fetch-minilm.sh) first")
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
        f.write("\n".join(sentences(args.sentences)) + "\n")
        path = f.name
    env = dict(os.environ, SEQKIT_THREADS=str(args.threads))
    load = os.getloadavg()[0]
    rows = []
    for batch in (1, 32):
        for round_ in range(args.rounds):
            swift = parse(subprocess.run([str(binary), str(FOLDER), path, str(batch)], env=env, check=True,
                                         capture_output=True, text=True).stdout)
            torch_ = parse(subprocess.run([sys.executable, "-c", PYTHON_SIDE, str(FOLDER), path, str(args.threads),
                                           str(batch)], check=True, capture_output=True, text=True).stdout)
            rows.append((batch, round_ + 1, swift, torch_))
            print(f"batch {batch:2d} round {round_ + 1}: SeqKit {swift['per_second']:7.1f}/s "
                  f"({swift['peak_rss_mib']:.0f} MiB)  sentence-transformers {torch_['per_second']:7.1f}/s "
                  f"({torch_['peak_rss_mib']:.0f} MiB)  ratio {swift['per_second'] / torch_['per_second']:.2f}x  "
                  f"RSS {swift['peak_rss_mib'] / torch_['peak_rss_mib']:.2f}x", flush=True)
    os.unlink(path)
    print(f"{args.sentences} sentences of 10-60 words, {args.threads} threads each, load {load:.2f} -> "
          f"{os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
