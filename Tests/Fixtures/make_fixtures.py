#!/usr/bin/env python3
"""Golden numbers from PyTorch for SeqKit's tests.

Run by hand from the repository root (never by `swift test`):

    python3 Tests/Fixtures/make_fixtures.py            # regenerate every fixture
    python3 Tests/Fixtures/make_fixtures.py --only lstm lm_gpt
    python3 Tests/Fixtures/make_fixtures.py --verify           # compare a fresh run with the committed files
    python3 Tests/Fixtures/make_fixtures.py --check-load runs/x/model.safetensors lm_gpt [--inputs "1,2,3;4,5,6"]

Every fixture is deterministic: each file has its own fixed seed, parameters and inputs are drawn in float64,
rounded to float32 (so the stored inputs are exactly the ones used), everything is computed in float64, and the
results are saved as float32 with `safetensors.torch.save_file`. Tests/Fixtures/README.md documents every file,
every tensor name and the conventions (equations, gate orders).

Needs: torch, safetensors (pip install torch safetensors).
"""

import argparse
import json
import math
import sys
from pathlib import Path

import torch
import torch.nn as nn
import torch.nn.functional as F
from safetensors import safe_open
from safetensors.torch import load_file, save_file

ROOT = Path(__file__).resolve().parents[2]
NN_DIR = ROOT / "Tests" / "SeqNNTests" / "Fixtures"
MODELS_DIR = ROOT / "Tests" / "SeqModelsTests" / "Fixtures"
TENSOR_DIR = ROOT / "Tests" / "SeqTensorTests" / "Fixtures"

torch.set_default_dtype(torch.float64)

# Tiny sizes: batch B, time T, input width I, hidden width H, model width C, vocabulary V.
B, T, I, H, C, V = 2, 6, 8, 12, 16, 11
HEADS = 2
BLOCK_SIZE = 8
INIT_STD = 0.3


# ---------------------------------------------------------------------------------------------------------------
# Helpers


def f32(t):
    """Round a float64 tensor to float32 precision but keep it float64, so stored inputs are exactly those used."""
    return t.float().double()


def randn(*shape, std=1.0):
    return f32(torch.randn(*shape) * std)


def init_parameters(module, std=INIT_STD):
    """Non-default, clearly non-zero initialisation: normal(0, std) for every weight and bias, and
    1 + normal(0, std) for LayerNorm scales (named `*ln*.weight` or LayerNorm modules' `weight`)."""
    with torch.no_grad():
        for sub in module.modules():
            for name, p in sub.named_parameters(recurse=False):
                if isinstance(sub, nn.LayerNorm) and name == "weight":
                    p.copy_(f32(1 + torch.randn_like(p) * std))
                else:
                    p.copy_(f32(torch.randn_like(p) * std))


def save(path, tensors, **metadata):
    """Save as float32 (floats) / int64 (integers), contiguous, with string metadata."""
    out = {}
    for name, t in tensors.items():
        t = t.detach()
        out[name] = (t.to(torch.int64) if not t.is_floating_point() else t.to(torch.float32)).contiguous()
    # One metadata entry holding sorted JSON: safetensors writes several entries in hash order, which would
    # make the bytes differ from run to run.
    info = {"generator": "Tests/Fixtures/make_fixtures.py", "torch": torch.__version__.split("+")[0]}
    info.update({k: str(v) for k, v in metadata.items()})
    path.parent.mkdir(parents=True, exist_ok=True)
    save_file(out, str(path), metadata={"fixture": json.dumps(info, sort_keys=True, separators=(",", ":"))})
    size = path.stat().st_size
    print(f"wrote {path.relative_to(ROOT)} ({len(out)} tensors, {size} bytes)")


def layer_fixture(kind, module, inputs, forward, **metadata):
    """Run `forward(module, **inputs)`, back-propagate
        loss = (output * probe).sum() + (h_n * probe_h).sum() [+ (c_n * probe_c).sum()]
    and save parameters (state_dict names), inputs, outputs, probes and `grad.<name>` for every input that
    requires grad and every parameter."""
    outputs = forward(module, **inputs)
    if not isinstance(outputs, tuple):
        outputs = (outputs,)
    names = ["output", "h_n", "c_n"][: len(outputs)]
    probe_names = ["probe", "probe_h", "probe_c"]
    tensors = {}
    loss = 0
    for name, probe_name, value in zip(names, probe_names, outputs):
        probe = randn(*value.shape)
        tensors[name] = value
        tensors[probe_name] = probe
        loss = loss + (value * probe).sum()
    loss.backward()
    for name, value in inputs.items():
        tensors[name] = value
        if value.is_floating_point() and value.grad is not None:
            tensors[f"grad.{name}"] = value.grad
    for name, p in module.named_parameters():
        tensors[name] = p
        tensors[f"grad.{name}"] = p.grad
    save(NN_DIR / f"{kind}.safetensors", tensors, kind=kind, **metadata)


