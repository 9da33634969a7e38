#!/usr/bin/env python3
"""Independent NumPy forward pass of a MiniMax-M1 / MiniMax-Text-01 checkpoint.

Written from /work/shared/DESIGN.md sections 1.1-1.6, not from transformers. It reads a checkpoint
directory in either config dialect (transformers `minimax` or original `minimax_m1`) and either
tensor naming (per-expert `block_sparse_moe.experts.{e}.w{1,2,3}` or fused
`mlp.experts.gate_up_proj` / `mlp.experts.down_proj`), with one `model.safetensors` or shards
listed in `model.safetensors.index.json`. Derived buffers (slope_rate, *_decay, inv_freq) in the
file are ignored and recomputed.

Computation is float64 throughout (weights are widened from bf16/f16/f32 exactly).
Lightning attention is the plain per-token recurrence S_t = lam*S_{t-1} + k_t^T v_t,
o_t = q_t S_t (no blocks), so it is independent of the block-wise algorithm.

Usage:
    python numpy_reference.py DIR --ids 1,2,3 [--out logits.npy] [--hidden-out hs.npy]
"""
import argparse
import json
import math
import os
import struct
import sys

import numpy as np

DERIVED_SUFFIXES = ("slope_rate", "query_decay", "key_decay", "diagonal_decay", "inv_freq",
                    "original_inv_freq")


# ----------------------------------------------------------------------------- safetensors reader
def _read_safetensors(path):
    """Minimal safetensors reader (header JSON + raw little-endian bytes) -> {name: float64 array}."""
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n].decode("utf-8"))
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        start, end = info["data_offsets"]
        raw = data[base + start: base + end]
        shape = tuple(info["shape"])
        dt = info["dtype"]
        if dt == "F32":
            arr = np.frombuffer(raw, dtype="<f4")
        elif dt == "F16":
            arr = np.frombuffer(raw, dtype="<f2")
        elif dt == "F64":
            arr = np.frombuffer(raw, dtype="<f8")
        elif dt == "BF16":
            u16 = np.frombuffer(raw, dtype="<u2").astype(np.uint32)
            arr = (u16 << 16).view(np.float32)
        else:
            raise ValueError(f"{path}: tensor {name}: unsupported dtype {dt}")
        out[name] = arr.astype(np.float64).reshape(shape)
    return out


def load_tensors(model_dir):
    index = os.path.join(model_dir, "model.safetensors.index.json")
    tensors = {}
    if os.path.exists(index):
        with open(index) as f:
            wm = json.load(f)["weight_map"]
        for fname in sorted(set(wm.values())):
            part = _read_safetensors(os.path.join(model_dir, fname))
            for k, v in part.items():
                if wm.get(k) == fname:
                    tensors[k] = v
    else:
        tensors = _read_safetensors(os.path.join(model_dir, "model.safetensors"))
    return {k: v for k, v in tensors.items() if not k.endswith(DERIVED_SUFFIXES)}


# ----------------------------------------------------------------------------- config
class Config:
    """Both dialects normalised to one set of fields."""

    def __init__(self, raw):
        self.raw = raw
        self.vocab = raw["vocab_size"]
        self.D = raw["hidden_size"]
        self.L = raw["num_hidden_layers"]
        self.H = raw["num_attention_heads"]
        self.Hkv = raw.get("num_key_value_heads") or self.H
        self.d = raw.get("head_dim") or self.D // self.H
        self.I = raw["intermediate_size"]
        self.E = raw["num_local_experts"]
        self.k = raw["num_experts_per_tok"]
        self.eps = raw.get("rms_norm_eps", 1e-5)
        self.block_size = raw.get("block_size", 256)  # irrelevant for the recurrence
        if raw.get("layer_types") is not None:
            self.kinds = ["lin" if t == "linear_attention" else "full" for t in raw["layer_types"]]
        elif raw.get("attn_type_list") is not None:
            self.kinds = ["full" if int(t) == 1 else "lin" for t in raw["attn_type_list"]]
        else:  # transformers' default plan: full at even layers, linear at odd
            self.kinds = ["full" if (i + 1) % 2 else "lin" for i in range(self.L)]
        assert len(self.kinds) == self.L, "layer plan length != num_hidden_layers"

        def fac(new, old):
            if new in raw:
                return float(raw[new])
            if old in raw:
                return float(raw[old])
            return 1.0

        self.alpha = {
            "full": fac("full_attn_alpha_factor", "layernorm_full_attention_alpha"),
            "lin": fac("linear_attn_alpha_factor", "layernorm_linear_attention_alpha"),
            "mlp": fac("mlp_alpha_factor", "layernorm_mlp_alpha"),
        }
        self.beta = {
            "full": fac("full_attn_beta_factor", "layernorm_full_attention_beta"),
            "lin": fac("linear_attn_beta_factor", "layernorm_linear_attention_beta"),
            "mlp": fac("mlp_beta_factor", "layernorm_mlp_beta"),
        }
        rp = raw.get("rope_parameters") or {}
        if "rope_theta" in rp:
            self.theta = float(rp["rope_theta"])
        elif "rope_theta" in raw:
            self.theta = float(raw["rope_theta"])
        else:
            self.theta = 1e6
        rd = raw.get("rotary_dim")
        prf = raw.get("partial_rotary_factor", rp.get("partial_rotary_factor"))
        if rd is not None:
            self.rotary_dim = int(rd)
        elif prf is not None:
            self.rotary_dim = int(self.d * float(prf))
        else:
            self.rotary_dim = self.d
        assert 0 < self.rotary_dim <= self.d and self.rotary_dim % 2 == 0


