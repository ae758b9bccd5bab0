#!/usr/bin/env python3
"""SeqKit against PyTorch eager, side by side on this machine: training, sampling, embedding, peak memory, MFU,
sentence embeddings with the pretrained all-MiniLM-L6-v2, and data-parallel training on 2 ranks.

Install the Python side once:

    pip install torch safetensors numpy          # and sentence-transformers for the minilm workload

Run (or `make bench`, which builds seqbench in release first):

    python3 Benchmarks/compare-pytorch.py [--rounds 3] [--threads 2] [--only tiny-gpt,char-lstm] [--json out.json]
        [--workloads peak,train,sample,embed,minilm,mpi]

What it does
------------
For each config in Configs/ (tiny-gpt, char-lstm, char-rnn, char-gru, gpt-10m by default) it builds the same model
twice: SeqKit's (`seqbench`, the release binary) and the PyTorch twin below, with the names and sizes of the config's
model section: a nanoGPT GPT (no biases, tied wte/lm_head, learned positions, pre-LN blocks, MLP 4x wide with the
config's GELU -- model.activation "gelu": F.gelu(x), "gelu_tanh": F.gelu(x, approximate="tanh") --, fused causal
attention, the config's dropout), or embedding -> nn.LSTM / nn.GRU / nn.RNN stack (batch_first, the
config's layers and width) -> head tied to the embedding with its own bias, as SeqKit's RecurrentLM.

- training: the config's batch and context on uniformly random tokens (vocabulary 65); each step is zero_grad,
  forward, cross-entropy, backward, global-norm clip to the config's clipNorm, AdamW with the config's lr (its warmup
  and cosine schedule), betas, eps and weight decay (decayed: matrices except the embedding tables, as SeqKit's
  Optimizer). Recurrent models carry their detached state from one window to the next, as the trainer does.
  `--warmup` untimed steps (3), then steps until `--seconds` (5) have passed and at least 3 were timed:
  tokens/s = timed steps x batch x context / wall seconds.
- peak RSS: VmHWM of /proc/self/status at the end of that same training run, each side in a process of its own
  (PyTorch's includes the interpreter and `import torch`: it is what a user of either pays).
- sampling (tiny-gpt, char-lstm): batch 1, 255 new tokens after a 1-token prompt, categorical at temperature 1;
  the GPT decodes with a KV cache and, at a full window, keeps its last half and re-encodes it from position 0 as
  SeqKit's TransformerDecoder does; recurrent models carry (h, c). Median of `--runs` (5) after one untimed.
- embedding (tiny-gpt trunk, batch 1 and 32): final hidden states of 64-token random sentences without gradients
  (torch.inference_mode / SeqKit's withoutGradients), mean-pooled over the tokens; sentences/s.
- MFU: model FLOPs per second / the machine's sgemm peak. FLOPs are counted analytically, the same formula on both
  sides (Benchmarks/seqbench/Record.swift computes it too, and the script checks the two agree):
    transformer (nanoGPT's estimate_mfu), per token: 6*N + 12*L*C*T, with N the parameters without the position
      table (the tied wte counts once, as the head's matrix), L layers, C width, T context; the 12*L*C*T term is
      q.k^T and att.v over the full window, forward and backward.
    recurrent, per token: 6 * (sum over layers of G*H*(in + H) + V*H), G = 1 (rnn), 3 (gru), 4 (lstm) gate blocks:
      the input projection and the recurrent product of every layer plus the head; 6 = 2 (multiply-add) x 3
      (forward, backward to the inputs, backward to the weights).
    per step: per-token FLOPs x batch x context.
  The peak: each round measures one square 2048^3 sgemm at `--threads` with SeqKit's OpenBLAS (`seqbench peak`,
  cblas_sgemm) and with torch.mm (PyTorch's own BLAS); the denominator for BOTH sides is the larger of the two
  medians, so neither side's MFU is flattered by a slower BLAS.
- minilm (all-MiniLM-L6-v2, batch 1 and 32; needs Models/all-MiniLM-L6-v2 from `bash Models/fetch-minilm.sh`,
  `pip install sentence-transformers`, and .build/release/minilmbench): `--sentences` (256) seeded sentences of 10
  to 60 words in a temporary file, the same for both sides; text in, normalized vectors out, tokenization included.
  SeqKit: `minilmbench FOLDER FILE BATCH 3` (SentenceEncoder.embed), its key=value line parsed. PyTorch:
  SentenceTransformer(folder, device="cpu").encode(..., batch_size=B, normalize_embeddings=True). Both sides make
  one untimed call on the first batch, then time 3 passes over all sentences and keep the best; sentences/s =
  sentences / best pass. Peak RSS is each process's high-water mark (minilmbench: getrusage ru_maxrss; PyTorch:
  VmHWM); the table's row takes each side's larger median over the two batches. Not equal: Hugging Face's
  tokenizers run on their own thread pool, outside torch.set_num_threads. Parameters (the float tensors of
  model.safetensors against the SentenceTransformer's) must agree.
- mpi (data-parallel; tiny-gpt and char-lstm, other configs only when --only names them; needs mpirun and the
  MPI build .build/mpi/release/seqtrain from `make release-mpi`, and Corpora/shakespeare.txt): the config's model
  and global batch, `--mpi-steps` (60) steps per run, two shapes: 2 ranks x 1 thread and 1 process x 2 threads.
    SeqKit: `mpirun -np R seqtrain --threads T` (--bind-to core for 1 thread, none for 2) on Shakespeare with
      batchSize = global batch / R, logInterval 10, no eval and no checkpoints; the rate is (tokens between the
      first and the last metrics.jsonl records) / (their `elapsed` difference), as Benchmarks/compare-mpi.sh
      computes it: the steps after the first record (at step 10) to the last, timed on rank 0's clock.
    PyTorch: R processes of the `train` step above (random tokens, AdamW, clip) on global batch / R rows each;
      with R = 2 the model is in DistributedDataParallel over gloo, MASTER_ADDR=127.0.0.1 (loopback only),
      torch.set_num_threads(1), each rank pinned to one core; 10 untimed steps, a barrier, the remaining steps,
      a barrier: rate = timed steps x global batch x context / rank 0's wall seconds.
  So both sides skip the same 10 steps and time the same number of steps on the same batch. Where they differ:
  SeqKit's window includes its data loader (corpus windows) and a metrics record every 10 steps, PyTorch's the
  torch.randint of its random batch; SeqKit's learning rate warms up over 5 steps (schedule.warmupSteps=5, as
  compare-mpi.sh), PyTorch's follows the config (speed does not depend on it). The `1 proc x2` row is measured this
  way too, so it is not the `train` row (seqbench, a `--seconds` window). scaling = 2-rank tokens/s / 1-process
  tokens/s, per side. `--threads` does not apply to mpi.

Same model check: before timing, SeqKit samples `--tokens` tokens from each config's model (`seqbench sample
--save-weights`), and the PyTorch twin loads those weights and rescores the sample; the two total log-probabilities
must agree to 1e-3 (relative), or the script reports the config and exits 1 (`--no-check` skips this).

Threads: `--threads` (2) for both: torch.set_num_threads for PyTorch, SEQKIT_THREADS and --threads for SeqKit.
PyTorch's CPU wheels run their parallel regions on OpenMP, whose threads spin while waiting for work; on a machine
that other processes also load, the spinning threads steal the cores from each other and PyTorch slows down 10-20x
(measured here: char-lstm sampling 37 tokens/s with spinning threads, 590 with sleeping ones, at a load average of
7 on 2 cores). So the PyTorch workers run with OMP_WAIT_POLICY=PASSIVE by default, which protects PyTorch's figures
from other load (`--omp-wait-policy default` keeps the library's own behaviour, best on an idle machine).
Rounds: each round runs every workload once per side, alternating which side goes first, so both see the same
machine load; the table shows medians over `--rounds` (3) and SeqKit / PyTorch ratios (above 1 = SeqKit faster;
for memory, below 1 = SeqKit smaller), and the floors the performance issue sets.

Internal: `--worker KIND --config FILE` runs one PyTorch workload in this process and prints its JSON record;
`--worker seqkit-minilm`, `seqkit-mpi` and `ddp` run minilmbench, mpirun seqtrain and the DDP ranks as child
processes and print the same record.
"""
import argparse
import json
import math
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_CONFIGS = "tiny-gpt,char-lstm,char-rnn,char-gru,gpt-10m"
SAMPLE_CONFIGS = ("tiny-gpt", "char-lstm")
EMBED_CONFIG = "tiny-gpt"
# The performance issue's floors: SeqKit / PyTorch must be at least this (memory: at most).
TRAIN_FLOORS = {"tiny-gpt": 1.5, "char-lstm": 1.5, "gpt-10m": 1.5}
SAMPLE_FLOOR = 10.0
SAMPLE_BATCH_FLOOR = 1.5  # 8 samples decoded side by side
MEMORY_CEILING = 0.25
MINILM_NAME = "all-MiniLM-L6-v2"
MINILM_FLOORS = {1: 2.0, 32: 1.3}  # sentences/s, SeqKit / sentence-transformers
MINILM_WORDS = ("the a man woman child dog city river music light night day eats reads plays walks sings builds "
                "finds small large quiet bright old new under over near far and but with without because "
                "while").split()
