#!/usr/bin/env python3
"""Reads a seqtrain run's event file with TensorBoard's own EventAccumulator and checks every scalar and text.

    pip install tensorboard
    seqtrain --config CONFIG --out RUN ...
    python3 Tests/Fixtures/check_tensorboard.py RUN

Checks: the scalars train/loss, lr, grad_norm, tokens_per_second at every record of RUN/metrics.jsonl with the
same values (float32), val/loss at every evaluation, val/bits_per_char or val/bits_per_byte, the `config` text
and a `samples` text at each evaluation. Exits 1 with the first mismatch.
"""
import json
import math
import pathlib
import sys

from tensorboard.backend.event_processing.event_accumulator import EventAccumulator, TENSORS
from tensorboard.util import tensor_util


def fail(message):
    print(f"check_tensorboard: {message}", file=sys.stderr)
    sys.exit(1)


def main():
    if len(sys.argv) != 2:
        fail("usage: check_tensorboard.py RUN_DIR")
    run = pathlib.Path(sys.argv[1])
    records = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines() if line]
    if not records:
        fail(f"{run}/metrics.jsonl is empty")
    accumulator = EventAccumulator(str(run), size_guidance={TENSORS: 0, "scalars": 0})
    accumulator.Reload()
    tags = accumulator.Tags()
    # simple_value scalars load as scalars; the text plugin's string tensors as tensors.
    def series(tag):
        if tag in tags["scalars"]:
            return {e.step: e.value for e in accumulator.Scalars(tag)}
        if tag in tags["tensors"]:
            return {e.step: tensor_util.make_ndarray(e.tensor_proto) for e in accumulator.Tensors(tag)}
        fail(f"no {tag} in the event file (tags: {tags['scalars'] + tags['tensors']})")

    for tag, key in [("train/loss", "loss"), ("lr", "lr"), ("tokens_per_second", "tokensPerSecond")]:
        values = series(tag)
        for record in records:
            got = float(values.get(record["step"], math.nan))
            if not math.isclose(got, record[key], rel_tol=1e-6, abs_tol=1e-9):
                fail(f"{tag} at step {record['step']} is {got}, metrics.jsonl has {record[key]}")
    norms = series("grad_norm")
    if sorted(norms) != [r["step"] for r in records] or not all(float(v) > 0 for v in norms.values()):
        fail("grad_norm is missing at a record or not positive")
    evaluated = [r for r in records if r["valLoss"] is not None]
    val = series("val/loss")
    bits_tag = "val/bits_per_char" if "val/bits_per_char" in tags["scalars"] else "val/bits_per_byte"
    bits = series(bits_tag)
    for record in evaluated:
        if not math.isclose(float(val[record["step"]]), record["valLoss"], rel_tol=1e-6):
            fail(f"val/loss at step {record['step']} differs from metrics.jsonl")
        if bits_tag == "val/bits_per_char" and not math.isclose(
            float(bits[record["step"]]), record["valLoss"] / math.log(2), rel_tol=1e-5
        ):
            fail(f"val/bits_per_char at step {record['step']} is not val/loss / ln 2")
    samples = series("samples")
    if sorted(samples) != [r["step"] for r in evaluated]:
        fail(f"samples at steps {sorted(samples)}, evaluations at {[r['step'] for r in evaluated]}")
    config = series("config")
    text = next(iter(config.values())).item().decode()
    if '"model"' not in text:
        fail("the config text does not hold the resolved config")
    for tag in ("samples", "config"):
        metadata = accumulator.SummaryMetadata(tag)
        if metadata.plugin_data.plugin_name != "text":
            fail(f"{tag} is not a text-plugin summary")
    print(
        f"check_tensorboard: {run}: {len(records)} records, {len(evaluated)} evaluations, "
        f"{len(samples)} samples, every scalar and text read by TensorBoard's EventAccumulator"
    )


main()
