#!/usr/bin/env python3
"""Regenerates the fixtures of the composable layers in Tests/SeqLayersTests/Fixtures (run by hand; `swift test`
never runs it).

    pip install torch==2.15.0 keras==3.15.1 safetensors
    python3 Tests/Fixtures/make_layer_fixtures.py

Writes:
  keras_layers.json          for each layer kind, the parameter count and output shape Keras 3 (torch backend)
                             gives for an input shape, with the layer's settings in SeqKit's spelling
  torch_layers.safetensors   Conv1D, max pooling and the losses computed by PyTorch: for a case `c`,
                             `c.input` (and `c.kernel`, `c.bias` in Keras's layout, `c.target` for losses),
                             `c.output`, `c.probe` and the gradients `c.grad.input` (`c.grad.kernel`, `c.grad.bias`)
                             of Σ output ⊙ probe (of the loss itself for losses)
"""
import json
import os

os.environ.setdefault("KERAS_BACKEND", "torch")

import keras  # noqa: E402
import torch  # noqa: E402
import torch.nn.functional as F  # noqa: E402
from safetensors.torch import save_file  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(os.path.dirname(HERE), "SeqLayersTests", "Fixtures")
EPS = 1e-7  # Keras's backend epsilon: probabilities are clipped to [EPS, 1 - EPS]


def keras_counts():
    """(SeqKit type, SeqKit settings, input shape, Keras layer builder) → Keras's parameter count and output shape."""
    L = keras.layers
    cases = [
        ("Dense", {"units": 16, "activation": "relu"}, [1], lambda: L.Dense(16, activation="relu")),
        ("Dense", {"units": 8, "useBias": False}, [5, 3], lambda: L.Dense(8, use_bias=False)),
        ("Dropout", {"rate": 0.2}, [12], lambda: L.Dropout(0.2)),
        ("Flatten", {}, [5, 3], lambda: L.Flatten()),
        ("LayerNormalization", {}, [10, 64], lambda: L.LayerNormalization()),
        ("Embedding", {"inputDim": 65, "outputDim": 32}, [40], lambda: L.Embedding(65, 32)),
        ("SimpleRNN", {"units": 32}, [40, 8], lambda: L.SimpleRNN(32)),
        ("SimpleRNN", {"units": 32, "returnSequences": True}, [40, 8], lambda: L.SimpleRNN(32, return_sequences=True)),
        ("LSTM", {"units": 64}, [40, 8], lambda: L.LSTM(64)),
        (
            "LSTM",
            {"units": 16, "returnSequences": True, "bidirectional": True},
            [20, 8],
            lambda: L.Bidirectional(L.LSTM(16, return_sequences=True)),
        ),
        ("GRU", {"units": 32}, [40, 8], lambda: L.GRU(32)),
        ("GRU", {"units": 8, "bidirectional": True}, [20, 5], lambda: L.Bidirectional(L.GRU(8))),
        (
            "Conv1D",
            {"filters": 32, "kernelSize": 5, "padding": "same", "activation": "relu"},
            [100, 16],
            lambda: L.Conv1D(32, 5, padding="same", activation="relu"),
        ),
        ("Conv1D", {"filters": 8, "kernelSize": 3, "strides": 2}, [11, 4], lambda: L.Conv1D(8, 3, strides=2)),
        ("MaxPooling1D", {"poolSize": 2}, [9, 4], lambda: L.MaxPooling1D(2)),
        (
            "MaxPooling1D",
            {"poolSize": 3, "strides": 2, "padding": "same"},
            [10, 4],
            lambda: L.MaxPooling1D(3, strides=2, padding="same"),
        ),
        ("GlobalAveragePooling1D", {}, [7, 5], lambda: L.GlobalAveragePooling1D()),
        ("GlobalMaxPooling1D", {}, [7, 5], lambda: L.GlobalMaxPooling1D()),
        ("MultiHeadAttention", {"heads": 4, "keyDim": 16}, [10, 64], None),
    ]
    out = []
    for kind, settings, shape, make in cases:
        x = keras.Input(shape=tuple(shape))
        if kind == "MultiHeadAttention":
            y = L.MultiHeadAttention(num_heads=4, key_dim=16)(x, x)
        else:
            y = make()(x)
        model = keras.Model(x, y)
        out.append(
            {
                "type": kind,
                "config": settings,
                "inputShape": shape,
                "params": int(model.count_params()),
                "outputShape": [int(d) for d in y.shape[1:]],
            }
        )
    # The introductory network of the issue: Dense 16 relu on one input → Dense 8 relu → Dense 1.
    intro = keras.Sequential([keras.Input(shape=(1,)), L.Dense(16, activation="relu"), L.Dense(8, activation="relu"), L.Dense(1)])
    return {"keras": keras.__version__, "layers": out, "introParams": int(intro.count_params())}


