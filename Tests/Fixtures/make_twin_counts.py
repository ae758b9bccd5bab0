"""Counts the parameters of the PyTorch twins of Configs/tiny-gpt.json and Configs/char-lstm.json.

Writes Tests/SeqModelsTests/Fixtures/twin_parameter_counts.json, which SeqModelsTests compares with
SeqKit's `summary()`. Run by hand from the repository root:

    python3 Tests/Fixtures/make_twin_counts.py

tiny-gpt is nanoGPT's GPT with vocabulary 65 (the Shakespeare characters), 4 layers, 4 heads, width 128,
block size 64, bias=False, and lm_head tied to wte (counted once, as `sum(p.numel() for p in parameters())`
counts it). char-lstm is embedding (65 × 128) → nn.LSTM(128, 128, 2 layers) → Linear(128, 65).
"""

import json
import os

import torch
from torch import nn


class Block(nn.Module):
    def __init__(self, width, heads, bias):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width, bias=bias)
        self.attn = nn.ModuleDict(dict(c_attn=nn.Linear(width, 3 * width, bias=bias),
                                       c_proj=nn.Linear(width, width, bias=bias)))
        self.ln_2 = nn.LayerNorm(width, bias=bias)
        self.mlp = nn.ModuleDict(dict(c_fc=nn.Linear(width, 4 * width, bias=bias),
                                      c_proj=nn.Linear(4 * width, width, bias=bias)))


class GPT(nn.Module):
    def __init__(self, vocab, width, layers, heads, block_size, bias):
        super().__init__()
        self.transformer = nn.ModuleDict(dict(
            wte=nn.Embedding(vocab, width), wpe=nn.Embedding(block_size, width),
            h=nn.ModuleList([Block(width, heads, bias) for _ in range(layers)]),
            ln_f=nn.LayerNorm(width, bias=bias)))
        self.lm_head = nn.Linear(width, vocab, bias=False)
        self.transformer.wte.weight = self.lm_head.weight  # tied, as nanoGPT


class CharLSTM(nn.Module):
    def __init__(self, vocab, embed, hidden, layers):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        self.rnn = nn.LSTM(embed, hidden, layers, batch_first=True)
        self.head = nn.Linear(hidden, vocab)


def count(model):
    return sum(p.numel() for p in model.parameters())


def main():
    counts = {
        "tiny-gpt": count(GPT(65, 128, 4, 4, 64, bias=False)),
        "char-lstm": count(CharLSTM(65, 128, 128, 2)),
        "torch": torch.__version__,
    }
    path = os.path.join(os.path.dirname(__file__), "..", "SeqModelsTests", "Fixtures", "twin_parameter_counts.json")
    with open(path, "w") as f:
        json.dump({k: v for k, v in counts.items() if k != "torch"}, f, indent=2, sort_keys=True)
        f.write("\n")
    print(counts)


if __name__ == "__main__":
    main()
