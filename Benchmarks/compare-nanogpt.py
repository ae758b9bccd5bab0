#!/usr/bin/env python3
"""End to end against nanoGPT: `seqtrain --config Configs/tiny-gpt.json` and nanoGPT's own `train.py` on the same
text with the same settings, one after the other on this machine, reported with wall time and validation loss.

This is a user's real comparison: both tools read the text, tokenize it, train 2000 steps with evaluations and
checkpoints, and report a validation loss. Nothing of nanoGPT is part of SeqKit; bring your own clone at the pinned
commit (`train.py` and `model.py` are checked by SHA-256 before anything runs):

    git clone https://github.com/karpathy/nanoGPT Benchmarks/.nanogpt   # gitignored
    git -C Benchmarks/.nanogpt checkout 3adf61e154c3fe3fca428ad6bc3818b27a3b8291
    pip install torch numpy requests            # nanoGPT's own needs (prepare.py imports requests)
    python3 Benchmarks/compare-nanogpt.py [--corpus FILE] [--rounds 1] [--json out.json]

What runs, with `--config` (Configs/tiny-gpt.json) and `--corpus` (Corpora/shakespeare.txt; nanoGPT's own
`shakespeare_char` is the 1.1 MB tinyshakespeare text, pass that file to compare on it):

- SeqKit: `.build/release/seqtrain --config CONFIG --set data.corpus=[CORPUS] --threads T --out TMP` with an empty
  tokenizer cache, so its wall time includes reading and tokenizing the text.
- nanoGPT: a copy of the clone in a temporary folder (the clone is never written), the corpus as
  `data/shakespeare_char/input.txt`, `python prepare.py` (timed separately: it is nanoGPT's tokenization, a step
  before `train.py`), then `python train.py config/train_shakespeare_char.py` with the overrides that make it the
  config's model and schedule -- nanoGPT's README gives most of them for a CPU run: block_size, batch_size,
  n_layer, n_head, n_embd, dropout, bias, learning_rate, min_lr, warmup_iters, beta1, beta2, weight_decay,
  grad_clip, max_iters = lr_decay_iters = maxSteps, eval_interval, log_interval, and device=cpu compile=False
  dtype=float32. eval_iters = ceil(evalWindows / batch_size), so each validation estimate averages about as many
  windows as SeqKit's (200 windows: 17 batches of 12).
- Threads: T (`--threads`, 2) for both: SEQKIT_THREADS / --threads, and OMP_NUM_THREADS for PyTorch (nanoGPT does not
  set a thread count). PyTorch keeps its default OpenMP wait policy.

Differences that stay (each tool as a user runs it): nanoGPT runs maxSteps + 1 optimizer steps (0 to maxSteps
inclusive) and estimates the training loss as well as the validation loss at every evaluation, which costs it about
as much again as its validation estimate; SeqKit draws a 64-character sample at every evaluation and writes a
checkpoint every checkpointInterval steps, nanoGPT writes one when the validation loss improves. The validation
text is the last 10% of the corpus on both sides (nanoGPT splits characters at int(0.9 n), SeqKit tokens at the
same point).

Reported per round: wall seconds of each training process (process start to exit), the last and the best
validation loss each printed, peak RSS of each process, and the ratio nanoGPT / SeqKit wall time (above 1: SeqKit
is faster). Rounds alternate which tool goes first.

Each tool's printed loss is an estimate over about 200 random windows (standard error about 0.02). So the script
also scores both final models the same way, after the timing: each side's best checkpoint (SeqKit's `best/`,
nanoGPT's `ckpt.pt`, both kept for the lowest estimate) loaded into nanoGPT's own `GPT` class (SeqKit writes
nanoGPT's parameter names), on every non-overlapping window of the validation text, every position counted:
"full validation loss".
"""
import argparse
import hashlib
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PINNED_COMMIT = "3adf61e154c3fe3fca428ad6bc3818b27a3b8291"
PINNED_FILES = {
    "train.py": "413bd97b40bb400a2a0d01230e2946f056c263ebac1b7281c2367d964a123085",
    "model.py": "7c01703240dbec5d554527dc666e35b3df8391d0b117fddc07afcf325a21d11c",
}