# ---------------------------------------------------------------------------------------------------------------
# nanoGPT-style modules (written here from the equations; names follow nanoGPT / GPT-2)


class CausalSelfAttention(nn.Module):
    """y = c_proj(concat_h softmax(mask(q_h k_hᵀ / √d)) v_h), with q, k, v = split(c_attn(x)); position t attends to
    positions ≤ t. No dropout."""

    def __init__(self, width, heads, bias=True):
        super().__init__()
        self.c_attn = nn.Linear(width, 3 * width, bias=bias)
        self.c_proj = nn.Linear(width, width, bias=bias)
        self.heads = heads

    def forward(self, x):
        b, t, c = x.shape
        d = c // self.heads
        q, k, v = self.c_attn(x).split(c, dim=2)  # each (B, T, C)
        q = q.view(b, t, self.heads, d).transpose(1, 2)  # (B, nh, T, d)
        k = k.view(b, t, self.heads, d).transpose(1, 2)
        v = v.view(b, t, self.heads, d).transpose(1, 2)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d)  # (B, nh, T, T)
        future = torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1)
        scores = scores.masked_fill(future, float("-inf"))
        y = F.softmax(scores, dim=-1) @ v  # (B, nh, T, d)
        y = y.transpose(1, 2).contiguous().view(b, t, c)  # heads side by side
        return self.c_proj(y)


class MLP(nn.Module):
    """c_proj(gelu(c_fc(x))), width C → 4C → C; `approximate` is nn.GELU's: "none" (exact, SeqKit's
    `activation: gelu`) or "tanh" (`gelu_tanh`)."""

    def __init__(self, width, bias=True, approximate="tanh"):
        super().__init__()
        self.c_fc = nn.Linear(width, 4 * width, bias=bias)
        self.gelu = nn.GELU(approximate=approximate)
        self.c_proj = nn.Linear(4 * width, width, bias=bias)

    def forward(self, x):
        return self.c_proj(self.gelu(self.c_fc(x)))


class Block(nn.Module):
    """Pre-LN transformer block: x = x + attn(ln_1(x)); x = x + mlp(ln_2(x))."""

    def __init__(self, width, heads, approximate="tanh"):
        super().__init__()
        self.ln_1 = nn.LayerNorm(width)
        self.attn = CausalSelfAttention(width, heads)
        self.ln_2 = nn.LayerNorm(width)
        self.mlp = MLP(width, approximate=approximate)

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        return x + self.mlp(self.ln_2(x))


class GPT(nn.Module):
    """nanoGPT: logits = lm_head(ln_f(blocks(wte[ids] + wpe[positions]))); lm_head has no bias; `tied` shares
    wte's matrix with lm_head as nanoGPT does (its state_dict then lists the matrix under both names)."""

    def __init__(self, vocab, width, layers, heads, block_size, tied=False, approximate="tanh"):
        super().__init__()
        self.transformer = nn.ModuleDict(
            dict(
                wte=nn.Embedding(vocab, width),
                wpe=nn.Embedding(block_size, width),
                h=nn.ModuleList([Block(width, heads, approximate) for _ in range(layers)]),
                ln_f=nn.LayerNorm(width),
            )
        )
        self.lm_head = nn.Linear(width, vocab, bias=False)
        if tied:
            self.transformer.wte.weight = self.lm_head.weight

    def forward(self, ids):
        t = ids.shape[1]
        x = self.transformer.wte(ids) + self.transformer.wpe(torch.arange(t))  # (B, T, C)
        for block in self.transformer.h:
            x = block(x)
        return self.lm_head(self.transformer.ln_f(x))  # (B, T, V)


