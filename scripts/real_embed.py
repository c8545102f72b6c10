"""Texts to vectors for scripts/make_real_set.py: a sentence model (scripts/minilm.py), cached
and resumable, and GloVe power-mean sentence vectors.

`encode_cached` splits the texts (sorted by length, so that a batch pads little) into parts of
`part` texts and saves each part's raw (unnormalised) embeddings as
`<cache>/part-NNNNN.npy` as soon as it is done (written to a temporary name, then renamed): a
run that is stopped and started again encodes only the parts that are missing. The cache folder
is named by the model and a hash of the texts, so another text list never reuses it.

`glove_power_means` is the concatenated power-mean sentence embedding of Rücklé et al. (2018,
"Concatenated Power Mean Word Embeddings as Universal Cross-Lingual Sentence Representations")
with p = 1, +inf, -inf: the mean, the maximum and the minimum, per dimension, of the GloVe
vectors of a text's words (3 x 50 = 150 dimensions for GloVe 6B 50-d).
"""

from __future__ import annotations

import hashlib
import os
import re
import sys
import time
from pathlib import Path

import numpy as np


def texts_key(texts: list) -> str:
    h = hashlib.sha256()
    for t in texts:
        h.update(t.encode("utf-8"))
        h.update(b"\0")
    return h.hexdigest()[:16]


def _save_npy(path: Path, x: np.ndarray) -> None:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    with open(tmp, "wb") as f:
        np.save(f, x)
    os.replace(tmp, path)


def encode_cached(texts: list, model_dir: Path, cache: Path, part: int = 5000,
                  log=lambda m: print(m, file=sys.stderr, flush=True)) -> tuple:
    """(texts in the order encoded, their raw float32 embeddings), reusing finished parts."""
    from minilm import SentenceEncoder

    order = sorted(texts, key=lambda t: (len(t), t))
    folder = cache / f"minilm-{texts_key(order)}-n{len(order)}"
    folder.mkdir(parents=True, exist_ok=True)
    parts = [(i, order[s:s + part]) for i, s in enumerate(range(0, len(order), part))]
    todo = [(i, chunk) for i, chunk in parts if not (folder / f"part-{i:05d}.npy").exists()]
    log(f"embedding {len(order):,} texts in {len(parts)} parts of {part} under {folder}: "
        f"{len(parts) - len(todo)} done before, {len(todo)} to go")
    if todo:
        enc = SentenceEncoder(model_dir, normalize=False)
        t0, done_texts = time.perf_counter(), 0
        for n, (i, chunk) in enumerate(todo, 1):
            _save_npy(folder / f"part-{i:05d}.npy", enc.encode(chunk))
            done_texts += len(chunk)
            rate = done_texts / (time.perf_counter() - t0)
            left = sum(len(c) for _, c in todo[n:])
            log(f"  part {i + 1}/{len(parts)}: {rate:.0f} texts/s, about {left / rate / 60:.0f} "
                "min left")
    out = np.concatenate([np.load(folder / f"part-{i:05d}.npy") for i, _ in parts])
    if out.shape[0] != len(order):
        raise RuntimeError(f"{folder}: {out.shape[0]} rows cached for {len(order)} texts")
    return order, out


_WORD = re.compile(r"[a-z0-9]+(?:['.-][a-z0-9]+)*")


def glove_power_means(texts: list, vocab: list, vectors: np.ndarray) -> tuple:
    """(the texts kept, their (n, 3 * dim) float32 [mean | max | min] GloVe vectors). A text's
    words are its lower-cased runs of letters and digits (with inner ' . -); words outside the
    vocabulary are skipped, and a text with no word in it is dropped."""
    index = {w: i for i, w in enumerate(vocab)}
    dim = vectors.shape[1]
    kept, rows = [], []
    for t in texts:
        ids = [index[w] for w in _WORD.findall(t.lower()) if w in index]
        if not ids:
            continue
        v = vectors[ids]
        rows.append(np.concatenate([v.mean(axis=0), v.max(axis=0), v.min(axis=0)]))
        kept.append(t)
    out = np.asarray(rows, dtype=np.float32).reshape(len(kept), 3 * dim)
    return kept, out


def drop_duplicate_rows(x: np.ndarray) -> np.ndarray:
    """The rows of `x` each once (the first of equal rows kept), in their order. An uncased
    model gives 'Apple' and 'apple' one vector; a base set should not hold it twice."""
    _, first = np.unique(np.ascontiguousarray(x), axis=0, return_index=True)
    return x[np.sort(first)]
