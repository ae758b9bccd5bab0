#!/usr/bin/env python3
"""Epochs per second of `fit`: SeqKit's Model.fit next to Keras 3 (TensorFlow backend) and PyTorch, in one run, on
the same machine, same shapes, same threads.

    pip install torch keras==3.15.1 tensorflow-cpu==2.21.0
    swift build -c release --product fitbench
    python3 Benchmarks/compare-fit.py [--rounds 2] [--threads 2] [--epochs-intro 30] [--epochs-text 2]

Workloads (Benchmarks/fitbench/main.swift has the SeqKit side):
  intro  the 177-parameter network (Dense 16 relu → Dense 8 relu → Dense 1) on 1,000 points of y = x², Adam 1e-2,
         MSE, batch 32, 20% validation evaluated every epoch
  text   Embedding(2000, 32) → LSTM(32) → Dense(1, sigmoid) on 2,000 sequences of 64 random ids, Adam 1e-3,
         binary cross-entropy, batch 32, 10% validation every epoch
Each side runs in its own process: one warm-up epoch, then the timed epochs. The sides alternate, `--rounds`
times; the best epochs/s of each is reported with the ratio SeqKit / other (above 1: SeqKit is faster).
"""
import argparse
import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

COMMON = r"""
import sys, time
import numpy as np
workload, epochs, threads = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
rng = np.random.default_rng(1)
if workload == "intro":
    x = (rng.random((1000, 1)) * 2 - 1).astype("float32"); y = x * x; split = 0.2
else:
    x = rng.integers(0, 2000, (2000, 64)).astype("int64"); y = rng.integers(0, 2, (2000, 1)).astype("float32"); split = 0.1
"""

KERAS_SIDE = COMMON + r"""
import tensorflow as tf
tf.config.threading.set_intra_op_parallelism_threads(threads)
tf.config.threading.set_inter_op_parallelism_threads(threads)
import keras
keras.utils.set_random_seed(1)
L = keras.layers
if workload == "intro":
    model = keras.Sequential([keras.Input((1,)), L.Dense(16, activation="relu"), L.Dense(8, activation="relu"), L.Dense(1)])
    model.compile(optimizer=keras.optimizers.Adam(0.01), loss="mse")
else:
    model = keras.Sequential([keras.Input((64,)), L.Embedding(2000, 32), L.LSTM(32), L.Dense(1, activation="sigmoid")])
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="binary_crossentropy")
model.fit(x, y, epochs=1, batch_size=32, validation_split=split, verbose=0)
start = time.perf_counter()
history = model.fit(x, y, epochs=epochs, batch_size=32, validation_split=split, verbose=0)
seconds = time.perf_counter() - start
print(f"side=keras seconds={seconds:.3f} epochs_per_second={epochs / seconds:.3f} final_loss={history.history['loss'][-1]:.5f}")
"""

TORCH_SIDE = COMMON + r"""
import torch
import torch.nn as nn
torch.set_num_threads(threads)
torch.manual_seed(1)
class Text(nn.Module):
    def __init__(self):
        super().__init__()
        self.embedding, self.lstm, self.dense = nn.Embedding(2000, 32), nn.LSTM(32, 32, batch_first=True), nn.Linear(32, 1)
    def forward(self, ids):
        _, (h, _) = self.lstm(self.embedding(ids))
        return torch.sigmoid(self.dense(h[-1]))
if workload == "intro":
    model = nn.Sequential(nn.Linear(1, 16), nn.ReLU(), nn.Linear(16, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer, loss_fn = torch.optim.Adam(model.parameters(), 0.01), nn.MSELoss()
else:
    model = Text()
    optimizer, loss_fn = torch.optim.Adam(model.parameters(), 1e-3), nn.BCELoss()
xt, yt = torch.from_numpy(x), torch.from_numpy(y)
n_val = int(len(xt) * split)
xtr, ytr, xva, yva = xt[:-n_val], yt[:-n_val], xt[-n_val:], yt[-n_val:]
def fit(epochs):
    for _ in range(epochs):
        model.train()
        order = torch.randperm(len(xtr))
        total = 0.0
        for i in range(0, len(order), 32):
            idx = order[i:i + 32]
            optimizer.zero_grad()
            loss = loss_fn(model(xtr[idx]), ytr[idx])
            loss.backward()
            optimizer.step()
            total += loss.item() * len(idx)
        model.eval()
        with torch.no_grad():
            for i in range(0, len(xva), 32):
                loss_fn(model(xva[i:i + 32]), yva[i:i + 32]).item()
    return total / len(xtr)
fit(1)
start = time.perf_counter()
final = fit(epochs)
seconds = time.perf_counter() - start
print(f"side=pytorch seconds={seconds:.3f} epochs_per_second={epochs / seconds:.3f} final_loss={final:.5f}")
"""


def run(command, env):
    out = subprocess.run(command, capture_output=True, text=True, env=env)
    if out.returncode != 0:
        sys.exit(f"{command[0]} failed:\n{out.stderr[-2000:]}")
    line = [l for l in out.stdout.splitlines() if "epochs_per_second=" in l][-1]
    return float(re.search(r"epochs_per_second=([0-9.]+)", line).group(1)), line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--epochs-intro", type=int, default=30)
    parser.add_argument("--epochs-text", type=int, default=2)
    args = parser.parse_args()
    binary = ROOT / ".build" / "release" / "fitbench"
    if not binary.exists():
        sys.exit("build it first: swift build -c release --product fitbench")
    env = dict(os.environ, SEQKIT_THREADS=str(args.threads), OMP_NUM_THREADS=str(args.threads),
               KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="3")
    with open("/proc/loadavg") as f:
        print("load before:", f.read().split()[:3])
    results = {}
    for workload, epochs in (("intro", args.epochs_intro), ("text", args.epochs_text)):
        best = {"seqkit": 0.0, "keras": 0.0, "pytorch": 0.0}
        for _ in range(args.rounds):
            for side in best:
                if side == "seqkit":
                    command = [str(binary), workload, str(epochs)]
                else:
                    code = KERAS_SIDE if side == "keras" else TORCH_SIDE
                    command = [sys.executable, "-c", code, workload, str(epochs), str(args.threads)]
                rate, line = run(command, env)
                print(f"{workload:5} {side:8} {line}")
                best[side] = max(best[side], rate)
        results[workload] = best
    with open("/proc/loadavg") as f:
        print("load after:", f.read().split()[:3])
    print(f"\n| workload | SeqKit epochs/s | Keras 3 (TF) epochs/s | PyTorch epochs/s | SeqKit/Keras | SeqKit/PyTorch |")
    print("| --- | --- | --- | --- | --- | --- |")
    for workload, best in results.items():
        print(f"| {workload} | {best['seqkit']:.2f} | {best['keras']:.2f} | {best['pytorch']:.2f} | "
              f"{best['seqkit'] / best['keras']:.2f}× | {best['seqkit'] / best['pytorch']:.2f}× |")


if __name__ == "__main__":
    main()
