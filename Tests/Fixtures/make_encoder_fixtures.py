#!/usr/bin/env python3
"""Golden numbers from PyTorch for SeqKit's encoder-only layers (bidirectional recurrent stacks, attention
without the causal mask).

Run by hand from the repository root (never by `swift test`):

    python3 Tests/Fixtures/make_encoder_fixtures.py

Same conventions as make_fixtures.py (whose helpers it uses): a fixed seed per file, float64 computation from
float32-exact parameters and inputs, float32 results, and the gradients of
    loss = Σ output·probe + Σ h_n·probe_h [+ Σ c_n·probe_c].
Writes into Tests/SeqNNTests/Fixtures:
    lstm_bidirectional, gru_bidirectional   nn.LSTM / nn.GRU(I=8, H=12, num_layers=2, bidirectional=True,
                                            batch_first=True); h0 (and c0) are (layers·2, B, H), ordered
                                            layer 0, layer 0 reverse, layer 1, layer 1 reverse (PyTorch's h_n)
    self_attention_bidirectional            nanoGPT attention (C = 16, 2 heads, bias) with no mask: every
                                            position attends to every position

Needs: torch, safetensors (pip install torch safetensors).
"""

import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F

sys.path.insert(0, str(Path(__file__).resolve().parent))
import make_fixtures as mf  # noqa: E402

GENERATOR = "Tests/Fixtures/make_encoder_fixtures.py"


def make_bidirectional(kind):
    torch.manual_seed({"lstm": 301, "gru": 302}[kind])
    cls = {"lstm": nn.LSTM, "gru": nn.GRU}[kind]
    m = cls(mf.I, mf.H, num_layers=2, bidirectional=True, batch_first=True)
    mf.init_parameters(m)
    inputs = {
        "input": mf.randn(mf.B, mf.T - 1, mf.I).requires_grad_(),
        "h0": mf.randn(4, mf.B, mf.H, std=0.5).requires_grad_(),
    }
    if kind == "lstm":
        inputs["c0"] = mf.randn(4, mf.B, mf.H, std=0.5).requires_grad_()

        def forward(m, input, h0, c0):
            y, (h, c) = m(input, (h0, c0))
            return y, h, c
    else:

        def forward(m, input, h0):
            return m(input, h0)

    mf.layer_fixture(
        f"{kind}_bidirectional", m, inputs, forward, layers=2, batch_first="true", bidirectional="true",
        generator=GENERATOR)


class SelfAttention(mf.CausalSelfAttention):
    """y = c_proj(concat_h softmax(q_h k_hᵀ / √d) v_h): nanoGPT's attention without the mask."""

    def forward(self, x):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.c_attn(x).split(c, dim=2)  # each (B, T, C)
        q = q.view(b, t, self.heads, d).transpose(1, 2)  # (B, nh, T, d)
        k = k.view(b, t, self.heads, d).transpose(1, 2)
        v = v.view(b, t, self.heads, d).transpose(1, 2)
        y = F.softmax(q @ k.transpose(-2, -1) / math.sqrt(d), dim=-1) @ v  # (B, nh, T, d)
        return self.c_proj(y.transpose(1, 2).contiguous().view(b, t, c))


def make_attention():
    torch.manual_seed(303)
    m = SelfAttention(mf.C, mf.HEADS)
    mf.init_parameters(m)
    x = mf.randn(mf.B, mf.T, mf.C).requires_grad_()
    mf.layer_fixture(
        "self_attention_bidirectional", m, {"input": x}, lambda m, input: m(input), heads=mf.HEADS, causal="false",
        generator=GENERATOR)


if __name__ == "__main__":
    make_bidirectional("lstm")
    make_bidirectional("gru")
    make_attention()