MPI_CONFIGS = ("tiny-gpt", "char-lstm")  # gpt-10m and the others run only when --only names them
MPI_LOG_INTERVAL = 10  # seqtrain's metrics.jsonl interval = PyTorch's untimed steps in the `mpi` workload
WORKLOAD_KINDS = ("peak", "train", "sample", "embed", "minilm", "mpi")


# ---------------------------------------------------------------------------------------------------------------
# Shared: configs, FLOPs, records
# ---------------------------------------------------------------------------------------------------------------

# model.activation -> F.gelu's `approximate`, as SeqKit's MLP computes it.
GELU_APPROXIMATE = {"gelu": "none", "gelu_tanh": "tanh"}


def load_config(path, vocab=65):
    """The config's model, optimizer, schedule and training sections, vocabulary filled in as seqbench does."""
    try:
        with open(path) as f:
            config = json.load(f)
    except OSError as error:
        sys.exit(f"compare-pytorch: error: cannot read {path} ({error.strerror}); pass a file from Configs/")
    except json.JSONDecodeError as error:
        sys.exit(f"compare-pytorch: error: {path} is not valid JSON ({error}); fix the file")
    model = {"kind": "transformer", "contextLength": 64, "embeddingSize": 128, "hiddenSize": 0, "layers": 4,
             "heads": 4, "mlpRatio": 4, "dropout": 0.0, "bias": True, "tieWeights": True, "positional": "learned",
             "nonlinearity": "tanh", "causal": True, "initStd": 0.02, "vocabSize": 0, "activation": "gelu"}
    model.update(config.get("model", {}))
    if not model["vocabSize"]:
        model["vocabSize"] = vocab
    optimizer = {"kind": "adamw", "learningRate": 1e-3, "beta1": 0.9, "beta2": 0.999, "epsilon": 1e-8,
                 "weightDecay": 0.1}
    optimizer.update(config.get("optimizer", {}))
    schedule = {"kind": "cosine", "warmupSteps": 100, "minLearningRate": 1e-4, "stepSize": 1000, "gamma": 0.1,
                "decaySteps": 0}
    schedule.update(config.get("schedule", {}))
    training = {"batchSize": 12, "maxSteps": 2000, "gradientAccumulation": 1, "clipNorm": 1.0}
    training.update(config.get("training", {}))
    if optimizer["kind"] != "adamw":
        sys.exit(f"compare-pytorch: error: {path} uses optimizer.kind {optimizer['kind']!r}; the PyTorch side "
                 "implements adamw only (the configs in Configs/ use it)")
    if model["activation"] not in GELU_APPROXIMATE:
        sys.exit(f"compare-pytorch: error: {path}: model.activation must be gelu or gelu_tanh, "
                 f"got {model['activation']!r}")
    if model["kind"] == "transformer" and (model["positional"] != "learned" or not model["causal"]):
        sys.exit(f"compare-pytorch: error: {path}: the PyTorch GPT has learned positions and causal attention only")
    return {"model": model, "optimizer": optimizer, "schedule": schedule, "training": training}


def hidden_size(model):
    return model["hiddenSize"] or model["embeddingSize"]


def flops_per_step(model, parameters, tokens_per_step):
    """Model FLOPs of one training step (forward + backward); the formulas are in the module docstring."""
    v, c, t, layers = model["vocabSize"], model["embeddingSize"], model["contextLength"], model["layers"]
    if model["kind"] == "transformer":
        positions = t * c if model["positional"] == "learned" else 0
        per_token = 6 * (parameters - positions) + 12 * layers * c * t
    else:
        gates = {"lstm": 4, "gru": 3, "rnn": 1}[model["kind"]]
        h = hidden_size(model)
        macs = v * h + sum(gates * h * ((c if k == 0 else h) + h) for k in range(layers))
        per_token = 6 * macs
    return per_token * tokens_per_step


