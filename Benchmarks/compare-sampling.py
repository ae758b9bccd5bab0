#!/usr/bin/env python3
"""Side-by-side batch-1 sampling speed: SeqKit (`samplebench`) against PyTorch eager, same weights.

    python3 Benchmarks/compare-sampling.py [--rounds 5] [--runs 5] [--tokens 255] [--threads 2] [--skip-build]

Builds `samplebench` in release, runs it once per round (it saves tiny-gpt and the 2x128 char-LSTM as
safetensors in a temporary folder and times them), loads the SAME safetensors into the PyTorch modules below and
times the same generation: 255 new tokens after a 1-token prompt, categorical at temperature 1. The GPT decodes
with a hand-written KV cache and, past its 64-token context, slides as SeqKit's decoder does (keep the last half
of the window and re-encode it from position 0, here in one batched forward); the LSTM carries (h, c). Rounds
alternate SeqKit and PyTorch so both see the same machine load. Prints the medians and SeqKit / PyTorch, and checks
that PyTorch gives SeqKit's seeded sample the same total log-probability (same weights, same model,
same slide).
"""
import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors.torch import load_file

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class Block(nn.Module):
    """Pre-LN GPT block without biases: x + attn(ln_1(x)), then x + mlp(ln_2(x)), with a KV cache."""

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln_1 = nn.LayerNorm(width, bias=False)
        self.c_attn = nn.Linear(width, 3 * width, bias=False)
        self.c_proj = nn.Linear(width, width, bias=False)
        self.ln_2 = nn.LayerNorm(width, bias=False)
        self.c_fc = nn.Linear(width, 4 * width, bias=False)
        self.mlp_proj = nn.Linear(4 * width, width, bias=False)

    def forward(self, x, cache, position):
        """x (1, T, C) at positions position..position+T-1; cache = [k, v] tensors (1, H, capacity, D)."""
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.c_attn(self.ln_1(x)).split(c, dim=2)
        q, k, v = (z.view(b, t, self.heads, d).transpose(1, 2) for z in (q, k, v))  # (1, H, T, D)
        cache[0][:, :, position:position + t] = k
        cache[1][:, :, position:position + t] = v
        keys, values = cache[0][:, :, :position + t], cache[1][:, :, :position + t]
        y = F.scaled_dot_product_attention(q, keys, values, is_causal=(t > 1))  # prefill from 0 is causal
        x = x + self.c_proj(y.transpose(1, 2).reshape(b, t, c))
        return x + self.mlp_proj(F.gelu(self.c_fc(self.ln_2(x)), approximate="tanh"))


class GPT(nn.Module):
    """nanoGPT: wte + wpe -> blocks -> ln_f -> lm_head tied to wte."""

    def __init__(self, vocab=65, width=128, layers=4, heads=4, context=64):
        super().__init__()
        self.context, self.width, self.heads = context, width, heads
        self.wte = nn.Embedding(vocab, width)
        self.wpe = nn.Embedding(context, width)
        self.h = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width, bias=False)

    def load(self, path):
        t = load_file(path)
        p = "transformer."
        self.wte.weight.data.copy_(t[p + "wte.weight"])
        self.wpe.weight.data.copy_(t[p + "wpe.weight"])
        self.ln_f.weight.data.copy_(t[p + "ln_f.weight"])
        for i, block in enumerate(self.h):
            q = f"{p}h.{i}."
            block.ln_1.weight.data.copy_(t[q + "ln_1.weight"])
            block.c_attn.weight.data.copy_(t[q + "attn.c_attn.weight"])
            block.c_proj.weight.data.copy_(t[q + "attn.c_proj.weight"])
            block.ln_2.weight.data.copy_(t[q + "ln_2.weight"])
            block.c_fc.weight.data.copy_(t[q + "mlp.c_fc.weight"])
            block.mlp_proj.weight.data.copy_(t[q + "mlp.c_proj.weight"])
        return self

    def new_cache(self):
        d = self.width // self.heads
        return [[torch.zeros(1, self.heads, self.context, d) for _ in range(2)] for _ in self.h]

    def forward(self, ids, cache, position):
        """Logits (V) of the last of `ids` (1, T), which sit at positions position..position+T-1."""
        t = ids.shape[1]
        x = self.wte(ids) + self.wpe.weight[position:position + t]
        for block, layer_cache in zip(self.h, cache):
            x = block(x, layer_cache, position)
        return self.ln_f(x[:, -1]) @ self.wte.weight.T  # (1, V)


class CharLSTM(nn.Module):
    """embedding -> 2-layer LSTM -> head tied to the embedding, with its own bias."""

    def __init__(self, vocab=65, width=128, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, width)
        self.rnn = nn.LSTM(width, width, layers, batch_first=True)
        self.bias = nn.Parameter(torch.zeros(vocab))

    def load(self, path):
        t = load_file(path)
        self.embedding.weight.data.copy_(t["embedding.weight"])
        for name, value in self.rnn.named_parameters():
            value.data.copy_(t["rnn." + name])
        self.bias.data.copy_(t["head.bias"])
        return self