class RecurrentLM(nn.Module):
    """embedding (V×E) → 2-layer nn.RNN(tanh) / nn.LSTM / nn.GRU named `rnn` (batch_first, zero initial state) →
    head (V×H, with bias)."""

    def __init__(self, cell, vocab, embed, hidden, layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab, embed)
        recurrent = {"rnn": lambda: nn.RNN(embed, hidden, layers, nonlinearity="tanh", batch_first=True),
                     "lstm": lambda: nn.LSTM(embed, hidden, layers, batch_first=True),
                     "gru": lambda: nn.GRU(embed, hidden, layers, batch_first=True)}[cell]
        self.rnn = recurrent()
        self.head = nn.Linear(hidden, vocab)

    def forward(self, ids):
        y, _ = self.rnn(self.embedding(ids))  # (B, T, H)
        return self.head(y)  # (B, T, V)


def rotate_half(x):
    """rotate_half([x1, x2]) = [-x2, x1], halves along the last dimension."""
    half = x.shape[-1] // 2
    return torch.cat([-x[..., half:], x[..., :half]], dim=-1)


def rope_tables(t, d, base=10000.0, offset=0):
    """GPT-NeoX / LLaMA rotary tables, shape (T, D):
        inv_freq[i] = base^(−2i/D)               for i in 0 ..< D/2
        angle[p, i] = (p + offset) · inv_freq[i]  for position p
        cos[p] = concat(cos(angle[p]), cos(angle[p])),  sin[p] = concat(sin(angle[p]), sin(angle[p]))
    and rope(x)[..., p, :] = x[..., p, :] · cos[p] + rotate_half(x[..., p, :]) · sin[p],
    i.e. for j < D/2:  y_j = x_j cos θ_j − x_{j+D/2} sin θ_j,  y_{j+D/2} = x_{j+D/2} cos θ_j + x_j sin θ_j."""
    inv_freq = base ** (-torch.arange(0, d // 2, dtype=torch.float64) * 2 / d)
    angle = torch.outer(torch.arange(t, dtype=torch.float64) + offset, inv_freq)  # (T, D/2)
    angle = torch.cat([angle, angle], dim=-1)  # (T, D)
    return angle.cos(), angle.sin()


def sinusoidal_table(positions, d):
    """"Attention Is All You Need": PE[p, 2i] = sin(p / 10000^(2i/d)), PE[p, 2i+1] = cos(p / 10000^(2i/d))."""
    pe = torch.zeros(positions, d)
    p = torch.arange(positions, dtype=torch.float64)[:, None]
    rate = 10000.0 ** (-torch.arange(0, d, 2, dtype=torch.float64) / d)  # (d/2,)
    pe[:, 0::2] = torch.sin(p * rate)
    pe[:, 1::2] = torch.cos(p * rate)
    return pe


# ---------------------------------------------------------------------------------------------------------------
# Layer fixtures → Tests/SeqNNTests/Fixtures


def make_linear(bias, kind):
    torch.manual_seed(101 if bias else 102)
    m = nn.Linear(I, H, bias=bias)
    init_parameters(m)
    x = randn(B, T - 1, I).requires_grad_()
    layer_fixture(kind, m, {"input": x}, lambda m, input: m(input))


def make_embedding():
    torch.manual_seed(103)
    m = nn.Embedding(V, I)
    init_parameters(m, std=1.0)
    ids = torch.tensor([[0, 3, 3, 10, 5], [7, 3, 1, 0, 10]], dtype=torch.int64)  # repeats: gradients accumulate
    layer_fixture("embedding", m, {"input_ids": ids}, lambda m, input_ids: m(input_ids))


def make_layernorm(bias, kind):
    torch.manual_seed(104 if bias else 105)
    m = nn.LayerNorm(C, eps=1e-5, bias=bias)
    init_parameters(m)
    x = f32(randn(B, T - 1, C) * 2 + 0.5).requires_grad_()
    layer_fixture(kind, m, {"input": x}, lambda m, input: m(input), eps="1e-05")


def make_recurrent(kind):
    seeds = {"rnn_tanh": 106, "rnn_relu": 107, "lstm": 108, "gru": 109}
    torch.manual_seed(seeds[kind])
    if kind.startswith("rnn"):
        m = nn.RNN(I, H, num_layers=2, nonlinearity=kind[4:], batch_first=True)
    elif kind == "lstm":
        m = nn.LSTM(I, H, num_layers=2, batch_first=True)
    else:
        m = nn.GRU(I, H, num_layers=2, batch_first=True)
    init_parameters(m)
    inputs = {"input": randn(B, T - 1, I).requires_grad_(), "h0": randn(2, B, H, std=0.5).requires_grad_()}
    if kind == "lstm":
        inputs["c0"] = randn(2, B, H, std=0.5).requires_grad_()

        def forward(m, input, h0, c0):
            y, (h, c) = m(input, (h0, c0))
            return y, h, c
    else:

        def forward(m, input, h0):
            return m(input, h0)

    layer_fixture(kind, m, inputs, forward, layers=2, batch_first="true")


def make_attention():
    torch.manual_seed(110)
    m = CausalSelfAttention(C, HEADS)
    init_parameters(m)
    x = randn(B, T, C).requires_grad_()
    layer_fixture("causal_self_attention", m, {"input": x}, lambda m, input: m(input), heads=HEADS)


def make_block(approximate="tanh"):
    """`block` with GELU's tanh approximation, `block_gelu` with the exact GELU (nn.GELU()), same seed."""
    torch.manual_seed(111)
    m = Block(C, HEADS, approximate)
    init_parameters(m)
    x = randn(B, T, C).requires_grad_()
    kind, gelu = ("block", "tanh") if approximate == "tanh" else ("block_gelu", "exact")
    layer_fixture(kind, m, {"input": x}, lambda m, input: m(input), heads=HEADS, gelu=gelu, eps="1e-05")


def make_rope():
    torch.manual_seed(112)
    d = 8
    x = randn(B, HEADS, T, d).requires_grad_()
    cos, sin = rope_tables(T, d)
    y = x * cos + rotate_half(x) * sin  # (B, heads, T, D)
    probe = randn(*y.shape)
    (y * probe).sum().backward()
    save(NN_DIR / "rope.safetensors",
         {"input": x, "output": y, "probe": probe, "grad.input": x.grad, "cos": cos, "sin": sin},
         kind="rope", base="10000", convention="rotate_half", position_offset=0)


def make_sinusoidal():
    positions, d = 12, C
    save(NN_DIR / "sinusoidal.safetensors", {"output": sinusoidal_table(positions, d)},
         kind="sinusoidal", positions=positions, width=d)


# ---------------------------------------------------------------------------------------------------------------
# Model fixtures → Tests/SeqModelsTests/Fixtures


def model_batch(seed):
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(0, V, (B, T + 2), generator=g)  # T+1 = 7 ≤ block size 8
    return ids[:, :-1], ids[:, 1:]  # inputs (B, 7), targets shifted by one


def model_fixture(kind, model, seed, **metadata):
    inputs, targets = model_batch(seed)
    logits = model(inputs)  # (B, T, V)
    loss = F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))  # mean over B·T
    loss.backward()
    tensors = {"inputs": inputs, "targets": targets, "logits": logits, "loss": loss}
    for name, p in model.named_parameters():
        tensors[name] = p
        tensors[f"grad.{name}"] = p.grad
    save(MODELS_DIR / f"{kind}.safetensors", tensors, kind=kind, **metadata)