def learning_rate(step, optimizer, schedule, max_steps):
    """SeqKit's learningRate(at:) (Sources/SeqTraining/LearningRateSchedule.swift), nanoGPT's get_lr."""
    peak, floor, warmup = optimizer["learningRate"], schedule["minLearningRate"], max(schedule["warmupSteps"], 0)
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    decay = schedule["decaySteps"] or max_steps
    span = decay - warmup
    ratio = min(max((step - warmup) / span, 0), 1) if span > 0 else 1
    kind = schedule["kind"]
    if kind == "constant":
        return peak
    if kind == "linear":
        return floor + (peak - floor) * (1 - ratio)
    if kind == "cosine":
        return floor + (peak - floor) * 0.5 * (1 + math.cos(math.pi * ratio))
    return max(floor, peak * schedule["gamma"] ** ((step - warmup) // max(schedule["stepSize"], 1)))


def peak_rss_mib():
    """VmHWM of this process in MiB, as seqbench reads it."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def record(workload, config, threads, parameters, rate, unit, cpu_rate, details):
    return {"workload": workload, "config": config, "threads": threads, "parameters": parameters, "rate": rate,
            "unit": unit, "cpu_rate": cpu_rate, "peak_rss_mib": peak_rss_mib(), "details": details}


# ---------------------------------------------------------------------------------------------------------------
# The PyTorch side (imported only in worker processes, so the parent's memory does not matter)
# ---------------------------------------------------------------------------------------------------------------

def torch_models():
    import torch
    import torch.nn as nn
    import torch.nn.functional as F

    class Attention(nn.Module):
        def __init__(self, width, heads, bias, dropout):
            super().__init__()
            self.heads, self.dropout = heads, dropout
            self.c_attn = nn.Linear(width, 3 * width, bias=bias)
            self.c_proj = nn.Linear(width, width, bias=bias)
            self.resid_dropout = nn.Dropout(dropout)

        def forward(self, x, cache=None, position=0):
            """x (B, T, C); with `cache` ([k, v], each (B, H, capacity, D)), writes keys and values at
            position..position+T-1 and attends to everything cached up to there."""
            b, t, c = x.shape
            d = c // self.heads
            q, k, v = self.c_attn(x).split(c, dim=2)
            q, k, v = (z.view(b, t, self.heads, d).transpose(1, 2) for z in (q, k, v))  # (B, H, T, D)
            if cache is not None:
                cache[0][:, :, position:position + t] = k
                cache[1][:, :, position:position + t] = v
                k, v = cache[0][:, :, :position + t], cache[1][:, :, :position + t]
                causal = t > 1  # a prefill starts at 0; a single new token sees the whole cache
            else:
                causal = True
            p = self.dropout if self.training else 0.0
            y = F.scaled_dot_product_attention(q, k, v, dropout_p=p, is_causal=causal)  # (B, H, T, D)
            return self.resid_dropout(self.c_proj(y.transpose(1, 2).reshape(b, t, c)))

    class Block(nn.Module):
        def __init__(self, width, heads, ratio, bias, dropout, approximate):
            super().__init__()
            self.ln_1 = nn.LayerNorm(width, bias=bias)
            self.attn = Attention(width, heads, bias, dropout)
            self.ln_2 = nn.LayerNorm(width, bias=bias)
            self.mlp = MLP(width, ratio, bias, dropout, approximate)

        def forward(self, x, cache=None, position=0):
            x = x + self.attn(self.ln_1(x), cache, position)
            return x + self.mlp(self.ln_2(x))

    class MLP(nn.Module):
        def __init__(self, width, ratio, bias, dropout, approximate):
            super().__init__()
            self.c_fc = nn.Linear(width, ratio * width, bias=bias)
            self.c_proj = nn.Linear(ratio * width, width, bias=bias)
            self.dropout = nn.Dropout(dropout)
            self.approximate = approximate  # "none" (exact, model.activation gelu) or "tanh" (gelu_tanh)

        def forward(self, x):
            return self.dropout(self.c_proj(F.gelu(self.c_fc(x), approximate=self.approximate)))

    class GPT(nn.Module):
        """nanoGPT, with its parameter names (SeqKit's too): transformer.{wte, wpe} -> dropout -> transformer.h.i
        -> transformer.ln_f -> lm_head (tied to wte when tieWeights)."""

        def __init__(self, m):
            super().__init__()
            v, c, self.context = m["vocabSize"], m["embeddingSize"], m["contextLength"]
            self.heads, self.width = m["heads"], c
            self.transformer = nn.ModuleDict(dict(
                wte=nn.Embedding(v, c), wpe=nn.Embedding(self.context, c), drop=nn.Dropout(m["dropout"]),
                h=nn.ModuleList(Block(c, m["heads"], m["mlpRatio"], m["bias"], m["dropout"],
                                      GELU_APPROXIMATE[m["activation"]])
                                for _ in range(m["layers"])),
                ln_f=nn.LayerNorm(c, bias=m["bias"])))
            self.lm_head = nn.Linear(c, v, bias=False)
            if m["tieWeights"]:
                self.lm_head.weight = self.transformer.wte.weight
            std = m["initStd"]
            for name, p in self.named_parameters():
                if p.dim() >= 2:
                    scale = 1 / math.sqrt(2 * m["layers"]) if name.endswith("c_proj.weight") else 1
                    nn.init.normal_(p, 0.0, std * scale)
                elif name.endswith(".bias"):
                    nn.init.zeros_(p)

        def hidden(self, ids, cache=None, position=0):
            """Final hidden states (B, T, C) of ids (B, T) at positions position..position+T-1."""
            t, net = ids.shape[1], self.transformer
            x = net.drop(net.wte(ids) + net.wpe.weight[position:position + t])
            for i, block in enumerate(net.h):
                x = block(x, None if cache is None else cache[i], position)
            return net.ln_f(x)

        def forward(self, ids, state=None):
            return self.lm_head(self.hidden(ids)), None

        def new_cache(self, batch=1):
            d = self.width // self.heads
            return [[torch.zeros(batch, self.heads, self.context, d) for _ in range(2)] for _ in self.transformer.h]

    class RecurrentLM(nn.Module):
        """embedding -> dropout -> nn.RNN/GRU/LSTM stack -> dropout -> head (tied: the embedding plus a bias).
        Parameter names as SeqKit's, except head.weight / head.bias, which are head_weight / head_bias here."""

        def __init__(self, m):
            super().__init__()
            v, e, h = m["vocabSize"], m["embeddingSize"], hidden_size(m)
            self.embedding = nn.Embedding(v, e)
            self.drop = nn.Dropout(m["dropout"])
            kind = m["kind"]
            common = dict(num_layers=m["layers"], bias=m["bias"], batch_first=True, dropout=m["dropout"])
            if kind == "lstm":
                self.rnn = nn.LSTM(e, h, **common)
            elif kind == "gru":
                self.rnn = nn.GRU(e, h, **common)
            else:
                self.rnn = nn.RNN(e, h, nonlinearity=m["nonlinearity"], **common)
            self.tied = m["tieWeights"]
            self.head_weight = None if self.tied else nn.Parameter(torch.empty(v, h).uniform_(-h ** -0.5, h ** -0.5))
            self.head_bias = nn.Parameter(torch.empty(v).uniform_(-h ** -0.5, h ** -0.5)) if m["bias"] else None

        def forward(self, ids, state=None):
            y, state = self.rnn(self.drop(self.embedding(ids)), state)  # (B, T, H)
            weight = self.embedding.weight if self.tied else self.head_weight
            return F.linear(self.drop(y), weight, self.head_bias), state

    def build(model_config, seed):
        torch.manual_seed(seed)
        return GPT(model_config) if model_config["kind"] == "transformer" else RecurrentLM(model_config)

    return build


def load_seqkit_weights(model, path):
    """Copies a safetensors file that SeqKit wrote (`seqbench sample --save-weights`) into the PyTorch twin."""
    import torch
    from safetensors.torch import load_file
    rename = {"head.weight": "head_weight", "head.bias": "head_bias"}
    tensors = {rename.get(k, k): v for k, v in load_file(path).items()}
    own = dict(model.named_parameters())  # a tied matrix appears once, under its first name
    # SeqKit's file lists a tied head under both names, as nanoGPT's state_dict does; the twin holds it once.
    for head, table in (("lm_head.weight", "transformer.wte.weight"), ("head_weight", "embedding.weight")):
        if head in tensors and head not in own and table in tensors and torch.equal(tensors[head], tensors[table]):
            del tensors[head]
    if set(own) != set(tensors):
        sys.exit(f"compare-pytorch: error: {path} and the PyTorch model disagree on parameter names: only SeqKit "
                 f"{sorted(set(tensors) - set(own))}, only PyTorch {sorted(set(own) - set(tensors))}")
    with torch.no_grad():
        for name, value in tensors.items():
            if own[name].shape != value.shape:
                sys.exit(f"compare-pytorch: error: {name} is {tuple(value.shape)} in {path} but "
                         f"{tuple(own[name].shape)} in the PyTorch model")
            own[name].copy_(value)


def count_parameters(module):
    return sum(p.numel() for p in module.parameters())  # parameters() yields a tied tensor once


def train_step(model, cfg, batch, generator, ddp=None):
    """One training step of the twin as a closure, and its state [carried recurrent state, step, last loss]:
    zero_grad, forward, cross-entropy, backward, clip, AdamW at the schedule's learning rate, on `batch` rows of
    uniformly random tokens from `generator`. With `ddp` (the model wrapped in DistributedDataParallel) the forward
    and backward go through it, so the gradients are averaged over the ranks before the clip."""
    import contextlib
    import torch
    import torch.nn.functional as F
    m, t, opt = cfg["model"], cfg["training"], cfg["optimizer"]
    time_steps, vocab, accumulation = m["contextLength"], m["vocabSize"], t["gradientAccumulation"]
    embeddings = ("wte.weight", "wpe.weight", "embedding.weight")
    decay = [p for n, p in model.named_parameters() if p.dim() >= 2 and not n.endswith(embeddings)]
    keep = [p for n, p in model.named_parameters() if not (p.dim() >= 2 and not n.endswith(embeddings))]
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": opt["weightDecay"]}, {"params": keep, "weight_decay": 0.0}],
        lr=opt["learningRate"], betas=(opt["beta1"], opt["beta2"]), eps=opt["epsilon"])
    forward = ddp if ddp is not None else model
    model.train()
    state = [None, 0, 0.0]  # carried recurrent state, step, last loss

    def step():
        lr = learning_rate(state[1], opt, cfg["schedule"], t["maxSteps"])
        for group in optimizer.param_groups:
            group["lr"] = lr
        optimizer.zero_grad(set_to_none=True)
        total = 0.0
        for micro in range(accumulation):
            # Under DDP, only the last micro-batch's backward all-reduces the accumulated gradients.
            quiet = ddp.no_sync() if ddp is not None and micro < accumulation - 1 else contextlib.nullcontext()
            with quiet:
                data = torch.randint(vocab, (batch, time_steps + 1), generator=generator)
                logits, carried = forward(data[:, :-1], state[0])
                loss = F.cross_entropy(logits.reshape(-1, vocab), data[:, 1:].reshape(-1))
                total += loss.item()
                (loss / accumulation if accumulation > 1 else loss).backward()
            if carried is not None:
                state[0] = tuple(s.detach() for s in carried) if isinstance(carried, tuple) else carried.detach()
        if t["clipNorm"] > 0:
            torch.nn.utils.clip_grad_norm_(model.parameters(), t["clipNorm"])
        optimizer.step()
        state[1] += 1
        state[2] = total / accumulation

    return step, state


def worker(args):
    import torch

    torch.set_num_threads(args.threads)
    build = torch_models()
    if args.worker == "minilm":
        return minilm_worker(args)
    if args.worker == "peak":
        n = args.size
        a, b = torch.randn(n, n), torch.randn(n, n)
        rate, cpu_rate = timed_rate(lambda: torch.mm(a, b), 2 * n ** 3 / 1e9, minimum=0.2)
        return record("peak", f"torch.mm {n}^3", args.threads, 0, rate, "GFLOP/s", cpu_rate, {"size": n})

    if not args.config:
        sys.exit("compare-pytorch: error: --worker needs --config FILE")
    name = os.path.splitext(os.path.basename(args.config))[0]
    cfg = load_config(args.config)
    m = cfg["model"]
    model = build(m, args.seed)
    parameters = count_parameters(model)

    if args.worker == "ddp-rank":
        return ddp_rank(args, cfg, model, name, parameters)

    if args.worker == "train":
        t = cfg["training"]
        step, state = train_step(model, cfg, t["batchSize"], torch.Generator().manual_seed(args.seed + 1))
        for _ in range(args.warmup):
            step()
        step_seconds = []
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        while True:
            started = time.perf_counter()
            step()
            step_seconds.append(time.perf_counter() - started)
            elapsed = time.perf_counter() - wall_start
            if (len(step_seconds) >= args.steps) if args.steps > 0 else (elapsed >= args.seconds and len(step_seconds) >= 3):
                break
        wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        tokens_per_step = t["batchSize"] * m["contextLength"] * t["gradientAccumulation"]
        tokens = tokens_per_step * len(step_seconds)
        flops = flops_per_step(m, parameters, tokens_per_step)
        return record("train", name, args.threads, parameters, tokens / wall, "tokens/s", tokens / cpu, {
            "batch": t["batchSize"], "context": m["contextLength"], "warmup_steps": args.warmup,
            "steps": len(step_seconds), "seconds": wall, "median_step_ms": statistics.median(step_seconds) * 1000,
            "tokens_per_step": tokens_per_step, "flops_per_step": flops,
            "model_gflops": flops * len(step_seconds) / wall / 1e9, "last_loss": state[2]})

    model.eval()
    if args.worker == "sample":
        generate = generate_gpt if m["kind"] == "transformer" else generate_recurrent
        prompt = sample_prompt(args.prompt_length, m["vocabSize"])
        with torch.inference_mode():
            generate(model, args.tokens, torch.Generator().manual_seed(args.seed), batch=args.batch,
                     prompt=prompt)  # untimed
            rates, cpu_rates, first_tokens = [], [], []
            for run in range(args.runs):
                generator = torch.Generator().manual_seed(args.seed + run + 1)
                wall_start, cpu_start = time.perf_counter(), time.process_time()
                first = []
                new = generate(model, args.tokens, generator, batch=args.batch, prompt=prompt,
                               on_first=lambda: first.append(time.perf_counter()))
                count = len(new) * args.batch
                rates.append(count / (time.perf_counter() - wall_start))
                cpu_rates.append(count / (time.process_time() - cpu_start))
                first_tokens.append((first[0] - wall_start) * 1000)
        return record("sample", name, args.threads, parameters, statistics.median(rates), "tokens/s",
                      statistics.median(cpu_rates), {"new_tokens": args.tokens, "runs": args.runs,
                                                     "min_rate": min(rates), "max_rate": max(rates),
                                                     "batch": args.batch, "prompt_tokens": args.prompt_length,
                                                     "ttft_ms": statistics.median(first_tokens)})

    if args.worker == "check":
        if not (args.weights and args.seqkit_record):
            sys.exit("compare-pytorch: error: --worker check needs --weights FILE and --seqkit-record FILE")
        load_seqkit_weights(model, args.weights)
        with open(args.seqkit_record) as f:
            seqkit = json.load(f)["check"]
        generate = generate_gpt if m["kind"] == "transformer" else generate_recurrent
        with torch.inference_mode():
            forced_total[0] = 0.0
            generate(model, len(seqkit["tokens"]), None, forced=seqkit["tokens"])
        return record("check", name, args.threads, parameters, 0.0, "", 0.0,
                      {"logprob": forced_total[0], "seqkit_logprob": seqkit["logprob"]})

    if args.worker == "embed":
        if m["kind"] != "transformer":
            sys.exit(f"compare-pytorch: error: embed needs a transformer config, not {args.config}")
        length = args.length or m["contextLength"]
        ids = torch.randint(m["vocabSize"], (args.batch, length), generator=torch.Generator().manual_seed(args.seed))
        with torch.inference_mode():
            def embed():
                return model.hidden(ids).mean(dim=1)  # (B, T, C) -> (B, C)
            for _ in range(3):
                embed()
            calls, wall_start, cpu_start = 0, time.perf_counter(), time.process_time()
            while calls < 3 or time.perf_counter() - wall_start < args.seconds:
                embed()
                calls += 1
            wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
        count = args.batch * calls
        return record("embed", f"{name} b{args.batch}", args.threads, parameters, count / wall, "sentences/s",
                      count / cpu, {"batch": args.batch, "length": length, "passes": calls, "seconds": wall,
                                    "tokens_per_s": count * length / wall})
    sys.exit(f"compare-pytorch: error: unknown --worker {args.worker!r}; use train, sample, embed or peak")


def timed_rate(body, work, repeats=5, minimum=0.05):
    """Median work/s (and work per CPU second) over `repeats` timed blocks of at least `minimum` seconds."""
    for _ in range(3):
        body()
    rates, cpu_rates = [], []
    for _ in range(repeats):
        calls, wall_start, cpu_start = 0, time.perf_counter(), time.process_time()
        while calls == 0 or time.perf_counter() - wall_start < minimum:
            body()
            calls += 1
        rates.append(work * calls / (time.perf_counter() - wall_start))
        cpu_rates.append(work * calls / max(time.process_time() - cpu_start, 1e-9))
    return statistics.median(rates), statistics.median(cpu_rates)


def choose(logits, generator, forced, index):
    """A categorical draw from (V) logits, or `forced[index]` with its log-probability added to forced's total."""
    import torch
    if forced is None:
        return int(torch.multinomial(torch.softmax(logits, -1), 1, generator=generator))
    token = forced[index]
    forced_total[0] += float(torch.log_softmax(logits.double(), -1)[token])
    return token


forced_total = [0.0]


def sample_prompt(length, vocabulary):
    """The prompt of sampling runs, as `seqbench sample --prompt-length` builds it: [0], or ids cycling through the
    vocabulary."""
    return [0] if length == 1 else [(i * 7 + 3) % vocabulary for i in range(length)]


def draw(logits, generator, forced, index):
    """One token per row of (B, V) logits: `choose` for a single row (the check path), else a batched draw."""
    import torch
    if logits.shape[0] == 1:
        return [choose(logits[0], generator, forced, index)]
    return torch.multinomial(torch.softmax(logits, -1), 1, generator=generator)[:, 0].tolist()


def generate_gpt(model, tokens, generator, forced=None, batch=1, prompt=(0,), on_first=None):
    """`tokens` new tokens for each of `batch` rows after `prompt` (one prefill pass); at a full window keeps the
    last half and re-encodes it from 0. With `forced`, takes those tokens and sums their log-probabilities into
    forced_total[0]. Returns the first row's tokens; `on_first` is called when the first tokens are drawn."""
    import torch
    cache, history, new = model.new_cache(batch), [list(prompt) for _ in range(batch)], []
    ids = torch.tensor([list(prompt)] * batch)
    logits = model.lm_head(model.hidden(ids, cache, 0)[:, -1])  # (B, V)
    position = len(prompt)
    while True:
        chosen = draw(logits, generator, forced, len(new))
        if on_first is not None and not new:
            on_first()
        new.append(chosen[0])
        if len(new) == tokens:
            return new
        if position == model.context:
            keep = max(1, model.context // 2)
            history = [h[-keep:] for h in history]
            model.hidden(torch.tensor(history), cache, 0)
            position = keep
        for h, token in zip(history, chosen):
            h.append(token)
        logits = model.lm_head(model.hidden(torch.tensor([[t] for t in chosen]), cache, position)[:, -1])
        position += 1


def generate_recurrent(model, tokens, generator, forced=None, batch=1, prompt=(0,), on_first=None):
    """`tokens` new tokens for each of `batch` rows after `prompt` (read in one pass), carrying the recurrent
    state; `forced`, `on_first` and the result as generate_gpt."""
    import torch
    ids, state, new = torch.tensor([list(prompt)] * batch), None, []
    while len(new) < tokens:
        logits, state = model(ids, state)  # (B, T, V)
        chosen = draw(logits[:, -1], generator, forced, len(new))
        if on_first is not None and not new:
            on_first()
        new.append(chosen[0])
        ids = torch.tensor([[t] for t in chosen])
    return new


# ---------------------------------------------------------------------------------------------------------------
# all-MiniLM-L6-v2 sentence embeddings and data-parallel training (the `minilm` and `mpi` workloads)
# ---------------------------------------------------------------------------------------------------------------

def minilm_sentences(count):
    """`count` seeded sentences of 10 to 60 words."""
    import random
    rng = random.Random(2026)
    return [" ".join(rng.choice(MINILM_WORDS) for _ in range(rng.randint(10, 60))).capitalize() + "."
            for _ in range(count)]


def safetensors_parameters(path):
    """Elements of the floating-point tensors in a safetensors file (integer buffers such as position_ids left
    out): the parameters SeqKit's SentenceEncoder loads."""
    import struct
    with open(path, "rb") as f:
        header = json.loads(f.read(struct.unpack("<Q", f.read(8))[0]))
    return sum(math.prod(v["shape"]) for k, v in header.items()
               if k != "__metadata__" and v["dtype"].startswith(("F", "BF")))


def minilm_worker(args):
    """sentence-transformers' encode of every sentence of --sentences-file at --batch: one untimed call on the first
    batch, then the best of --runs passes over all of them (minilmbench does the same)."""
    import torch
    from sentence_transformers import SentenceTransformer
    model = SentenceTransformer(args.folder, device="cpu")
    with open(args.sentences_file, encoding="utf-8") as f:
        texts = f.read().splitlines()
    model.encode(texts[:args.batch], batch_size=args.batch, normalize_embeddings=True)
    best, best_cpu = float("inf"), float("inf")
    for _ in range(args.runs):
        wall_start, cpu_start = time.perf_counter(), time.process_time()
        vectors = model.encode(texts, batch_size=args.batch, normalize_embeddings=True)
        wall = time.perf_counter() - wall_start
        if wall < best:
            best, best_cpu = wall, time.process_time() - cpu_start
    if len(vectors) != len(texts):
        sys.exit(f"compare-pytorch: error: sentence-transformers returned {len(vectors)} vectors for {len(texts)} "
                 "sentences; check the model folder")
    return record("minilm", f"{MINILM_NAME} b{args.batch}", args.threads, count_parameters(model),
                  len(texts) / best, "sentences/s", len(texts) / max(best_cpu, 1e-9),
                  {"batch": args.batch, "sentences": len(texts), "passes": args.runs, "seconds": best,
                   "torch": torch.__version__})


def seqkit_minilm(args):
    """Runs `minilmbench FOLDER FILE BATCH RUNS` (SeqKit's side of `minilm`) and turns its key=value line into a
    record; peak RSS is minilmbench's own (getrusage ru_maxrss: its process's high-water mark, as VmHWM)."""
    import re
    command = [args.minilm_binary, args.folder, args.sentences_file, str(args.batch), str(args.runs)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"compare-pytorch: error: {' '.join(command)} failed ({done.returncode}): {done.stderr.strip()}; "
                 "rebuild it with `swift build -c release --product minilmbench`")
    values = {k: float(v) for k, v in re.findall(r"(\w+)=([\d.]+)", done.stdout)}
    if not {"per_second", "seconds", "sentences", "peak_rss_mib"} <= set(values):
        sys.exit(f"compare-pytorch: error: cannot read minilmbench's line {done.stdout.strip()!r}; rebuild it")
    rec = record("minilm", f"{MINILM_NAME} b{args.batch}", args.threads,
                 safetensors_parameters(os.path.join(args.folder, "model.safetensors")), values["per_second"],
                 "sentences/s", 0.0, {"batch": args.batch, "sentences": int(values["sentences"]),
                                      "passes": args.runs, "seconds": values["seconds"]})
    rec["peak_rss_mib"] = values["peak_rss_mib"]
    return rec


def children_peak_rss_mib():
    """The largest high-water mark among the waited-for child processes (and theirs), in MiB."""
    import resource
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024


def seqkit_mpi(args):
    """SeqKit's side of `mpi`: `mpirun -np R seqtrain --threads T` with the config's global batch split over R
    ranks, `--steps` steps, a metrics.jsonl record every MPI_LOG_INTERVAL steps. The rate is (tokens between the
    first and the last record) / (their `elapsed` difference), as Benchmarks/compare-mpi.sh computes it."""
    cfg = load_config(args.config)
    name = os.path.splitext(os.path.basename(args.config))[0]
    batch, context = cfg["training"]["batchSize"], cfg["model"]["contextLength"]
    work = tempfile.mkdtemp(prefix="compare-pytorch-mpi-")
    try:
        command = ["mpirun"] + (["--allow-run-as-root"] if os.geteuid() == 0 else []) + [
            "-np", str(args.ranks), "--bind-to", "core" if args.threads == 1 else "none",
            args.mpi_binary, "--config", args.config, "--set", f"data.corpus={json.dumps([args.corpus])}",
            "--max-steps", str(args.steps), "--threads", str(args.threads),
            "--set", f"training.batchSize={batch // args.ranks}", "--set", "schedule.warmupSteps=5",
            "--set", "training.evalInterval=100000", "--set", "training.evalWindows=2",
            "--set", "training.checkpointInterval=0", "--set", f"training.logInterval={MPI_LOG_INTERVAL}",
            "--out", os.path.join(work, "run")]
        env = dict(os.environ, XDG_CACHE_HOME=os.path.join(work, "cache"), SEQKIT_THREADS=str(args.threads))
        done = subprocess.run(command, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            sys.exit(f"compare-pytorch: error: {' '.join(command)} failed ({done.returncode}): "
                     f"{done.stderr.strip()[-2000:]}; rebuild it with `make release-mpi`")
        with open(os.path.join(work, "run", "metrics.jsonl")) as f:
            records = [json.loads(line) for line in f if line.strip()]
    finally:
        import shutil
        shutil.rmtree(work, ignore_errors=True)
    first, last = records[0], records[-1]
    if last["step"] <= first["step"]:
        sys.exit(f"compare-pytorch: error: seqtrain logged fewer than two records in {args.steps} steps; "
                 f"raise --mpi-steps to {2 * MPI_LOG_INTERVAL} or more")
    tokens_per_step = (batch // args.ranks) * args.ranks * context * cfg["training"]["gradientAccumulation"]
    steps, seconds = last["step"] - first["step"], last["elapsed"] - first["elapsed"]
    rec = record("mpi", f"{name} {args.ranks}x{args.threads}", args.threads, 0, steps * tokens_per_step / seconds,
                 "tokens/s", 0.0, {"ranks": args.ranks, "global_batch": (batch // args.ranks) * args.ranks,
                                   "context": context, "warmup_steps": first["step"], "steps": steps,
                                   "seconds": seconds, "tokens_per_step": tokens_per_step,
                                   "last_loss": last["loss"]})
    rec["peak_rss_mib"] = children_peak_rss_mib()
    return rec


def pytorch_mpi(args):
    """PyTorch's side of `mpi`: `--ranks` processes (`--worker ddp-rank`) of DistributedDataParallel over gloo on
    127.0.0.1, `--threads` threads each, or with one rank the plain training loop in one process. Either way
    MPI_LOG_INTERVAL untimed steps, then `--steps` - MPI_LOG_INTERVAL timed ones; rank 0's wall time between two
    barriers gives the rate."""
    import socket
    cfg = load_config(args.config)
    name = os.path.splitext(os.path.basename(args.config))[0]
    with socket.socket() as probe:  # a free port on the loopback address
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    me = [sys.executable, os.path.abspath(__file__), "--worker", "ddp-rank", "--config", args.config,
          "--threads", str(args.threads), "--warmup", str(MPI_LOG_INTERVAL),
          "--steps", str(args.steps - MPI_LOG_INTERVAL), "--seed", str(args.seed)]
    folder = tempfile.mkdtemp(prefix="compare-pytorch-ddp-")
    paths = [os.path.join(folder, f"rank{r}.json") for r in range(args.ranks)]
    ranks = []
    for r in range(args.ranks):
        env = dict(os.environ, MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port), RANK=str(r),
                   WORLD_SIZE=str(args.ranks), GLOO_SOCKET_IFNAME="lo")
        with open(paths[r] + ".err", "w") as err:  # a file, not a pipe: a rank never blocks on its stderr
            ranks.append(subprocess.Popen(me + ["--json", paths[r]], env=env, stdout=subprocess.DEVNULL, stderr=err))
    codes = [p.wait() for p in ranks]
    results = []
    for r, path in enumerate(paths):
        with open(path + ".err") as f:
            err = f.read().strip()
        if codes[r] != 0:
            sys.exit(f"compare-pytorch: error: DDP rank {r} of {name} failed ({codes[r]}): {err[-2000:]}")
        with open(path) as f:
            results.append(json.load(f))
    import shutil
    shutil.rmtree(folder, ignore_errors=True)
    rec = results[0]
    rec["config"] = f"{name} {args.ranks}x{args.threads}"
    rec["peak_rss_mib"] = children_peak_rss_mib()
    return rec


def ddp_rank(args, cfg, model, name, parameters):
    """One rank of pytorch_mpi: the `train` loop on batch / WORLD_SIZE rows, the model in DistributedDataParallel
    (gloo) when WORLD_SIZE > 1, pinned to core RANK as mpirun --bind-to core pins SeqKit's ranks."""
    import torch
    import torch.distributed as dist
    rank, world = int(os.environ.get("RANK", "0")), int(os.environ.get("WORLD_SIZE", "1"))
    if world > 1 and args.threads == 1 and hasattr(os, "sched_setaffinity"):
        cores = sorted(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cores[rank % len(cores)]})
    t, m = cfg["training"], cfg["model"]
    batch = t["batchSize"] // world
    ddp = None
    if world > 1:
        dist.init_process_group("gloo", rank=rank, world_size=world)
        ddp = torch.nn.parallel.DistributedDataParallel(model)
    step, state = train_step(model, cfg, batch, torch.Generator().manual_seed(args.seed + 1 + rank), ddp)
    for _ in range(args.warmup):
        step()
    if ddp is not None:
        dist.barrier()
    wall_start, cpu_start = time.perf_counter(), time.process_time()
    for _ in range(args.steps):
        step()
    if ddp is not None:
        dist.barrier()
    wall, cpu = time.perf_counter() - wall_start, time.process_time() - cpu_start
    if ddp is not None:
        dist.destroy_process_group()
    tokens_per_step = batch * world * m["contextLength"] * t["gradientAccumulation"]
    tokens = tokens_per_step * args.steps
    return record("mpi", name, args.threads, parameters, tokens / wall, "tokens/s", tokens / cpu / world, {
        "ranks": world, "global_batch": batch * world, "context": m["contextLength"], "warmup_steps": args.warmup,
        "steps": args.steps, "seconds": wall, "tokens_per_step": tokens_per_step, "last_loss": state[2]})


# ---------------------------------------------------------------------------------------------------------------
# The parent: alternate both sides, collect, print the table
# ---------------------------------------------------------------------------------------------------------------

def run_json(command, env):
    """Runs a worker command that writes a JSON record to the path given as its last argument."""
    with tempfile.NamedTemporaryFile(suffix=".json", delete=False) as f:
        path = f.name
    try:
        done = subprocess.run(command + ["--json", path], cwd=ROOT, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            sys.exit(f"compare-pytorch: error: {' '.join(command)} failed ({done.returncode}):\n{done.stderr.strip()}")
        with open(path) as f:
            return json.load(f)
    finally:
        os.unlink(path)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3, help="alternations of SeqKit and PyTorch (default 3)")
    parser.add_argument("--threads", type=int, default=2, help="threads for both sides (default 2)")
    parser.add_argument("--only", help=f"configs to run (default {DEFAULT_CONFIGS}; the mpi workload runs "
                        f"{' and '.join(MPI_CONFIGS)} of them, others only when named here)")
    parser.add_argument("--config-dir", default=os.path.join(ROOT, "Configs"))
    parser.add_argument("--warmup", type=int, default=3, help="untimed training steps (default 3)")
    parser.add_argument("--seconds", type=float, default=5.0, help="timed training window, seconds (default 5)")
    parser.add_argument("--runs", type=int, default=5, help="timed generations per sampling workload (default 5)")
    parser.add_argument("--tokens", type=int, default=255, help="new tokens per generation (default 255)")
    parser.add_argument("--prompt-length", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--no-embed", action="store_true", help="skip the embedding workloads")
    parser.add_argument("--workloads", default=",".join(WORKLOAD_KINDS),
                        help=f"kinds of workload to run, comma-separated (default {','.join(WORKLOAD_KINDS)}; "
                        "minilm and mpi are skipped with a line when their prerequisites are missing)")
    parser.add_argument("--sentences", type=int, default=256,
                        help="sentences of the minilm workload (seeded, 10-60 words; default 256)")
    parser.add_argument("--minilm-folder", default=os.path.join(ROOT, "Models", MINILM_NAME),
                        help="the sentence-transformers folder (default Models/all-MiniLM-L6-v2)")
    parser.add_argument("--minilm-binary", default=os.path.join(ROOT, ".build", "release", "minilmbench"))
    parser.add_argument("--mpi-binary", default=os.path.join(ROOT, ".build", "mpi", "release", "seqtrain"),
                        help="seqtrain built with the MPI trait (default .build/mpi/release/seqtrain: "
                        "make release-mpi)")
    parser.add_argument("--mpi-steps", type=int, default=60,
                        help=f"training steps per mpi run, a multiple of {MPI_LOG_INTERVAL}; the first "
                        f"{MPI_LOG_INTERVAL} are not timed (default 60)")
    parser.add_argument("--no-check", action="store_true",
                        help="skip the check that both sides compute the same model (same weights, same log p)")
    parser.add_argument("--omp-wait-policy", choices=("passive", "active", "default"), default="passive",
                        help="OMP_WAIT_POLICY of the PyTorch workers (default passive: see the docstring)")
    parser.add_argument("--skip-build", action="store_true", help="use the existing .build/release/seqbench")
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build", "release", "seqbench"))
    parser.add_argument("--json", help="also write every measurement and the table as JSON to this file")
    parser.add_argument("--results", default=os.path.join(ROOT, "Benchmarks", "RESULTS.md"),
                        help="write the table as Markdown here (default Benchmarks/RESULTS.md; '' for none)")
    # Worker mode (one PyTorch workload in this process).
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--config", help=argparse.SUPPRESS)
    parser.add_argument("--seed", type=int, default=1337, help=argparse.SUPPRESS)
    parser.add_argument("--steps", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--batch", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--length", type=int, default=0, help=argparse.SUPPRESS)
    parser.add_argument("--size", type=int, default=2048, help=argparse.SUPPRESS)
    parser.add_argument("--weights", help=argparse.SUPPRESS)
    parser.add_argument("--seqkit-record", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--sentences-file", help=argparse.SUPPRESS)
    parser.add_argument("--ranks", type=int, default=1, help=argparse.SUPPRESS)
    parser.add_argument("--corpus", help=argparse.SUPPRESS)
    args = parser.parse_args()
    for flag in ("rounds", "threads", "runs", "tokens"):
        if getattr(args, flag) < 1:
            parser.error(f"--{flag} must be at least 1")
    if args.warmup < 0 or not args.seconds > 0:
        parser.error("--warmup must be 0 or more and --seconds positive")
    if args.sentences < 32 or args.mpi_steps < 2 * MPI_LOG_INTERVAL or args.mpi_steps % MPI_LOG_INTERVAL:
        # seqtrain's last metrics record is at a multiple of MPI_LOG_INTERVAL: both sides then time the same steps.
        parser.error(f"--sentences must be at least 32, and --mpi-steps a multiple of {MPI_LOG_INTERVAL} from "
                     f"{2 * MPI_LOG_INTERVAL}")

    if args.worker:
        # SeqKit's minilm and mpi sides and PyTorch's DDP launcher run other processes and import no torch here.
        launchers = {"seqkit-minilm": seqkit_minilm, "seqkit-mpi": seqkit_mpi, "ddp": pytorch_mpi}
        result = (launchers.get(args.worker) or worker)(args)
        if args.json:
            with open(args.json, "w") as f:
                json.dump(result, f)
        print(json.dumps(result))
        return 0

    named = args.only is not None
    names = [n.strip() for n in (args.only if named else DEFAULT_CONFIGS).split(",") if n.strip()]
    for n in names:
        if not os.path.exists(os.path.join(args.config_dir, n + ".json")):
            parser.error(f"--only names {n!r} but {os.path.join(args.config_dir, n + '.json')} does not exist; "
                         f"choose from {DEFAULT_CONFIGS}")
    try:
        import torch
    except ImportError:
        sys.exit("compare-pytorch: error: PyTorch is not installed; run `pip install torch safetensors numpy`")
    kinds = {k.strip() for k in args.workloads.split(",") if k.strip()}
    unknown = kinds - set(WORKLOAD_KINDS)
    if unknown or not kinds:
        parser.error(f"--workloads takes {', '.join(WORKLOAD_KINDS)}, not {','.join(sorted(unknown)) or 'nothing'}")
    if "train" in kinds:
        kinds.add("peak")  # the MFU denominator
    if "minilm" in kinds:
        import importlib.util
        if not os.path.exists(os.path.join(args.minilm_folder, "model.safetensors")):
            kinds.discard("minilm")
            print(f"skipping minilm: {args.minilm_folder} has no model.safetensors; fetch it with "
                  "`bash Models/fetch-minilm.sh`", flush=True)
        elif importlib.util.find_spec("sentence_transformers") is None:
            kinds.discard("minilm")
            print("skipping minilm: sentence-transformers is not importable; run `pip install sentence-transformers`",
                  flush=True)
    corpus = os.path.join(ROOT, "Corpora", "shakespeare.txt")
    if "mpi" in kinds:
        import shutil
        if shutil.which("mpirun") is None:
            kinds.discard("mpi")
            print("skipping mpi: mpirun is not installed; run `apt-get install openmpi-bin libopenmpi-dev` "
                  "(or `make deps-mpi`), then `make release-mpi`", flush=True)
        elif not os.path.exists(args.mpi_binary):
            kinds.discard("mpi")
            print(f"skipping mpi: {args.mpi_binary} does not exist; build it with `make release-mpi`", flush=True)
        elif not os.path.exists(corpus):
            kinds.discard("mpi")
            print(f"skipping mpi: seqtrain needs {corpus} (65 characters, the twin's vocabulary); fetch it with "
                  "`make corpus`", flush=True)
    if not args.skip_build:
        subprocess.run(["swift", "build", "-c", "release", "--product", "seqbench"], cwd=ROOT, check=True)
        if "minilm" in kinds:
            subprocess.run(["swift", "build", "-c", "release", "--product", "minilmbench"], cwd=ROOT, check=True)
    if "minilm" in kinds and not os.path.exists(args.minilm_binary):
        sys.exit(f"compare-pytorch: error: {args.minilm_binary} does not exist; build it with "
                 "`swift build -c release --product minilmbench` or drop --skip-build")
    needs_seqbench = kinds & {"peak", "train", "sample", "embed"} or ("mpi" in kinds and not args.no_check)
    if needs_seqbench and not os.path.exists(args.binary):
        sys.exit(f"compare-pytorch: error: {args.binary} does not exist; build it with "
                 "`swift build -c release --product seqbench` or drop --skip-build")

    envs = {"seqkit": dict(os.environ, SEQKIT_THREADS=str(args.threads)), "pytorch": dict(os.environ)}
    if args.omp_wait_policy != "default":
        envs["pytorch"]["OMP_WAIT_POLICY"] = args.omp_wait_policy.upper()
    envs["pytorch"]["HF_HUB_OFFLINE"] = "1"  # the MiniLM folder is local; never reach for the Hub
    threads = ["--threads", str(args.threads)]
    me = [sys.executable, os.path.abspath(__file__)]
    config_path = {n: os.path.join(args.config_dir, n + ".json") for n in names}

    # (label, SeqKit command, PyTorch command) for every workload, in run order.
    workloads = [("peak", [args.binary, "peak"] + threads, me + ["--worker", "peak"] + threads)]
    timing = ["--warmup", str(args.warmup), "--seconds", str(args.seconds)]
    for n in names:
        workloads.append((f"train {n}", [args.binary, "train", "--config", config_path[n]] + threads + timing,
                          me + ["--worker", "train", "--config", config_path[n]] + threads + timing))
    sampling = ["--tokens", str(args.tokens), "--runs", str(args.runs)]
    for n in names:
        if n in SAMPLE_CONFIGS:
            # Batch 1 after a 1-token prompt; 8 samples side by side; batch 1 after a 60-token prompt (its time to
            # the first token is the prefill's).
            for suffix, extra in (("", []), (" b8", ["--batch", "8"]), (" p60", ["--prompt-length", "60"])):
                workloads.append((f"sample {n}{suffix}",
                                  [args.binary, "sample", "--config", config_path[n]] + threads + sampling + extra,
                                  me + ["--worker", "sample", "--config", config_path[n]] + threads + sampling
                                  + extra))
    if EMBED_CONFIG in names and not args.no_embed:
        for batch in (1, 32):
            embed = ["--config", config_path[EMBED_CONFIG], "--batch", str(batch)] + threads
            workloads.append((f"embed {EMBED_CONFIG} b{batch}", [args.binary, "embed"] + embed,
                              me + ["--worker", "embed"] + embed))

    sentences_file = None
    if "minilm" in kinds:
        with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False, encoding="utf-8") as f:
            f.write("\n".join(minilm_sentences(args.sentences)) + "\n")
            sentences_file = f.name
        for batch in (1, 32):
            common = ["--folder", args.minilm_folder, "--sentences-file", sentences_file, "--batch", str(batch),
                      "--runs", "3"] + threads
            workloads.append((f"minilm {MINILM_NAME} b{batch}",
                              me + ["--worker", "seqkit-minilm", "--minilm-binary", args.minilm_binary] + common,
                              me + ["--worker", "minilm"] + common))
    mpi_names = [n for n in names if n in MPI_CONFIGS or named]
    for n in mpi_names if "mpi" in kinds else []:
        batch = load_config(config_path[n])["training"]["batchSize"]
        if batch % 2:
            print(f"skipping mpi {n}: its batch of {batch} does not split over 2 ranks", flush=True)
            continue
        steps = ["--config", config_path[n], "--steps", str(args.mpi_steps)]
        # 2 ranks x 1 thread, then 1 process x 2 threads measured the same way (the scaling's denominator).
        for ranks, per_rank in ((2, 1), (1, 2)):
            shape = ["--ranks", str(ranks), "--threads", str(per_rank)]
            workloads.append((f"mpi {n} {ranks}x{per_rank}",
                              me + ["--worker", "seqkit-mpi", "--mpi-binary", args.mpi_binary, "--corpus", corpus]
                              + steps + shape,
                              me + ["--worker", "ddp"] + steps + shape))
    workloads = [w for w in workloads if w[0].split()[0] in kinds]
    if not workloads:
        print("compare-pytorch: nothing left to run (see the lines above); --workloads and --only choose", flush=True)
        return 0

    problems = []
    checks = []
    if not args.no_check and kinds & {"train", "sample", "embed", "mpi"}:
        # Same weights on both sides: SeqKit samples `--tokens` tokens; PyTorch rescores them with SeqKit's weights.
        folder = tempfile.mkdtemp(prefix="compare-pytorch-")
        for n in names if kinds & {"train", "sample", "embed"} else mpi_names:
            weights, record_path = os.path.join(folder, n + ".safetensors"), os.path.join(folder, n + ".json")
            seqkit = run_json([args.binary, "sample", "--config", config_path[n], "--tokens", str(args.tokens),
                               "--runs", "1", "--save-weights", weights] + threads, envs["seqkit"])
            with open(record_path, "w") as f:
                json.dump(seqkit, f)
            mine = run_json(me + ["--worker", "check", "--config", config_path[n], "--weights", weights,
                                  "--seqkit-record", record_path] + threads, envs["pytorch"])
            a, b = seqkit["check"]["logprob"], mine["details"]["logprob"]
            same = abs(a - b) <= 1e-3 * max(abs(a), abs(b), 1.0)
            checks.append({"config": n, "seqkit_logprob": a, "pytorch_logprob": b, "same": same})
            print(f"check {n:<10} log p of SeqKit's seeded {args.tokens}-token sample: SeqKit {a:.4f}, PyTorch on "
                  f"the same weights {b:.4f} ({'same model' if same else 'DIFFERENT'})", flush=True)
            if not same:
                problems.append(f"{n}: the two models give SeqKit's sample different log-probabilities")
            os.unlink(weights)
            os.unlink(record_path)
        os.rmdir(folder)

    results = {label: {"seqkit": [], "pytorch": []} for label, _, _ in workloads}
    load_before = os.getloadavg()
    started = time.time()
    for round_index in range(args.rounds):
        for label, seqkit_command, torch_command in workloads:
            order = [("seqkit", seqkit_command), ("pytorch", torch_command)]
            if round_index % 2 == 1:
                order.reverse()
            for side, command in order:
                results[label][side].append(run_json(command, envs[side]))
            s, p = results[label]["seqkit"][-1], results[label]["pytorch"][-1]
            print(f"round {round_index + 1}/{args.rounds} {label:<27} SeqKit {s['rate']:>10.1f}  "
                  f"PyTorch {p['rate']:>10.1f} {s['unit']:<12} RSS {s['peak_rss_mib']:.0f} / "
                  f"{p['peak_rss_mib']:.0f} MiB", flush=True)
    load_after = os.getloadavg()
    if sentences_file:
        os.unlink(sentences_file)

    for label in results:
        s, p = results[label]["seqkit"][0], results[label]["pytorch"][0]
        if label != "peak" and s["parameters"] and s["parameters"] != p["parameters"]:
            problems.append(f"{label}: SeqKit has {s['parameters']} parameters, PyTorch {p['parameters']}: "
                            "the two models differ")
        if label.startswith("train") and not math.isclose(s["details"]["flops_per_step"],
                                                          p["details"]["flops_per_step"], rel_tol=1e-9):
            problems.append(f"{label}: the two FLOP counts differ ({s['details']['flops_per_step']} vs "
                            f"{p['details']['flops_per_step']})")

    def med(label, side, key="rate"):
        return statistics.median(r[key] for r in results[label][side])

    trained = [n for n in names if f"train {n}" in results]
    peak_seqkit, peak_torch = (med("peak", "seqkit"), med("peak", "pytorch")) if "peak" in results else (0.0, 0.0)
    peak = max(peak_seqkit, peak_torch)
    rows = []

    def add(metric, config, unit, s, p, floor=None, ceiling=False, mfu=None):
        ratio = s / p if p else float("nan")
        verdict = ""
        if floor is not None:
            verdict = ("meets" if (ratio <= floor if ceiling else ratio >= floor) else "below") + \
                f" {'<=' if ceiling else '>='}{floor:g}x"
        rows.append({"metric": metric, "config": config, "unit": unit, "seqkit": s, "pytorch": p, "ratio": ratio,
                     "floor": floor, "verdict": verdict, "mfu": mfu})

    for n in trained:
        label = f"train {n}"
        s, p = med(label, "seqkit"), med(label, "pytorch")
        flops = results[label]["seqkit"][0]["details"]["flops_per_step"]
        tokens_per_step = results[label]["seqkit"][0]["details"]["tokens_per_step"]
        mfu = (s * flops / tokens_per_step / 1e9 / peak, p * flops / tokens_per_step / 1e9 / peak)
        add("train", n, "tokens/s", s, p, TRAIN_FLOORS.get(n), mfu=mfu)
    for n in names:
        if f"sample {n}" in results:
            add("sample", n, "tokens/s", med(f"sample {n}", "seqkit"), med(f"sample {n}", "pytorch"), SAMPLE_FLOOR)
        if f"sample {n} b8" in results:
            add("sample", n + " b8", "tokens/s", med(f"sample {n} b8", "seqkit"), med(f"sample {n} b8", "pytorch"),
                SAMPLE_BATCH_FLOOR)
        if f"sample {n} p60" in results:
            first = [[r["details"]["ttft_ms"] for r in results[f"sample {n} p60"][side]]
                     for side in ("seqkit", "pytorch")]
            add("first token", n + " p60", "ms", statistics.median(first[0]), statistics.median(first[1]),
                ceiling=True)
    for label in results:
        if label.startswith("embed"):
            add("embed", label.split(" ", 1)[1], "sentences/s", med(label, "seqkit"), med(label, "pytorch"))
    for batch in (1, 32):
        label = f"minilm {MINILM_NAME} b{batch}"
        if label in results:
            add("embed", f"{MINILM_NAME} b{batch}", "sentences/s", med(label, "seqkit"), med(label, "pytorch"),
                MINILM_FLOORS[batch])
    for n in names:
        two, one = f"mpi {n} 2x1", f"mpi {n} 1x2"
        if two in results and one in results:
            s2, p2, s1, p1 = med(two, "seqkit"), med(two, "pytorch"), med(one, "seqkit"), med(one, "pytorch")
            add("train", f"{n} 2 ranks", "tokens/s", s2, p2)
            add("train", f"{n} 1 proc x2", "tokens/s", s1, p1)
            add("scaling", f"{n} 2r/2t", "x", s2 / s1, p2 / p1)
    for n in trained:
        label = f"train {n}"
        add("peak RSS", n + " train", "MiB", med(label, "seqkit", "peak_rss_mib"),
            med(label, "pytorch", "peak_rss_mib"), MEMORY_CEILING, ceiling=True)
    minilm = [label for label in results if label.startswith("minilm")]
    if minilm:  # each side's larger median over batch 1 and batch 32
        add("peak RSS", MINILM_NAME, "MiB", max(med(label, "seqkit", "peak_rss_mib") for label in minilm),
            max(med(label, "pytorch", "peak_rss_mib") for label in minilm), MEMORY_CEILING, ceiling=True)

    print(f"\nSeqKit vs PyTorch {torch.__version__} eager, {args.threads} threads each, medians of {args.rounds} "
          f"rounds (alternating sides), {time.time() - started:.0f} s; load average "
          f"{load_before[0]:.2f} before, {load_after[0]:.2f} after")
    if peak:
        print(f"sgemm peak 2048^3: SeqKit's OpenBLAS {peak_seqkit:.1f} GFLOP/s, torch.mm {peak_torch:.1f} GFLOP/s; "
              f"MFU is against {peak:.1f} for both sides")
    if minilm:
        print(f"minilm: {args.sentences} seeded sentences of 10-60 words, text in, normalized vectors out, best of 3 "
              "passes per process")
    if any(label.startswith("mpi") for label in results):
        print(f"mpi: {args.mpi_steps} steps per run, the first {MPI_LOG_INTERVAL} untimed; 2 ranks x 1 thread "
              "(mpirun / DDP gloo) and 1 process x 2 threads, same global batch; scaling = 2 ranks / 1 process")
    print(f"{'metric':<9} {'config':<22} {'SeqKit':>10} {'PyTorch':>10} {'unit':<12} {'ratio':>7}  "
          f"{'MFU SeqKit':>10} {'MFU PyTorch':>11}  floor")
    for r in rows:
        mfu = f"{r['mfu'][0] * 100:>9.1f}% {r['mfu'][1] * 100:>10.1f}%" if r["mfu"] else " " * 22
        digits = 2 if r["unit"] == "x" else 1
        print(f"{r['metric']:<9} {r['config']:<22} {r['seqkit']:>10.{digits}f} {r['pytorch']:>10.{digits}f} "
              f"{r['unit']:<12} {r['ratio']:>6.2f}x  {mfu}  {r['verdict']}")
    print("ratio = SeqKit / PyTorch: above 1 SeqKit is faster; for peak RSS and the time to the first token, below 1"
          " SeqKit uses less.")
    for problem in problems:
        print(f"compare-pytorch: {problem}", file=sys.stderr)
    if args.results:
        write_results(args, torch.__version__, rows, checks, problems, peak_seqkit, peak_torch, peak,
                      load_before, load_after, time.time() - started)
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"torch": torch.__version__, "threads": args.threads, "rounds": args.rounds,
                       "load_average_before": load_before, "load_average_after": load_after,
                       "peak_gflops": {"seqkit_openblas": peak_seqkit, "torch_mm": peak_torch, "used": peak},
                       "table": rows, "checks": checks, "runs": results, "problems": problems}, f, indent=2)
    return 1 if problems else 0


def machine_description():
    """The CPU model and core count, from /proc/cpuinfo where there is one."""
    model = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    return f"{model}, {os.cpu_count()} logical cores, {platform.system()} {platform.release()}"


def write_results(args, torch_version, rows, checks, problems, peak_seqkit, peak_torch, peak, load_before,
                  load_after, seconds):
    """Benchmarks/RESULTS.md: the last run's table, with the command, machine and load that produced it."""
    argv = sys.argv[1:]  # without --results and its value
    argv = [a for i, a in enumerate(argv) if not a.startswith("--results") and (i == 0 or argv[i - 1] != "--results")]
    command = "python3 Benchmarks/compare-pytorch.py " + " ".join(argv)
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`Benchmarks/compare-pytorch.py`) from its last run; `Benchmarks/README.md` explains",
        "the workloads and columns, `Benchmarks/NOTES.md` the history. Ratios are SeqKit / PyTorch in one run on one",
        "machine: above 1 SeqKit is faster; for peak RSS and the time to the first token, below 1 SeqKit uses less.",
        "",
        f"- run: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s, `{command.strip()}`",
        f"- machine: {machine_description()}; load average {load_before[0]:.2f} before, {load_after[0]:.2f} after",
        f"- PyTorch {torch_version} eager (OpenMP wait policy: {args.omp_wait_policy}), {args.threads} threads each,"
        f" medians of {args.rounds} alternating rounds",
    ]
    if peak:
        lines.append(f"- sgemm peak (2048³): SeqKit's OpenBLAS {peak_seqkit:.1f} GFLOP/s, torch.mm {peak_torch:.1f} "
                     f"GFLOP/s; MFU is against {peak:.1f} for both")
    if any(r["config"].startswith(MINILM_NAME) for r in rows):
        lines.append(f"- minilm: {args.sentences} seeded sentences of 10-60 words, text in, normalized vectors out "
                     "(tokenization included), best of 3 passes; SeqKit `minilmbench`, PyTorch sentence-transformers")
    if any(r["metric"] == "scaling" for r in rows):
        lines.append(f"- mpi: {args.mpi_steps} steps per run, the first {MPI_LOG_INTERVAL} untimed; `2 ranks`: "
                     "`mpirun -np 2 seqtrain --threads 1` against DDP (gloo, 127.0.0.1) 2 x 1 thread; `1 proc x2`: "
                     "1 process x 2 threads; scaling = 2 ranks / 1 proc")
    for c in checks:
        lines.append(f"- same model check, {c['config']}: log p SeqKit {c['seqkit_logprob']:.4f}, PyTorch "
                     f"{c['pytorch_logprob']:.4f} ({'same' if c['same'] else 'DIFFERENT'})")
    lines += ["", "| workload | config | SeqKit | PyTorch | unit | ratio | MFU SeqKit / PyTorch | floor |",
              "| --- | --- | ---: | ---: | --- | ---: | ---: | --- |"]
    for r in rows:
        mfu = f"{r['mfu'][0] * 100:.0f}% / {r['mfu'][1] * 100:.0f}%" if r["mfu"] else ""
        digits = 2 if r["unit"] == "x" else 1
        lines.append(f"| {r['metric']} | {r['config']} | {r['seqkit']:,.{digits}f} | {r['pytorch']:,.{digits}f} | "
                     f"{r['unit']} | {r['ratio']:.2f}× | {mfu} | {r['verdict']} |")
    for problem in problems:
        lines.append(f"\n**Problem:** {problem}")
    with open(args.results, "w") as f:
        f.write("\n".join(lines) + "\n")
    print(f"wrote {os.path.relpath(args.results, ROOT)}")


if __name__ == "__main__":
    sys.exit(main())