def load_config(model_dir):
    with open(os.path.join(model_dir, "config.json")) as f:
        return Config(json.load(f))


# ----------------------------------------------------------------------------- ops
def rms_norm(x, w, eps):
    var = np.mean(x * x, axis=-1, keepdims=True)
    return x / np.sqrt(var + eps) * w


def silu(x):
    return x / (1.0 + np.exp(-x))


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def slopes(cfg, layer, formula="transformers"):
    """Per-head decay rate s_h (DESIGN 1.3 step 4)."""
    h = np.arange(1, cfg.H + 1, dtype=np.float64)
    base = 2.0 ** (-8.0 * h / cfg.H)
    if formula == "transformers":
        factor = 1.0 - layer / (cfg.L - 1 + 1e-5) + 1e-5
    else:  # original remote code
        factor = (1.0 - layer / (cfg.L - 1) + 1e-5) if cfg.L > 1 else (1.0 + 1e-5)
    return base * factor


def lightning(cfg, W, l, x, formula="transformers"):
    # x: [T, D]
    T = x.shape[0]
    H, d = cfg.H, cfg.d
    p = f"model.layers.{l}.self_attn."
    qkv = silu(x @ W[p + "qkv_proj.weight"].T).reshape(T, H, 3 * d)  # [T, H, 3d], per-head [q|k|v]
    q, k, v = qkv[..., :d], qkv[..., d:2 * d], qkv[..., 2 * d:]
    lam = np.exp(-slopes(cfg, l, formula))  # [H]
    o = np.zeros((T, H, d))
    for h in range(H):
        S = np.zeros((d, d))
        for t in range(T):
            S = lam[h] * S + np.outer(k[t, h], v[t, h])
            o[t, h] = q[t, h] @ S
    o = o.reshape(T, H * d)
    o = rms_norm(o, W[p + "norm.weight"], 1e-6)
    o = sigmoid(x @ W[p + "output_gate.weight"].T) * o
    return o @ W[p + "out_proj.weight"].T