def make_lm_recurrent(cell):
    seed = {"rnn": 201, "lstm": 202, "gru": 203}[cell]
    torch.manual_seed(seed)
    model = RecurrentLM(cell, V, I, H)
    init_parameters(model)
    with torch.no_grad():  # embedding rows ~ N(0, 1), as PyTorch's default, so the recurrent layers see real signal
        model.embedding.weight.copy_(randn(V, I))
    model_fixture(f"lm_{cell}", model, seed, vocab=V, embed=I, hidden=H, layers=2)


def make_lm_gpt(approximate="tanh"):
    """`lm_gpt` with GELU's tanh approximation (GPT-2), `lm_gpt_gelu` with nanoGPT's exact nn.GELU(), same seed."""
    torch.manual_seed(204)
    model = GPT(V, C, 2, HEADS, BLOCK_SIZE, approximate=approximate)
    init_parameters(model)
    kind, gelu = ("lm_gpt", "tanh") if approximate == "tanh" else ("lm_gpt_gelu", "exact")
    model_fixture(kind, model, 204, vocab=V, width=C, layers=2, heads=HEADS, block_size=BLOCK_SIZE,
                  gelu=gelu, eps="1e-05")


def make_lm_gpt_tied():
    """nanoGPT with its head tied to the token embedding (tiny-gpt's tieWeights). named_parameters lists the shared
    matrix once, as transformer.wte.weight (its gradient sums both uses); `state_dict` records every key that
    load_state_dict(strict=True) requires, lm_head.weight included."""
    torch.manual_seed(205)
    model = GPT(V, C, 2, HEADS, BLOCK_SIZE, tied=True)
    init_parameters(model)
    model_fixture("lm_gpt_tied", model, 205, vocab=V, width=C, layers=2, heads=HEADS, block_size=BLOCK_SIZE,
                  gelu="tanh", eps="1e-05", state_dict=",".join(model.state_dict().keys()))


