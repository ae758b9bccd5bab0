#!/usr/bin/env python3
"""Embedding throughput of SeqKit's TextEncoder next to PyTorch, in one run, on the same machine.

    swift build -c release --product embedbench
    python3 Benchmarks/embedbench/compare_torch.py [--sentences 512] [--repeats 3] [--threads 1]

Runs `.build/release/embedbench` and then the same work in PyTorch (eager, float32, inference mode): the
tiny-gpt trunk (Configs/tiny-gpt.json: 4 layers, 128 wide, 4 heads, no bias, learned positions, random
weights), ~40-character sentences as char ids, mean pooling over each text's tokens, batches of 1 and 32
grouped by length and right-padded (causal attention keeps padding out of every text's own states). Prints
sentences per second for both and the ratio SeqKit / PyTorch. Needs torch.

Both sides use the same thread count (SEQKIT_THREADS, torch.set_num_threads); the default is 1 because on a
2-core machine shared with other work PyTorch's OpenMP threads spin against each other (2 threads measured
6× slower than 1 at batch 1 there), which would flatter SeqKit.
"""

import argparse
import math
import os
import random
import re
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
WORDS = ["the", "king", "shall", "speak", "of", "love", "and", "war", "to", "night", "her", "gentle", "sword"]


def sentences(count):
    rng = random.Random(42)
    out = []
    for _ in range(count):
        s = ""
        while len(s) < 36:
            s += ("" if not s else " ") + rng.choice(WORDS)
        out.append(s)
    return out


def torch_figures(texts, repeats, threads):
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    torch.set_num_threads(threads)
    torch.manual_seed(1)
    vocab = sorted(set("".join(texts)))
    index = {c: i for i, c in enumerate(vocab)}
    c, heads, layers, context = 128, 4, 4, 64

    class Block(nn.Module):
        def __init__(self):
            super().__init__()
            self.ln_1 = nn.LayerNorm(c, bias=False)
            self.c_attn = nn.Linear(c, 3 * c, bias=False)
            self.c_proj = nn.Linear(c, c, bias=False)
            self.ln_2 = nn.LayerNorm(c, bias=False)
            self.c_fc = nn.Linear(c, 4 * c, bias=False)
            self.mlp_proj = nn.Linear(4 * c, c, bias=False)

        def forward(self, x):
            b, t, _ = x.shape
            q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
            q, k, v = (z.view(b, t, heads, c // heads).transpose(1, 2) for z in (q, k, v))
            y = F.scaled_dot_product_attention(q, k, v, is_causal=True).transpose(1, 2).reshape(b, t, c)
            x = x + self.c_proj(y)
            return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))

    class Trunk(nn.Module):
        def __init__(self):
            super().__init__()
            self.wte = nn.Embedding(len(vocab), c)
            self.wpe = nn.Embedding(context, c)
            self.h = nn.ModuleList(Block() for _ in range(layers))
            self.ln_f = nn.LayerNorm(c, bias=False)

        def forward(self, ids):
            x = self.wte(ids) + self.wpe(torch.arange(ids.shape[1]))
            for block in self.h:
                x = block(x)
            return self.ln_f(x)

    model = Trunk().eval()
    ids = [[index[ch] for ch in s][:context] for s in texts]

    def embed(batch):
        order = sorted(range(len(ids)), key=lambda i: -len(ids[i]))
        result = [None] * len(ids)
        for start in range(0, len(order), batch):
            group = order[start:start + batch]
            t = len(ids[group[0]])
            rows = torch.tensor([ids[i] + [0] * (t - len(ids[i])) for i in group])
            h = model(rows)  # (B, T, C)
            for r, i in enumerate(group):
                result[i] = h[r, :len(ids[i])].mean(0)
        return result

    figures = {}
    with torch.inference_mode():
        for batch in (1, 32):
            embed(batch)  # warm up
            best = math.inf
            for _ in range(repeats):
                start = time.perf_counter()
                embed(batch)
                best = min(best, time.perf_counter() - start)
            figures[batch] = len(texts) / best
    return figures, torch.__version__


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sentences", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    binary = ROOT / ".build" / "release" / "embedbench"
    if not binary.exists():
        sys.exit(f"{binary} is missing; run `swift build -c release --product embedbench` first")
    env = dict(os.environ, SEQKIT_THREADS=str(args.threads))
    run = subprocess.run([str(binary), str(args.sentences), str(args.repeats)], env=env, capture_output=True,
                         text=True, check=True)
    print(run.stdout, end="")
    ours = {int(b): float(v) for b, v in re.findall(r"batch\s+(\d+):\s+([\d.]+) sentences/s", run.stdout)}
    theirs, version = torch_figures(sentences(args.sentences), args.repeats, args.threads)
    print(f"\nPyTorch {version}, {args.threads} threads, same work:")
    print("batch | SeqKit sent/s | PyTorch sent/s | SeqKit / PyTorch")
    for batch in (1, 32):
        print(f"{batch:5d} | {ours[batch]:13.1f} | {theirs[batch]:14.1f} | {ours[batch] / theirs[batch]:.2f}")


if __name__ == "__main__":
    main()
