#!/usr/bin/env python3
"""Fixtures from Hugging Face `transformers`: tiny random models saved with `save_pretrained`, and their outputs.

    pip install torch transformers safetensors
    python3 Tests/Fixtures/make_hf_fixtures.py          # from the repository root

Writes Tests/SeqModelsTests/Fixtures/hf/bert_tiny/ (config.json, model.safetensors as transformers writes them)
and hf/bert_tiny_outputs.safetensors: a batch of sequences of different lengths (right-padded with 0, with the
attention mask and token type ids) and the model's last hidden states, in float64 compute rounded to float32.
Also hf/gpt2_tiny/ (a random GPT2LMHeadModel, tied head, gelu_new) and hf/gpt2_tiny_outputs.safetensors: the
logits of a batch of two sequences and the 50 token ids greedy decoding appends to a prompt.
Deterministic: a fixed seed, so running it twice gives the same bytes with the same torch and transformers.
"""
import json
import pathlib

import torch
from safetensors.torch import save_file
from transformers import BertConfig, BertModel, GPT2Config, GPT2LMHeadModel

ROOT = pathlib.Path(__file__).resolve().parents[2]
OUT = ROOT / "Tests" / "SeqModelsTests" / "Fixtures" / "hf"


def bert(hidden_act):
    torch.manual_seed(20261205)
    config = BertConfig(
        vocab_size=97, hidden_size=32, num_hidden_layers=2, num_attention_heads=4, intermediate_size=64,
        max_position_embeddings=40, type_vocab_size=2, layer_norm_eps=1e-12, hidden_act=hidden_act,
        hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0)
    model = BertModel(config, add_pooling_layer=False).eval()
    # Bigger than the default 0.02 init, so every layer changes the output visibly; layer-norm gains near 1.
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("LayerNorm.weight") else 0.0))
    name = "bert_tiny" if hidden_act == "gelu" else f"bert_tiny_{hidden_act}"
    folder = OUT / name
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    # Sequences of 7, 3 and 5 tokens, right-padded with 0; the second has token types 1 on its last two.
    lengths = [7, 3, 5]
    g = torch.Generator().manual_seed(7)
    ids = torch.zeros(3, 7, dtype=torch.long)
    types = torch.zeros(3, 7, dtype=torch.long)
    mask = torch.zeros(3, 7, dtype=torch.long)
    for b, n in enumerate(lengths):
        ids[b, :n] = torch.randint(1, 97, (n,), generator=g)
        mask[b, :n] = 1
    types[1, 1:3] = 1
    model64 = model.double()
    with torch.no_grad():
        hidden = model64(input_ids=ids, attention_mask=mask, token_type_ids=types).last_hidden_state
    save_file(
        {"input_ids": ids, "token_type_ids": types, "attention_mask": mask, "hidden": hidden.float().contiguous()},
        str(OUT / f"{name}_outputs.safetensors"),
        metadata={"fixture": json.dumps({"generator": "Tests/Fixtures/make_hf_fixtures.py",
                                          "transformers": __import__("transformers").__version__}, sort_keys=True)})


def gpt2():
    torch.manual_seed(20261206)
    config = GPT2Config(vocab_size=101, n_positions=64, n_embd=32, n_layer=2, n_head=2,
                        activation_function="gelu_new", resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0,
                        layer_norm_epsilon=1e-5, tie_word_embeddings=True)
    model = GPT2LMHeadModel(config).eval()
    with torch.no_grad():
        for name, p in model.named_parameters():
            p.copy_(torch.randn_like(p) * 0.3 + (1.0 if name.endswith("ln_1.weight") or name.endswith("ln_2.weight")
                                                 or name.endswith("ln_f.weight") else 0.0))
    folder = OUT / "gpt2_tiny"
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder, safe_serialization=True)
    g = torch.Generator().manual_seed(11)
    ids = torch.randint(0, 101, (2, 9), generator=g)
    model64 = model.double()
    with torch.no_grad():
        logits = model64(input_ids=ids).logits
        prompt = ids[:1, :5]
        generated = model64.generate(prompt, max_new_tokens=50, do_sample=False, pad_token_id=0,
                                     attention_mask=torch.ones_like(prompt))
    save_file({"input_ids": ids, "logits": logits.float().contiguous(), "prompt": prompt[0].clone(),
               "greedy": generated[0, 5:].clone()},
              str(OUT / "gpt2_tiny_outputs.safetensors"),
              metadata={"fixture": json.dumps({"generator": "Tests/Fixtures/make_hf_fixtures.py",
                                                "transformers": __import__("transformers").__version__},
                                               sort_keys=True)})


if __name__ == "__main__":
    gpt2()
    bert("gelu")
    bert("gelu_new")
    for path in sorted(OUT.rglob("*")):
        if path.is_file():
            print(path.relative_to(ROOT), path.stat().st_size)