def same_pad(length, kernel, stride):
    """TensorFlow's `same`: ⌈T/s⌉ outputs, the smaller half of the padding first."""
    out = -(-length // stride)
    total = max((out - 1) * stride + kernel - length, 0)
    return total // 2, total - total // 2


def torch_cases(g):
    tensors = {}

    def put(prefix, **named):
        for k, v in named.items():
            tensors[f"{prefix}.{k}"] = v.detach().float().clone().contiguous()

    for name, b, t, c, f, k, s, padding in [
        ("conv_valid", 2, 9, 3, 4, 3, 1, "valid"),
        ("conv_same_even", 2, 9, 3, 4, 4, 1, "same"),
        ("conv_same_s2", 2, 10, 3, 5, 3, 2, "same"),
        ("conv_valid_s2", 2, 11, 2, 3, 5, 2, "valid"),
    ]:
        x = torch.randn(b, t, c, generator=g, requires_grad=True)
        kernel = torch.randn(k, c, f, generator=g).mul_(0.3).requires_grad_()  # Keras layout (K, C, F)
        bias = torch.randn(f, generator=g).mul_(0.1).requires_grad_()
        xt = x.transpose(1, 2)  # (B, C, T)
        if padding == "same":
            xt = F.pad(xt, same_pad(t, k, s))
        y = F.conv1d(xt, kernel.permute(2, 1, 0), bias, stride=s).transpose(1, 2)  # (B, T_out, F)
        probe = torch.randn(y.shape, generator=g)
        (y * probe).sum().backward()
        put(name, input=x, kernel=kernel, bias=bias, output=y, probe=probe)
        put(name, **{"grad.input": x.grad, "grad.kernel": kernel.grad, "grad.bias": bias.grad})

    for name, b, t, c, size, s, padding in [
        ("pool_valid", 2, 9, 4, 2, 2, "valid"),
        ("pool_same", 2, 10, 4, 3, 2, "same"),
        ("pool_global", 3, 7, 5, 7, 7, "valid"),
    ]:
        x = torch.randn(b, t, c, generator=g, requires_grad=True)
        xt = x.transpose(1, 2)
        if padding == "same":
            xt = F.pad(xt, same_pad(t, size, s), value=float("-inf"))
        y = F.max_pool1d(xt, size, stride=s).transpose(1, 2)
        probe = torch.randn(y.shape, generator=g)
        (y * probe).sum().backward()
        put(name, input=x, output=y, probe=probe)
        put(name, **{"grad.input": x.grad})

    n, k = 6, 5
    def loss_case(name, p, target, loss_fn):
        p = p.detach().requires_grad_()
        loss = loss_fn(p, target)
        loss.backward()
        put(name, input=p, target=target, output=loss.reshape([1]))
        put(name, **{"grad.input": p.grad})

    pred = torch.randn(n, 3, generator=g)
    target = torch.randn(n, 3, generator=g)
    loss_case("loss_mse", pred, target, F.mse_loss)
    loss_case("loss_mae", pred, target, F.l1_loss)
    probs = torch.rand(n, 3, generator=g) * 0.9 + 0.05
    labels = (torch.rand(n, 3, generator=g) > 0.5).float()
    loss_case("loss_bce", probs, labels, F.binary_cross_entropy)
    logits = torch.randn(n, 3, generator=g) * 3
    loss_case("loss_bce_logits", logits, labels, F.binary_cross_entropy_with_logits)
    # Keras's categorical cross-entropy from probabilities: rows divided by their sums, clipped, −Σ y log q.
    def keras_cce(p, y):
        q = (p / p.sum(dim=-1, keepdim=True)).clamp(EPS, 1 - EPS)
        return -(y * q.log()).sum(dim=-1).mean()
    unnormalized = torch.rand(n, k, generator=g) + 0.05
    soft = torch.softmax(torch.randn(n, k, generator=g), dim=-1)
    loss_case("loss_cce", unnormalized, soft, keras_cce)
    class_logits = torch.randn(n, k, generator=g) * 2
    loss_case("loss_cce_logits", class_logits, soft, lambda x, y: F.cross_entropy(x, y))
    ids = torch.randint(0, k, (n,), generator=g)
    p = class_logits.detach().requires_grad_()
    loss = F.cross_entropy(p, ids)
    loss.backward()
    put("loss_sparse_logits", input=p, target=ids.float(), output=loss.reshape([1]))
    put("loss_sparse_logits", **{"grad.input": p.grad})
    return tensors


def main():
    os.makedirs(OUT, exist_ok=True)
    counts = keras_counts()
    with open(os.path.join(OUT, "keras_layers.json"), "w") as f:
        json.dump(counts, f, indent=1, sort_keys=True)
        f.write("\n")
    g = torch.Generator().manual_seed(20261205)
    save_file(
        torch_cases(g),
        os.path.join(OUT, "torch_layers.safetensors"),
        metadata={"source": "make_layer_fixtures.py", "torch": torch.__version__},
    )
    print(f"wrote {OUT}/keras_layers.json ({len(counts['layers'])} layers) and torch_layers.safetensors")


if __name__ == "__main__":
    main()