def rope(x, pos, cfg):
    # x: [T, heads, d]; NeoX rotate-half on the first rotary_dim dims
    r = cfg.rotary_dim
    inv_freq = 1.0 / (cfg.theta ** (np.arange(0, r, 2, dtype=np.float64) / r))  # [r/2]
    ang = pos[:, None].astype(np.float64) * inv_freq[None, :]  # [T, r/2]
    cos = np.cos(ang)[:, None, :]
    sin = np.sin(ang)[:, None, :]
    xr, xp = x[..., :r], x[..., r:]
    x1, x2 = xr[..., : r // 2], xr[..., r // 2:]
    out = np.concatenate([x1 * cos - x2 * sin, x2 * cos + x1 * sin], axis=-1)
    return np.concatenate([out, xp], axis=-1)


def softmax_attn(cfg, W, l, x):
    T = x.shape[0]
    H, Hkv, d = cfg.H, cfg.Hkv, cfg.d
    p = f"model.layers.{l}.self_attn."
    q = (x @ W[p + "q_proj.weight"].T).reshape(T, H, d)
    k = (x @ W[p + "k_proj.weight"].T).reshape(T, Hkv, d)
    v = (x @ W[p + "v_proj.weight"].T).reshape(T, Hkv, d)
    pos = np.arange(T)
    q = rope(q, pos, cfg)
    k = rope(k, pos, cfg)
    group = H // Hkv
    mask = np.triu(np.ones((T, T), dtype=bool), 1)
    o = np.zeros((T, H, d))
    for h in range(H):
        kv = h // group
        s = q[:, h] @ k[:, kv].T / math.sqrt(d)
        s[mask] = -np.inf
        s = s - s.max(axis=-1, keepdims=True)
        pr = np.exp(s)
        pr /= pr.sum(axis=-1, keepdims=True)
        o[:, h] = pr @ v[:, kv]
    return o.reshape(T, H * d) @ W[p + "o_proj.weight"].T


def expert_weights(cfg, W, l):
    """-> list of (w1 [I,D], w3 [I,D], w2 [D,I]) and router [E, D], from either naming."""
    p = f"model.layers.{l}."
    if p + "block_sparse_moe.gate.weight" in W:
        gate = W[p + "block_sparse_moe.gate.weight"]
        ex = [(W[p + f"block_sparse_moe.experts.{e}.w1.weight"],
               W[p + f"block_sparse_moe.experts.{e}.w3.weight"],
               W[p + f"block_sparse_moe.experts.{e}.w2.weight"]) for e in range(cfg.E)]
    else:
        gate = W[p + "mlp.gate.weight"]
        gu = W[p + "mlp.experts.gate_up_proj"]  # [E, 2I, D], gate rows first
        dn = W[p + "mlp.experts.down_proj"]  # [E, D, I]
        ex = [(gu[e, :cfg.I], gu[e, cfg.I:], dn[e]) for e in range(cfg.E)]
    return gate, ex


def moe(cfg, W, l, x, stats=None):
    gate, ex = expert_weights(cfg, W, l)
    logits = x @ gate.T  # [T, E]
    z = logits - logits.max(-1, keepdims=True)
    prob = np.exp(z)
    prob /= prob.sum(-1, keepdims=True)
    order = np.argsort(-prob, axis=-1, kind="stable")
    y = np.zeros_like(x)
    for t in range(x.shape[0]):
        top = order[t, :cfg.k]
        w = prob[t, top] / prob[t, top].sum()
        if stats is not None and cfg.k < cfg.E:
            # routing margin: router-logit gap between the k-th and (k+1)-th expert
            gap = logits[t, order[t, cfg.k - 1]] - logits[t, order[t, cfg.k]]
            stats["min_route_gap"] = min(stats.get("min_route_gap", np.inf), float(gap))
        for e, we in zip(top, w):
            w1, w3, w2 = ex[e]
            y[t] += we * ((silu(w1 @ x[t]) * (w3 @ x[t])) @ w2.T)
    return y


def forward(model_dir, ids, slope_formula="transformers", stats=None):
    """-> (logits [T, vocab], hidden [L+1, T, D]) in float64."""
    cfg = load_config(model_dir)
    W = load_tensors(model_dir)
    h = W["model.embed_tokens.weight"][np.asarray(ids)]
    hidden = [h]
    for l, kind in enumerate(cfg.kinds):
        p = f"model.layers.{l}."
        n1 = rms_norm(h, W[p + "input_layernorm.weight"], cfg.eps)
        a = lightning(cfg, W, l, n1, slope_formula) if kind == "lin" else softmax_attn(cfg, W, l, n1)
        h = cfg.alpha[kind] * n1 + cfg.beta[kind] * a
        n2 = rms_norm(h, W[p + "post_attention_layernorm.weight"], cfg.eps)
        h = cfg.alpha["mlp"] * n2 + cfg.beta["mlp"] * moe(cfg, W, l, n2, stats)
        hidden.append(h)
    hf = rms_norm(h, W["model.norm.weight"], cfg.eps)
    logits = hf @ W["lm_head.weight"].T
    return logits, np.stack(hidden)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model_dir")
    ap.add_argument("--ids", required=True, help="comma-separated token ids")
    ap.add_argument("--out", help="write float32 logits [T, vocab] here")
    ap.add_argument("--hidden-out", help="write float32 hidden states [L+1, T, D] here")
    ap.add_argument("--slope-formula", choices=["transformers", "original"], default="transformers")
    a = ap.parse_args()
    ids = [int(s) for s in a.ids.split(",") if s.strip()]
    logits, hidden = forward(a.model_dir, ids, a.slope_formula)
    if a.out:
        np.save(a.out, logits.astype(np.float32))
    if a.hidden_out:
        np.save(a.hidden_out, hidden.astype(np.float32))
    if not a.out:
        np.set_printoptions(precision=5, suppress=True)
        print(logits)
    return 0


if __name__ == "__main__":
    sys.exit(main())