def fail(message):
    sys.exit(f"compare-nanogpt: error: {message}")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def check_clone(folder):
    """The clone must be nanoGPT at the pinned commit: its train.py and model.py byte for byte."""
    for name, expected in PINNED_FILES.items():
        path = os.path.join(folder, name)
        if not os.path.exists(path):
            fail(f"{path} does not exist; clone nanoGPT there (`git clone https://github.com/karpathy/nanoGPT "
                 f"{folder}` and `git -C {folder} checkout {PINNED_COMMIT}`) or pass --nanogpt DIR")
        if sha256(path) != expected:
            fail(f"{path} is not the file of nanoGPT commit {PINNED_COMMIT[:8]} (SHA-256 differs); "
                 f"run `git -C {folder} checkout {PINNED_COMMIT}`")


def run(command, env, cwd, log_path):
    """Runs `command`, its output to `log_path`; returns (wall seconds, peak RSS MiB, output text)."""
    with open(log_path, "w") as log:
        start = time.perf_counter()
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=log, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - start
    process.returncode = os.waitstatus_to_exitcode(status)
    with open(log_path, encoding="utf-8", errors="replace") as f:
        text = f.read()
    if process.returncode != 0:
        tail = "\n".join(text.splitlines()[-15:])
        fail(f"{' '.join(command[:3])} ... exited with {process.returncode}; its last lines:\n{tail}")
    return seconds, usage.ru_maxrss / 1024, text


def nanogpt_overrides(config, steps, out_dir):
    model, training = config["model"], config["training"]
    optimizer, schedule = config.get("optimizer", {}), config.get("schedule", {})
    if model.get("kind", "transformer") != "transformer" or model.get("positional", "learned") != "learned" \
            or not model.get("tieWeights", True) or model.get("activation", "gelu") != "gelu" \
            or model.get("mlpRatio", 4) != 4 or training.get("gradientAccumulation", 1) != 1 \
            or optimizer.get("kind", "adamw") != "adamw" or schedule.get("kind", "cosine") != "cosine":
        fail("--config must describe nanoGPT's model and schedule (a transformer with learned positions, tied "
             "head, exact GELU, MLP x4, AdamW, cosine schedule, no gradient accumulation): use Configs/tiny-gpt.json")
    batch = training.get("batchSize", 12)
    values = {
        "out_dir": out_dir, "device": "cpu", "compile": False, "dtype": "float32",
        "block_size": model.get("contextLength", 64), "batch_size": batch, "n_layer": model.get("layers", 4),
        "n_head": model.get("heads", 4), "n_embd": model.get("embeddingSize", 128), "dropout": float(model.get("dropout", 0.0)),
        "bias": bool(model.get("bias", True)),  # SeqKit's default
        "learning_rate": optimizer.get("learningRate", 1e-3), "min_lr": schedule.get("minLearningRate", 1e-4),
        "warmup_iters": schedule.get("warmupSteps", 100), "beta1": optimizer.get("beta1", 0.9),
        "beta2": optimizer.get("beta2", 0.999), "weight_decay": optimizer.get("weightDecay", 0.1),
        "grad_clip": training.get("clipNorm", 1.0), "max_iters": steps, "lr_decay_iters": steps,
        "eval_interval": training.get("evalInterval", 250),
        "eval_iters": math.ceil(training.get("evalWindows", 200) / batch),
        "log_interval": training.get("logInterval", 10),
    }
    return [f"--{k}={v}" for k, v in values.items()]


def nanogpt_losses(text):
    """Every `step N: train loss A, val loss B` line nanoGPT printed, as (step, val loss)."""
    return [(int(s), float(v)) for s, v in re.findall(r"step (\d+): train loss [\d.]+, val loss ([\d.]+)", text)]


def seqkit_losses(run_dir):
    losses = []
    with open(os.path.join(run_dir, "metrics.jsonl")) as f:
        for line in f:
            record = json.loads(line)
            if record.get("valLoss") is not None:
                losses.append((record["step"], record["valLoss"]))
    return losses


