"""A sentence-transformers BERT encoder (all-MiniLM-L6-v2) in numpy, for scripts/make_real_set.py.

sentence-transformers needs torch, whose PyPI wheel for Linux is a 540 MB CUDA build that pulls
several GB of NVIDIA libraries. The model is small (6 layers, 384 wide), so its forward pass is
written here in numpy and reads the model's own files:

    <model dir>/model.safetensors          BertModel weights (float32)
    <model dir>/config.json                layers, heads, widths, layer_norm_eps, hidden_act
    <model dir>/tokenizer.json             WordPiece tokenizer (the `tokenizers` package)
    <model dir>/sentence_bert_config.json  max_seq_length (256 for all-MiniLM-L6-v2)
    <model dir>/1_Pooling/config.json      pooling: mean over tokens
    <model dir>/modules.json               a Normalize module: unit-length output

It computes what `SentenceTransformer(dir).encode(texts)` computes: WordPiece ids with [CLS]
and [SEP], truncated to max_seq_length; token + position + token-type embeddings and LayerNorm;
per layer self-attention (padding masked out), dense + residual + LayerNorm, GELU (erf)
feed-forward + residual + LayerNorm; the mean of the last hidden states over the real tokens;
then (when modules.json has Normalize) division by the L2 norm. Texts are batched by length so
that padding costs little. Needs numpy, scipy, tokenizers and safetensors.
"""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np


def gelu(x: np.ndarray) -> np.ndarray:
    """The exact GELU BERT uses (hidden_act "gelu"): x/2 * (1 + erf(x / sqrt 2))."""
    from scipy.special import erf

    e = erf(x * np.float32(1.0 / math.sqrt(2.0)))
    e += np.float32(1.0)
    e *= x
    e *= np.float32(0.5)
    return e


def layer_norm(x: np.ndarray, weight: np.ndarray, bias: np.ndarray, eps: float) -> np.ndarray:
    mean = x.mean(axis=-1, keepdims=True)
    var = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
    return (x - mean) / np.sqrt(var + eps) * weight + bias