# ---------------------------------------------------------------------------------------------------------------
# safetensors reader fixtures → Tests/SeqTensorTests/Fixtures


def make_safetensors_fixtures():
    TENSOR_DIR.mkdir(parents=True, exist_ok=True)
    dtypes = {
        "f32": (torch.arange(6, dtype=torch.float32) - 2).reshape(2, 3) / 4,
        "f16": torch.tensor([0.5, -2.0, 65504.0, 2.0**-14, 2.0**-24, math.inf, -0.0, 1 / 3], dtype=torch.float16),
        "bf16": torch.tensor([1.0, -3.5, 2.0**100, 1 / 3], dtype=torch.bfloat16),
        "f64": torch.tensor([0.1, -2.5, 1e-50], dtype=torch.float64),
        "i64": torch.tensor([[0, 10, -3], [2**40, 7, 1]], dtype=torch.int64),
        "i32": torch.tensor([1, -2, 3], dtype=torch.int32),
        "u8": torch.tensor([0, 255], dtype=torch.uint8),
        "bool": torch.tensor([True, False, True]),
        "scalar": torch.tensor(2.5, dtype=torch.float32),
        "empty": torch.zeros(0, 4, dtype=torch.float32),
    }
    path = TENSOR_DIR / "python_dtypes.safetensors"
    save_file(dtypes, str(path), metadata={"source": "make_fixtures.py"})
    print(f"wrote {path.relative_to(ROOT)}")
    # The Swift writer must produce exactly these bytes for the same tensors and metadata.
    reference = {
        "b": torch.tensor([1.5, -2.0, 3.0], dtype=torch.float32),
        "a.weight": torch.arange(6, dtype=torch.float32).reshape(2, 3) / 8,
        "scalar": torch.tensor(7.0, dtype=torch.float32),
        "empty": torch.zeros(0, 2, dtype=torch.float32),
    }
    path = TENSOR_DIR / "python_reference.safetensors"
    save_file(reference, str(path), metadata={"format": "pt"})
    print(f"wrote {path.relative_to(ROOT)}")


# ---------------------------------------------------------------------------------------------------------------
# --check-load: prove that a SeqKit-written model.safetensors loads into the matching PyTorch module


def gelu_of_checkpoint(path):
    """nn.GELU's `approximate` for a SeqKit model file, from `model.activation` in the config.json beside it: "none"
    for gelu (also without a config.json: the default of a new config), "tanh" for gelu_tanh or a checkpoint config
    without the key (written before SeqKit had it, when the MLP used the tanh form)."""
    config = Path(path).parent / "config.json"
    if not config.exists():
        return "none"
    activation = json.loads(config.read_text()).get("model", {}).get("activation", "gelu_tanh")
    return {"gelu": "none", "gelu_tanh": "tanh"}[activation]


def check_load(path, kind, inputs_text, heads, save_logits):
    tensors = load_file(path)  # float32 tensors
    with safe_open(path, framework="pt") as f:
        metadata = f.metadata() or {}
    kind = kind.removeprefix("lm_")
    if kind in ("rnn", "lstm", "gru"):
        vocab, embed = tensors["embedding.weight"].shape
        gates = {"rnn": 1, "lstm": 4, "gru": 3}[kind]
        hidden = tensors["rnn.weight_hh_l0"].shape[1]
        layers = len([k for k in tensors if k.startswith("rnn.weight_ih_l")])
        assert tensors["rnn.weight_hh_l0"].shape[0] == gates * hidden, "rnn.weight_hh_l0 does not match the kind"
        model = RecurrentLM(kind, vocab, embed, hidden, layers)
    elif kind == "gpt":
        vocab, width = tensors["transformer.wte.weight"].shape
        block_size = tensors["transformer.wpe.weight"].shape[0]
        layers = len([k for k in tensors if k.endswith(".attn.c_attn.weight")])
        heads = int(metadata.get("heads", heads))
        model = GPT(vocab, width, layers, heads, block_size, approximate=gelu_of_checkpoint(path))
    else:
        sys.exit(f"unknown kind '{kind}'; use lm_rnn, lm_lstm, lm_gru or lm_gpt")
    model = model.float()
    model.load_state_dict(tensors, strict=True)
    model.eval()
    rows = [[int(v) for v in row.split(",")] for row in inputs_text.split(";")]
    ids = torch.tensor(rows, dtype=torch.int64)
    if int(ids.max()) >= vocab or int(ids.min()) < 0:
        sys.exit(f"--inputs holds ids outside 0..<{vocab}")
    with torch.no_grad():
        logits = model(ids)
    print(f"loaded {path} as {kind}: {len(tensors)} tensors, strict=True; inputs {list(ids.shape)}")
    print(f"logits {list(logits.shape)}")
    torch.set_printoptions(precision=7, sci_mode=False, linewidth=160)
    for b in range(logits.shape[0]):
        for t in range(logits.shape[1]):
            print(f"[{b},{t}] " + " ".join(f"{v:.7g}" for v in logits[b, t].tolist()))
    if save_logits:
        save_file({"inputs": ids, "logits": logits.contiguous()}, save_logits)
        print(f"saved logits to {save_logits}")