@torch.inference_mode()
def generate_gpt(model, tokens, forced=None, generator=None):
    """`tokens` sampled tokens; with `forced`, takes those tokens instead and returns their total log-probability."""
    history, total = [0], 0.0
    cache, position = model.new_cache(), 0
    logits = model(torch.tensor([[0]]), cache, position)
    position = 1
    for i in range(tokens):
        if forced is not None:
            token = forced[i]
            total += float(torch.log_softmax(logits[0].double(), -1)[token])
        else:
            token = int(torch.multinomial(torch.softmax(logits[0], -1), 1, generator=generator))
        history.append(token)
        if len(history) == tokens + 1:
            break
        if position == model.context:  # slide: re-encode the last half of the window from position 0
            keep = history[-max(1, model.context // 2) - 1:-1]
            model(torch.tensor([keep]), cache, 0)
            position = len(keep)
        logits = model(torch.tensor([[token]]), cache, position)
        position += 1
    return total if forced is not None else history[1:]


@torch.inference_mode()
def generate_lstm(model, tokens, forced=None, generator=None):
    history, state, total = [0], None, 0.0
    for i in range(tokens):
        y, state = model.rnn(model.embedding(torch.tensor([[history[-1]]])), state)
        logits = y[0, -1] @ model.embedding.weight.T + model.bias
        if forced is not None:
            token = forced[i]
            total += float(torch.log_softmax(logits.double(), -1)[token])
        else:
            token = int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
        history.append(token)
    return total if forced is not None else history[1:]


def time_torch(generate, model, tokens, runs):
    generate(model, tokens, generator=torch.Generator().manual_seed(0))  # warm-up
    rates, cpu_rates = [], []
    for run in range(runs):
        generator = torch.Generator().manual_seed(run)
        start, cpu_start = time.perf_counter(), time.process_time()
        count = len(generate(model, tokens, generator=generator))
        rates.append(count / (time.perf_counter() - start))
        cpu_rates.append(count / (time.process_time() - cpu_start))
    return statistics.median(rates), statistics.median(cpu_rates)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5, help="alternations of SeqKit and PyTorch")
    parser.add_argument("--runs", type=int, default=5, help="timed generations per model per round")
    parser.add_argument("--tokens", type=int, default=255)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "samplebench"], cwd=ROOT, check=True)
    binary = os.path.join(ROOT, ".build", "release", "samplebench")
    out = tempfile.mkdtemp(prefix="compare-sampling-")
    names = ["tiny-gpt", "char-lstm"]
    seqkit = {n: [] for n in names}
    torch_rates = {n: [] for n in names}
    seqkit_cpu = {n: [] for n in names}
    torch_cpu = {n: [] for n in names}
    check = {}
    models = None
    for round in range(args.rounds):
        text = subprocess.run(
            [binary, "--out", out, "--runs", str(args.runs), "--tokens", str(args.tokens)],
            cwd=ROOT, check=True, capture_output=True, text=True).stdout
        for name in names:
            found = re.search(rf"^{name} tokens/s median=(\d+) .* cpu=(\d+)", text, re.M)
            seqkit[name].append(float(found.group(1)))
            seqkit_cpu[name].append(float(found.group(2)))
            found = re.search(rf"^{name} check logprob=(\S+) tokens=([\d,]*)", text, re.M)
            check[name] = (float(found.group(1)), [int(x) for x in found.group(2).split(",")])
        if models is None:
            models = {"tiny-gpt": (GPT().load(os.path.join(out, "tiny-gpt.safetensors")).eval(), generate_gpt),
                      "char-lstm": (CharLSTM().load(os.path.join(out, "char-lstm.safetensors")).eval(), generate_lstm)}
        for name in names:
            model, generate = models[name]
            wall, cpu = time_torch(generate, model, args.tokens, args.runs)
            torch_rates[name].append(wall)
            torch_cpu[name].append(cpu)
        print(f"round {round + 1}: " + ", ".join(
            f"{n} SeqKit {seqkit[n][-1]:.0f} / PyTorch {torch_rates[n][-1]:.0f} tokens/s" for n in names), flush=True)

    print(f"\nbatch 1, {args.tokens} new tokens after a 1-token prompt, categorical at T = 1, "
          f"torch {torch.__version__} with {args.threads} threads, medians of {args.rounds} rounds x {args.runs} runs")
    print("tok/s: tokens per wall-clock second; cpu: tokens per second of process CPU time (all threads)")
    print(f"{'model':<10} {'SeqKit tok/s':>13} {'PyTorch tok/s':>14} {'ratio':>8} {'SeqKit cpu':>11} "
          f"{'PyTorch cpu':>12} {'ratio':>8} {'log p, SeqKit':>14} {'log p, PyTorch':>15}")
    for name in names:
        model, generate = models[name]
        seqkit_logprob, tokens = check[name]
        reference = generate(model, len(tokens), forced=tokens)
        s, p = statistics.median(seqkit[name]), statistics.median(torch_rates[name])
        sc, pc = statistics.median(seqkit_cpu[name]), statistics.median(torch_cpu[name])
        print(f"{name:<10} {s:>13.0f} {p:>14.0f} {s / p:>7.1f}x {sc:>11.0f} {pc:>12.0f} {sc / pc:>7.1f}x "
              f"{seqkit_logprob:>14.4f} {reference:>15.4f}")
        if abs(seqkit_logprob - reference) > 1e-3 * abs(reference):
            print(f"{name}: the two models disagree on a seeded sample's log-probability", file=sys.stderr)
            return 1


if __name__ == "__main__":
    sys.exit(main())