class SentenceEncoder:
    """`encode(texts)` -> float32 (len(texts), hidden) sentence embeddings."""

    def __init__(self, model_dir: Path, normalize: bool | None = None):
        from safetensors.numpy import load_file
        from tokenizers import Tokenizer

        model_dir = Path(model_dir)
        cfg = json.loads((model_dir / "config.json").read_text())
        if cfg.get("model_type") != "bert" or cfg.get("hidden_act") != "gelu":
            raise ValueError(f"{model_dir}: not a BERT model with GELU: {cfg.get('model_type')}")
        if cfg.get("position_embedding_type", "absolute") != "absolute":
            raise ValueError(f"{model_dir}: position embeddings not absolute")
        self.layers = int(cfg["num_hidden_layers"])
        self.heads = int(cfg["num_attention_heads"])
        self.hidden = int(cfg["hidden_size"])
        self.eps = float(cfg["layer_norm_eps"])
        st = json.loads((model_dir / "sentence_bert_config.json").read_text())
        self.max_len = min(int(st["max_seq_length"]), int(cfg["max_position_embeddings"]))
        pooling = json.loads((model_dir / "1_Pooling" / "config.json").read_text())
        if not pooling.get("pooling_mode_mean_tokens") or any(
            pooling.get(k) for k in ("pooling_mode_cls_token", "pooling_mode_max_tokens",
                                     "pooling_mode_mean_sqrt_len_tokens")):
            raise ValueError(f"{model_dir}: only mean pooling is implemented: {pooling}")
        modules = json.loads((model_dir / "modules.json").read_text())
        has_norm = any(m["type"].endswith(".Normalize") for m in modules)
        self.normalize = has_norm if normalize is None else normalize

        w = load_file(str(model_dir / "model.safetensors"))
        w = {k.removeprefix("bert."): v.astype(np.float32, copy=False) for k, v in w.items()}
        self.w = w
        # Weights as (in, out) so that x @ W; Q, K, V fused into one matrix.
        self.blocks = []
        for i in range(self.layers):
            p = f"encoder.layer.{i}."
            qkv_w = np.concatenate([w[p + f"attention.self.{n}.weight"] for n in
                                    ("query", "key", "value")], axis=0).T.copy()
            qkv_b = np.concatenate([w[p + f"attention.self.{n}.bias"] for n in
                                    ("query", "key", "value")])
            self.blocks.append({
                "qkv_w": qkv_w, "qkv_b": qkv_b,
                "o_w": w[p + "attention.output.dense.weight"].T.copy(),
                "o_b": w[p + "attention.output.dense.bias"],
                "ln1_w": w[p + "attention.output.LayerNorm.weight"],
                "ln1_b": w[p + "attention.output.LayerNorm.bias"],
                "i_w": w[p + "intermediate.dense.weight"].T.copy(),
                "i_b": w[p + "intermediate.dense.bias"],
                "out_w": w[p + "output.dense.weight"].T.copy(),
                "out_b": w[p + "output.dense.bias"],
                "ln2_w": w[p + "output.LayerNorm.weight"],
                "ln2_b": w[p + "output.LayerNorm.bias"],
            })
        tok = Tokenizer.from_file(str(model_dir / "tokenizer.json"))
        tok.no_padding()
        tok.enable_truncation(max_length=self.max_len)
        self.tokenizer = tok

    def _forward(self, ids: np.ndarray, mask: np.ndarray) -> np.ndarray:
        """Last hidden states mean-pooled over the mask: (batch, hidden)."""
        w, b_, t = self.w, ids.shape[0], ids.shape[1]
        h, nh = self.hidden, self.heads
        hd = h // nh
        x = (w["embeddings.word_embeddings.weight"][ids]
             + w["embeddings.position_embeddings.weight"][None, :t]
             + w["embeddings.token_type_embeddings.weight"][0][None, None])
        x = layer_norm(x, w["embeddings.LayerNorm.weight"], w["embeddings.LayerNorm.bias"],
                       self.eps)
        # Additive mask: padded keys get a large negative score (as transformers' finfo.min).
        att_mask = np.where(mask[:, None, None, :] > 0, 0.0,
                            np.finfo(np.float32).min).astype(np.float32)
        scale = np.float32(1.0 / math.sqrt(hd))
        x = x.reshape(b_ * t, h)  # dense layers as 2-D products (BLAS sgemm)
        for blk in self.blocks:
            qkv = x @ blk["qkv_w"] + blk["qkv_b"]  # (b*t, 3h)
            qkv = qkv.reshape(b_, t, 3, nh, hd).transpose(2, 0, 3, 1, 4)  # (3, b, nh, t, hd)
            q, k, v = (np.ascontiguousarray(a) for a in qkv)
            s = (q @ k.transpose(0, 1, 3, 2)) * scale + att_mask  # (b, nh, t, t)
            s -= s.max(axis=-1, keepdims=True)
            np.exp(s, out=s)
            s /= s.sum(axis=-1, keepdims=True)
            ctx = (s @ v).transpose(0, 2, 1, 3).reshape(b_ * t, h)
            x = layer_norm(ctx @ blk["o_w"] + blk["o_b"] + x, blk["ln1_w"], blk["ln1_b"],
                           self.eps)
            inner = gelu(x @ blk["i_w"] + blk["i_b"])
            x = layer_norm(inner @ blk["out_w"] + blk["out_b"] + x, blk["ln2_w"], blk["ln2_b"],
                           self.eps)
        x = x.reshape(b_, t, h)
        m = mask[:, :, None].astype(np.float32)
        return (x * m).sum(axis=1) / np.maximum(m.sum(axis=1), 1e-9)

    def token_ids(self, texts: list) -> list:
        return [e.ids for e in self.tokenizer.encode_batch(list(texts))]

    def encode(self, texts: list, batch_tokens: int = 8192) -> np.ndarray:
        """Embeddings of `texts` in their order. Batches hold texts of similar length, about
        `batch_tokens` tokens (padding included) each."""
        ids = self.token_ids(texts)
        order = np.argsort([len(i) for i in ids], kind="stable")
        out = np.empty((len(texts), self.hidden), dtype=np.float32)
        start = 0
        while start < len(order):
            # Sorted by length: grow the batch while (texts x its longest) fits batch_tokens.
            n = 1
            while (start + n < len(order)
                   and (n + 1) * len(ids[order[start + n]]) <= batch_tokens):
                n += 1
            chunk = order[start:start + n]
            t = len(ids[chunk[-1]])
            arr = np.zeros((len(chunk), t), dtype=np.int64)
            mask = np.zeros((len(chunk), t), dtype=np.int64)
            for row, i in enumerate(chunk):
                arr[row, :len(ids[i])] = ids[i]
                mask[row, :len(ids[i])] = 1
            out[chunk] = self._forward(arr, mask)
            start += len(chunk)
        if self.normalize:
            out /= np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out