MAKERS = {
    "linear": lambda: make_linear(True, "linear"),
    "linear_nobias": lambda: make_linear(False, "linear_nobias"),
    "embedding": make_embedding,
    "layernorm": lambda: make_layernorm(True, "layernorm"),
    "layernorm_nobias": lambda: make_layernorm(False, "layernorm_nobias"),
    "rnn_tanh": lambda: make_recurrent("rnn_tanh"),
    "rnn_relu": lambda: make_recurrent("rnn_relu"),
    "lstm": lambda: make_recurrent("lstm"),
    "gru": lambda: make_recurrent("gru"),
    "causal_self_attention": make_attention,
    "block": make_block,
    "block_gelu": lambda: make_block("none"),
    "rope": make_rope,
    "sinusoidal": make_sinusoidal,
    "lm_rnn": lambda: make_lm_recurrent("rnn"),
    "lm_lstm": lambda: make_lm_recurrent("lstm"),
    "lm_gru": lambda: make_lm_recurrent("gru"),
    "lm_gpt": make_lm_gpt,
    "lm_gpt_gelu": lambda: make_lm_gpt("none"),
    "lm_gpt_tied": make_lm_gpt_tied,
    "safetensors": make_safetensors_fixtures,
}


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--only", nargs="+", choices=sorted(MAKERS), help="regenerate only these fixtures")
    parser.add_argument("--check-load", nargs=2, metavar=("FILE", "KIND"),
                        help="load FILE (lm_rnn, lm_lstm, lm_gru or lm_gpt) with strict=True and print logits")
    parser.add_argument("--inputs", default="1,2,3,4,5;6,7,8,9,10",
                        help="token ids for --check-load: rows separated by ';', ids by ','")
    parser.add_argument("--heads", type=int, default=HEADS, help="attention heads for lm_gpt when the file's "
                        "metadata has no 'heads' entry")
    parser.add_argument("--save-logits", metavar="PATH", help="also save inputs and logits of --check-load")
    parser.add_argument("--verify", action="store_true",
                        help="regenerate into a temporary directory and compare with the committed files")
    args = parser.parse_args()
    if args.check_load:
        check_load(args.check_load[0], args.check_load[1], args.inputs, args.heads, args.save_logits)
        return
    if args.verify:
        verify(args.only or list(MAKERS))
        return
    for name in args.only or MAKERS:
        MAKERS[name]()


def verify(names):
    """Regenerate `names` under a temporary root and report any file whose bytes differ from the committed one."""
    import tempfile

    global ROOT, NN_DIR, MODELS_DIR, TENSOR_DIR
    committed = {"nn": NN_DIR, "models": MODELS_DIR, "tensor": TENSOR_DIR}
    with tempfile.TemporaryDirectory() as tmp:
        ROOT = Path(tmp)
        NN_DIR, MODELS_DIR, TENSOR_DIR = ROOT / "nn", ROOT / "models", ROOT / "tensor"
        for name in names:
            MAKERS[name]()
        differ = []
        for key, directory in committed.items():
            for fresh in sorted((ROOT / key).glob("*.safetensors")):
                old = directory / fresh.name
                if not old.exists() or old.read_bytes() != fresh.read_bytes():
                    differ.append(str(old))
    if differ:
        sys.exit("differ from a fresh run: " + ", ".join(differ))
    print("all regenerated fixtures are byte-identical to the committed ones")


if __name__ == "__main__":
    main()