def full_validation_losses(copy, corpus_text, seqkit_run, nanogpt_out, context):
    """Both best models in nanoGPT's `GPT` on every non-overlapping `context`-token window of the validation text
    (the characters from int(0.9 n) on, nanoGPT's split), as the mean cross-entropy over every position."""
    import pickle

    import torch
    from safetensors.torch import load_file

    sys.path.insert(0, copy)
    from model import GPT, GPTConfig  # nanoGPT's model.py, from the private copy

    validation = corpus_text[int(len(corpus_text) * 0.9):]

    def score(model, ids):
        model.eval()
        data = torch.tensor(ids, dtype=torch.long)
        starts = range(0, len(ids) - context - 1, context)
        total, count = 0.0, 0
        with torch.no_grad():
            batch = list(starts)
            for i in range(0, len(batch), 64):
                part = batch[i:i + 64]
                x = torch.stack([data[j:j + context] for j in part])
                y = torch.stack([data[j + 1:j + 1 + context] for j in part])
                _, loss = model(x, y)
                total += loss.item() * y.numel()
                count += y.numel()
        return total / count

    if not os.path.exists(os.path.join(nanogpt_out, "ckpt.pt")):
        return None  # nanoGPT saves only at an evaluation after step 0 that improved
    with open(os.path.join(copy, "data", "shakespeare_char", "meta.pkl"), "rb") as f:
        stoi = pickle.load(f)["stoi"]
    checkpoint = torch.load(os.path.join(nanogpt_out, "ckpt.pt"), map_location="cpu", weights_only=False)
    theirs = GPT(GPTConfig(**checkpoint["model_args"]))
    theirs.load_state_dict({k.removeprefix("_orig_mod."): v for k, v in checkpoint["model"].items()})
    nanogpt_loss = score(theirs, [stoi[c] for c in validation])

    with open(os.path.join(seqkit_run, "best", "tokenizer.json")) as f:
        vocab = json.load(f)["model"]["vocab"]
    index = {token: i for i, token in enumerate(vocab)}
    tensors = load_file(os.path.join(seqkit_run, "best", "model.safetensors"))
    args = dict(checkpoint["model_args"], vocab_size=len(vocab))
    mine = GPT(GPTConfig(**args))
    missing, unexpected = mine.load_state_dict(tensors, strict=False)
    if missing or unexpected:
        fail(f"SeqKit's weights do not fit nanoGPT's GPT (missing {missing}, unexpected {unexpected})")
    seqkit_loss = score(mine, [index.get(c, 0) for c in validation])
    return seqkit_loss, nanogpt_loss


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--nanogpt", default=os.environ.get("NANOGPT_DIR", os.path.join(ROOT, "Benchmarks",
                                                                                        ".nanogpt")),
                        help="a clone of nanoGPT at the pinned commit (default Benchmarks/.nanogpt or $NANOGPT_DIR)")
    parser.add_argument("--config", default=os.path.join(ROOT, "Configs", "tiny-gpt.json"))
    parser.add_argument("--corpus", default=os.path.join(ROOT, "Corpora", "shakespeare.txt"),
                        help="the text both train on (default Corpora/shakespeare.txt)")
    parser.add_argument("--steps", type=int, default=0, help="training steps (default: the config's maxSteps)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=1, help="runs of each tool, alternating which goes first")
    parser.add_argument("--skip-build", action="store_true", help="use the existing .build/release/seqtrain")
    parser.add_argument("--json", help="also write the measurements as JSON to this file")
    args = parser.parse_args()
    if args.threads < 1 or args.rounds < 1 or args.steps < 0:
        parser.error("--threads and --rounds must be at least 1, --steps 0 or more")
    nanogpt = os.path.abspath(args.nanogpt)
    check_clone(nanogpt)
    try:
        with open(args.config) as f:
            config = json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        fail(f"cannot read {args.config} as JSON ({error}); pass a config from Configs/")
    if not os.path.isfile(args.corpus) or os.path.getsize(args.corpus) == 0:
        fail(f"{args.corpus} is missing or empty; run Corpora/fetch-shakespeare.sh or pass --corpus FILE")
    if not isinstance(config, dict):
        fail(f"{args.config} is not a JSON object; pass a config from Configs/")
    config.setdefault("model", {})
    config.setdefault("training", {})
    context = config["model"].get("contextLength", 64)
    steps = args.steps or config["training"].get("maxSteps", 2000)
    binary = os.path.join(ROOT, ".build", "release", "seqtrain")
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "seqtrain"], cwd=ROOT, check=True)
    if not os.path.exists(binary):
        fail(f"{binary} does not exist; build it with `swift build -c release --product seqtrain`")

    work = tempfile.mkdtemp(prefix="compare-nanogpt-")
    corpus = os.path.abspath(args.corpus)
    rounds = []
    load_before = os.getloadavg()
    try:
        # nanoGPT's side is prepared once: a private copy of the clone, the corpus as its input.txt, prepare.py.
        copy = os.path.join(work, "nanogpt")
        shutil.copytree(nanogpt, copy, ignore=shutil.ignore_patterns(".git", "out*", "*.bin", "*.pkl",
                                                                     "input.txt", "assets"))
        data = os.path.join(copy, "data", "shakespeare_char")
        shutil.copyfile(corpus, os.path.join(data, "input.txt"))
        torch_env = dict(os.environ, OMP_NUM_THREADS=str(args.threads))
        prepare_seconds, _, _ = run([sys.executable, "prepare.py"], torch_env, data, os.path.join(work, "prepare.log"))

        for index in range(args.rounds):
            record = {"round": index + 1}
            order = ["seqkit", "nanogpt"] if index % 2 == 0 else ["nanogpt", "seqkit"]
            for side in order:
                if side == "seqkit":
                    out = os.path.join(work, f"seqkit-{index}")
                    env = dict(os.environ, SEQKIT_THREADS=str(args.threads),
                               XDG_CACHE_HOME=os.path.join(work, f"cache-{index}"))
                    command = [binary, "--config", os.path.abspath(args.config), "--set",
                               "data.corpus=" + json.dumps([corpus]), "--max-steps", str(steps),
                               "--threads", str(args.threads), "--out", out]
                    seconds, rss, _ = run(command, env, ROOT, os.path.join(work, f"seqkit-{index}.log"))
                    losses = seqkit_losses(out)
                else:
                    out = os.path.join(work, f"nanogpt-out-{index}")
                    command = [sys.executable, "train.py", "config/train_shakespeare_char.py"] + \
                        nanogpt_overrides(config, steps, out)
                    seconds, rss, text = run(command, torch_env, copy, os.path.join(work, f"nanogpt-{index}.log"))
                    losses = nanogpt_losses(text)
                if not losses:
                    fail(f"{side} reported no validation loss; pass --steps of at least 1")
                record[side] = {"seconds": seconds, "peak_rss_mib": rss, "val_loss": losses[-1][1],
                                "best_val_loss": min(v for _, v in losses), "evaluations": losses}
                print(f"round {index + 1}: {side:<8} {seconds:8.1f} s  validation loss {losses[-1][1]:.4f} "
                      f"(best {record[side]['best_val_loss']:.4f})  peak RSS {rss:.0f} MiB", flush=True)
            record["ratio"] = record["nanogpt"]["seconds"] / record["seqkit"]["seconds"]
            rounds.append(record)
        with open(corpus, encoding="utf-8") as f:
            text = f.read()
        full = full_validation_losses(copy, text, os.path.join(work, "seqkit-0"), os.path.join(work, "nanogpt-out-0"),
                                      context)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    load_after = os.getloadavg()

    import torch  # only for its version string; both sides ran in their own processes

    print(f"\nseqtrain --config {os.path.relpath(args.config, ROOT)} against nanoGPT {PINNED_COMMIT[:8]} train.py "
          f"(PyTorch {torch.__version__}), {steps} steps, {args.threads} threads each, corpus "
          f"{os.path.basename(corpus)} ({os.path.getsize(corpus):,} bytes); load average {load_before[0]:.2f} "
          f"before, {load_after[0]:.2f} after; nanoGPT's prepare.py took {prepare_seconds:.1f} s (not counted)")
    print("| round | SeqKit s | nanoGPT s | nanoGPT / SeqKit | SeqKit val loss (best) | nanoGPT val loss (best) "
          "| peak RSS SeqKit / nanoGPT MiB |")
    print("|---|---:|---:|---:|---|---|---|")
    for r in rounds:
        s, n = r["seqkit"], r["nanogpt"]
        print(f"| {r['round']} | {s['seconds']:.1f} | {n['seconds']:.1f} | {r['ratio']:.2f}× | "
              f"{s['val_loss']:.4f} ({s['best_val_loss']:.4f}) | {n['val_loss']:.4f} ({n['best_val_loss']:.4f}) | "
              f"{s['peak_rss_mib']:.0f} / {n['peak_rss_mib']:.0f} |")
    if full:
        print(f"full validation loss of the first round's best models, every {context}-"
              f"token window of the last 10%, in nanoGPT's GPT: SeqKit {full[0]:.4f}, nanoGPT {full[1]:.4f}")
    else:
        print("full validation loss: skipped, nanoGPT wrote no checkpoint (it saves at evaluations after step 0)")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"config": args.config, "corpus": corpus, "steps": steps, "threads": args.threads,
                       "torch": torch.__version__, "nanogpt_commit": PINNED_COMMIT,
                       "prepare_seconds": prepare_seconds, "load_average_before": load_before,
                       "load_average_after": load_after, "rounds": rounds,
                       "full_validation_loss": {"seqkit": full[0], "nanogpt": full[1]} if full else None}, f, indent=2)
    return 0


if __name__ == "__main__":
    sys.exit(main())
