#!/usr/bin/env python3
"""Generate the parity fixtures in Tests/MiniMaxTests/Fixtures/parity/.

Each case is a tiny random MiniMaxForCausalLM (transformers, float32), re-randomised so that
bugs show, saved with save_pretrained (optionally bf16 / sharded / edited config), plus
    case.json           {"ids", "description", "reference", ...}
    logits.npy          float32 [T, vocab]       model(input_ids).logits, no mask, use_cache=False
    hidden_states.npy   float32 [L+1, T, hidden] [0] = embeddings, [l+1] = output of decoder layer l
                                                 (before the final norm)
The reference always runs the checkpoint AS SAVED, loaded back in float32 (bf16 weights widened),
with the derived lightning buffers recomputed in float32. Every transformers-referenced case is
also checked against the independent NumPy implementation (numpy_reference.py), rel err <= 1e-5.

Run from the repository root:
    /work/main/.venv-ref/bin/python scripts/parity/make_fixtures.py [--out DIR] [--only a,b]
"""
import argparse
import json
import math
import os
import shutil
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import numpy_reference as npref  # noqa: E402

import transformers  # noqa: E402
from transformers import MiniMaxConfig, MiniMaxForCausalLM  # noqa: E402
from transformers.models.minimax.modeling_minimax import MiniMaxLightningAttention  # noqa: E402
from safetensors.torch import load_file, save_file  # noqa: E402

torch.set_num_threads(2)
transformers.logging.set_verbosity_error()
transformers.utils.logging.disable_progress_bar()
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DEFAULT_OUT = os.path.join(REPO, "Tests", "MiniMaxTests", "Fixtures", "parity")
DERIVED = ("slope_rate", "query_decay", "key_decay", "diagonal_decay", "inv_freq")
REF_TF = f"transformers {transformers.__version__} float32"
REF_NP = "numpy (scripts/parity/numpy_reference.py)"
NP_TOL = 1e-5


def rel_err(a, b):
    a = np.asarray(a, np.float64)
    b = np.asarray(b, np.float64)
    return float(np.linalg.norm(a - b) / max(np.linalg.norm(b), 1e-30))


# ----------------------------------------------------------------------------- model building
def randomize(model, seed):
    """Re-randomise every parameter so that activations stay O(1) but nothing is trivial."""
    g = torch.Generator().manual_seed(seed)
    cfg = model.config
    D = cfg.hidden_size
    with torch.no_grad():
        for name, p in model.named_parameters():
            def normal(std, mean=0.0):
                p.copy_(torch.randn(p.shape, generator=g, dtype=torch.float32) * std + mean)
            if name.endswith("norm.weight") or "layernorm" in name:
                normal(0.1, 1.0)  # RMSNorm gains around 1 +- 0.1
            elif "embed_tokens" in name:
                normal(1.0)
            elif name.endswith("mlp.gate.weight"):
                normal(3.0 / math.sqrt(D))  # router logits ~ N(0, 9): clearly non-uniform routing
            elif name.endswith("experts.gate_up_proj"):
                normal(1.0 / math.sqrt(D))
            elif name.endswith("experts.down_proj"):
                normal(1.0 / math.sqrt(cfg.intermediate_size))
            elif name.endswith(("o_proj.weight", "out_proj.weight")):
                normal(1.0 / math.sqrt(p.shape[1]))
            elif name.endswith("k_proj.weight"):
                normal(1.5 / math.sqrt(D))  # somewhat peaked softmax
            elif name.endswith(("q_proj.weight", "v_proj.weight", "qkv_proj.weight",
                                "output_gate.weight")):
                normal(1.0 / math.sqrt(D))
            elif name == "lm_head.weight":
                normal(2.0 / math.sqrt(D))
            else:
                raise RuntimeError(f"randomize: unhandled parameter {name}")


def recompute_derived(model):
    """Recompute the lightning decay buffers in float32 (the file's copies are ignored)."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, MiniMaxLightningAttention):
                s = m.get_slope_rate().to(torch.float32)
                qd, kd, dd = m.decay_factors(s)
                m.slope_rate = s
                m.query_decay = qd
                m.key_decay = kd
                m.diagonal_decay = dd


def build_model(cfg_kwargs, seed):
    torch.manual_seed(seed)
    cfg = MiniMaxConfig(**cfg_kwargs)
    cfg._attn_implementation = "eager"
    model = MiniMaxForCausalLM(cfg).eval().to(torch.float32)
    randomize(model, seed)
    return model


# ----------------------------------------------------------------------------- checkpoint edits
def _shard_files(d):
    idx = os.path.join(d, "model.safetensors.index.json")
    if os.path.exists(idx):
        with open(idx) as f:
            return sorted(set(json.load(f)["weight_map"].values()))
    return ["model.safetensors"]


def strip_derived(d):
    """Remove derived lightning buffers from the saved tensors (and from the index)."""
    idx = os.path.join(d, "model.safetensors.index.json")
    removed = 0
    for fn in _shard_files(d):
        path = os.path.join(d, fn)
        t = load_file(path)
        keep = {k: v for k, v in t.items() if not k.endswith(DERIVED)}
        removed += len(t) - len(keep)
        save_file(keep, path, metadata={"format": "pt"})
    if os.path.exists(idx):
        with open(idx) as f:
            j = json.load(f)
        j["weight_map"] = {k: v for k, v in j["weight_map"].items() if not k.endswith(DERIVED)}
        total = 0
        for fn in _shard_files(d):
            for v in load_file(os.path.join(d, fn)).values():
                total += v.numel() * v.element_size()
        j.setdefault("metadata", {})["total_size"] = total
        with open(idx, "w") as f:
            json.dump(j, f, indent=2, sort_keys=True)
            f.write("\n")
    return removed


def mixed_dtype_of(name):
    """Per-tensor dtypes like a real release: router and norms fp32, down proj fp16, rest bf16."""
    if name.endswith(("gate.weight", "norm.weight", "layernorm.weight")) and "output_gate" not in name:
        return torch.float32
    if name.endswith(".w2.weight"):
        return torch.float16
    return torch.bfloat16


def mix_dtypes(d):
    for fn in _shard_files(d):
        path = os.path.join(d, fn)
        t = load_file(path)
        save_file({k: v.to(mixed_dtype_of(k)).contiguous() for k, v in t.items()}, path,
                  metadata={"format": "pt"})


def edit_config(d, drop=(), add=None):
    path = os.path.join(d, "config.json")
    with open(path) as f:
        c = json.load(f)
    for k in drop:
        c.pop(k, None)
    c.update(add or {})
    with open(path, "w") as f:
        json.dump(c, f, indent=2, sort_keys=True)
        f.write("\n")


def save_checkpoint(model, d, dtype="fp32", shard=None, strip=False, drop_layer_types=False,
                    config_add=None, config_drop=()):
    if os.path.exists(d):
        shutil.rmtree(d)
    m = model
    if dtype == "bf16":
        m = model.to(torch.bfloat16)
    kw = {"max_shard_size": shard} if shard else {}
    m.save_pretrained(d, **kw)
    if dtype == "bf16":
        model.to(torch.float32)
    gen = os.path.join(d, "generation_config.json")
    if os.path.exists(gen):
        os.remove(gen)  # not needed by the engine; keeps fixtures minimal
    if strip:
        strip_derived(d)
    if dtype == "mixed":
        mix_dtypes(d)
    drop = (["layer_types"] if drop_layer_types else []) + list(config_drop)
    edit_config(d, drop=drop, add=config_add)


def write_original_dialect(src_dir, d, n_shards=2, rotary_dim=None, add=None):
    """Re-save a transformers checkpoint in the original MiniMax-M1 format (DESIGN 1.1/1.6)."""
    if os.path.exists(d):
        shutil.rmtree(d)
    os.makedirs(d)
    with open(os.path.join(src_dir, "config.json")) as f:
        c = json.load(f)
    L = c["num_hidden_layers"]
    lt = c.get("layer_types") or ["full_attention" if (i + 1) % 2 else "linear_attention"
                                  for i in range(L)]
    hd = c.get("head_dim") or c["hidden_size"] // c["num_attention_heads"]
    oc = {
        "architectures": ["MiniMaxM1ForCausalLM"],
        "model_type": "minimax_m1",
        "attention_dropout": 0.0,
        "attn_type_list": [1 if t == "full_attention" else 0 for t in lt],
        "bos_token_id": None,
        "eos_token_id": None,
        "head_dim": hd,
        "hidden_act": "silu",
        "hidden_size": c["hidden_size"],
        "initializer_range": 0.02,
        "intermediate_size": c["intermediate_size"],
        "max_position_embeddings": c.get("max_position_embeddings", 4096),
        "num_attention_heads": c["num_attention_heads"],
        "num_experts_per_tok": c["num_experts_per_tok"],
        "num_hidden_layers": L,
        "num_key_value_heads": c["num_key_value_heads"],
        "num_local_experts": c["num_local_experts"],
        "output_router_logits": False,
        "postnorm": True,
        "rms_norm_eps": c["rms_norm_eps"],
        "rope_theta": c["rope_parameters"]["rope_theta"],
        "rotary_dim": rotary_dim if rotary_dim is not None else hd,
        "router_aux_loss_coef": 0.001,
        "router_jitter_noise": 0.0,
        "shared_intermediate_size": 0,
        "shared_moe_mode": "sigmoid",
        "sliding_window": None,
        "tie_word_embeddings": False,
        "transformers_version": "4.45.2",
        "use_cache": True,
        "vocab_size": c["vocab_size"],
    }
    for new, old in [("full_attn", "full_attention"), ("linear_attn", "linear_attention"),
                     ("mlp", "mlp")]:
        oc[f"layernorm_{old}_alpha"] = float(c.get(f"{new}_alpha_factor", 1))
        oc[f"layernorm_{old}_beta"] = float(c.get(f"{new}_beta_factor", 1))
    oc.update(add or {})
    with open(os.path.join(d, "config.json"), "w") as f:
        json.dump(oc, f, indent=2)
        f.write("\n")

    # tensors: from the transformers save (already per-expert w1/w2/w3 names), derived dropped
    tensors = {}
    for fn in _shard_files(src_dir):
        tensors.update(load_file(os.path.join(src_dir, fn)))
    tensors = {k: v for k, v in tensors.items() if not k.endswith(DERIVED)}
    for k in list(tensors):
        if ".mlp." in k:  # in case a transformers version saved the fused layout
            raise RuntimeError(f"unexpected fused tensor name {k}")
    names = sorted(tensors)
    # shard 0 = embeddings + first half of layers, shard 1 = the rest (numbered from zero)
    files = [f"model-{i:05d}-of-{n_shards:05d}.safetensors" for i in range(n_shards)]
    wm = {}
    for k in names:
        if k.startswith("model.layers."):
            l = int(k.split(".")[2])
            wm[k] = files[min(n_shards - 1, l * n_shards // L)]
        elif k == "model.embed_tokens.weight":
            wm[k] = files[0]
        else:
            wm[k] = files[-1]
    total = 0
    for fn in files:
        part = {k: tensors[k].contiguous() for k in names if wm[k] == fn}
        total += sum(v.numel() * v.element_size() for v in part.values())
        save_file(part, os.path.join(d, fn), metadata={"format": "pt"})
    with open(os.path.join(d, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": wm}, f, indent=2)
        f.write("\n")


# ----------------------------------------------------------------------------- references
def transformers_reference(d, ids):
    """Load the checkpoint as saved, run float32 -> (logits [T,V], hidden [L+1,T,D]) numpy f32."""
    m = MiniMaxForCausalLM.from_pretrained(d, dtype=torch.float32, attn_implementation="eager")
    m.eval()
    recompute_derived(m)
    return run_model(m, ids)


def run_model(m, ids):
    hs = []
    hooks = [m.model.embed_tokens.register_forward_hook(lambda mod, i, o: hs.append(o.detach()))]
    for layer in m.model.layers:
        hooks.append(layer.register_forward_hook(
            lambda mod, i, o: hs.append((o[0] if isinstance(o, tuple) else o).detach())))
    try:
        with torch.no_grad():
            out = m(torch.tensor([ids], dtype=torch.long), use_cache=False)
    finally:
        for h in hooks:
            h.remove()
    assert len(hs) == m.config.num_hidden_layers + 1
    logits = out.logits[0].float().numpy()
    hidden = torch.stack([h[0].float() for h in hs]).numpy()
    return logits, hidden


def numpy_check(d, ids, logits, hidden, label):
    stats = {}
    nl, nh = npref.forward(d, ids, stats=stats)
    el, eh = rel_err(nl, logits), rel_err(nh, hidden)
    gap = stats.get("min_route_gap")
    msg = f"[{label}] numpy vs reference: logits rel {el:.2e}, hidden rel {eh:.2e}, min route gap {gap}"
    print("   " + msg)
    if not (el <= NP_TOL and eh <= NP_TOL):
        raise SystemExit("FATAL: NumPy reference disagrees with transformers: " + msg)
    return nl, nh, stats


# ----------------------------------------------------------------------------- cases
def _cfg(**kw):
    base = dict(vocab_size=64, hidden_size=32, intermediate_size=16, num_hidden_layers=2,
                num_attention_heads=4, num_key_value_heads=2, head_dim=8, num_local_experts=4,
                num_experts_per_tok=2, max_position_embeddings=4096, bos_token_id=1,
                eos_token_id=2, tie_word_embeddings=False)
    base.update(kw)
    return base


LIN, FULL = "linear_attention", "full_attention"
AB_A = dict(linear_attn_alpha_factor=1.7, linear_attn_beta_factor=0.6,
            full_attn_alpha_factor=1.3, full_attn_beta_factor=0.8,
            mlp_alpha_factor=1.1, mlp_beta_factor=0.45)

CASES = [
    dict(name="a_mixed_explicit", seed=101, T=11,
         description="explicit layer_types [lin,full,lin,full]; 4 heads / 2 KV heads, head_dim 12 "
                     "(hidden 32); T=11 < block_size 32; alpha/beta != 1 (different per sub-layer); "
                     "top-2 of 4; rope_theta 1e4, rms_norm_eps 1e-6; fp32, single file; derived "
                     "lightning buffers present in the file",
         cfg=_cfg(vocab_size=96, num_hidden_layers=4, layer_types=[LIN, FULL, LIN, FULL],
                  head_dim=12, block_size=32, intermediate_size=24, rms_norm_eps=1e-6,
                  rope_parameters={"rope_type": "default", "rope_theta": 10000.0}, **AB_A)),
    dict(name="b_heads3_gqa3_exact_block", seed=202, T=16,
         description="3 heads (not a power of two), 1 KV head (GQA 3), head_dim 10 (hidden 24); "
                     "block_size 16 and T = 16 exactly; top-1 of 3 experts; layer_types [lin,full]; "
                     "fp32 single file",
         cfg=_cfg(vocab_size=80, hidden_size=24, num_attention_heads=3, num_key_value_heads=1,
                  head_dim=10, layer_types=[LIN, FULL], block_size=16, num_local_experts=3,
                  num_experts_per_tok=1, intermediate_size=20,
                  linear_attn_alpha_factor=1.4, mlp_beta_factor=0.8)),
    dict(name="c_bf16_sharded_default_plan", seed=303, T=45, dtype="bf16", shard="100KB",
         drop_layer_types=True,
         description="block_size 8, T=45 (5 full blocks + ragged 5); 6 heads / 2 KV heads, head_dim "
                     "12 (hidden 48); layer_types ABSENT from config.json (transformers default: "
                     "full at even layers, linear at odd); 4 layers; bf16 checkpoint (derived "
                     "buffers saved in bf16 too), sharded with index; reference = the saved bf16 "
                     "weights widened to fp32",
         cfg=_cfg(vocab_size=128, hidden_size=48, num_hidden_layers=4, num_attention_heads=6,
                  num_key_value_heads=2, head_dim=12, block_size=8, intermediate_size=24,
                  rope_parameters={"rope_type": "default", "rope_theta": 50000.0},
                  rms_norm_eps=1e-5, linear_attn_alpha_factor=1.2, full_attn_beta_factor=0.9)),
    dict(name="d_block256_T300", seed=404, T=300, strip=True, config_drop=["block_size"],
         description="default block_size (key removed from config.json -> 256) with T=300: two "
                     "blocks, the last ragged (44); layer_types [lin,full]; 2 heads, no GQA; "
                     "default rope_theta 1e6; derived buffers removed from the file",
         cfg=_cfg(vocab_size=64, num_attention_heads=2, num_key_value_heads=2, head_dim=16,
                  layer_types=[LIN, FULL])),
    dict(name="e_gqa8", seed=505, T=20,
         description="GQA 8: 8 heads, 1 KV head, head_dim 6 (hidden 32); top-2 of 4; alpha/beta != 1; "
                     "layer_types [full,lin,full]; block_size 16 with T=20 (ragged)",
         cfg=_cfg(num_hidden_layers=3, num_attention_heads=8, num_key_value_heads=1, head_dim=6,
                  layer_types=[FULL, LIN, FULL], block_size=16, linear_attn_alpha_factor=2.0,
                  linear_attn_beta_factor=0.5, full_attn_alpha_factor=0.9,
                  full_attn_beta_factor=1.4, mlp_alpha_factor=1.2, mlp_beta_factor=0.7)),
    dict(name="f_all_lightning", seed=606, T=19,
         description="all three layers lightning; 4 heads, head_dim 8 (= hidden/heads here), "
                     "block_size 8, T=19 (ragged)",
         cfg=_cfg(num_hidden_layers=3, layer_types=[LIN, LIN, LIN], block_size=8,
                  linear_attn_alpha_factor=1.5, linear_attn_beta_factor=0.7)),
    dict(name="g_all_softmax", seed=707, T=13,
         description="both layers softmax; 4 heads / 2 KV heads, head_dim 10; rope_theta 500; "
                     "rms_norm_eps 1e-4",
         cfg=_cfg(layer_types=[FULL, FULL], head_dim=10, rms_norm_eps=1e-4,
                  rope_parameters={"rope_type": "default", "rope_theta": 500.0},
                  full_attn_alpha_factor=1.6, full_attn_beta_factor=0.6)),
    dict(name="k_mixed_dtypes", seed=1111, T=24, dtype="mixed", shard="60KB",
         description="per-tensor dtypes in one checkpoint: router gate and all RMSNorm weights F32, "
                     "experts' w2 (down) F16, everything else (incl. derived buffers) BF16; sharded; "
                     "layer_types [lin,full,lin]; 5 heads / 1 KV head; block_size 8, T=24 (3 full "
                     "blocks); reference = the stored values widened to fp32",
         cfg=_cfg(num_hidden_layers=3, layer_types=[LIN, FULL, LIN], num_attention_heads=5,
                  num_key_value_heads=1, head_dim=8, block_size=8, num_local_experts=5,
                  mlp_alpha_factor=1.3, linear_attn_beta_factor=1.2)),
]
# h, i, j are derived below in main()


def make_ids(vocab, T, seed):
    rng = np.random.RandomState(seed)
    ids = rng.randint(0, vocab, size=T).tolist()
    ids[0] = 1 if T > 1 else ids[0]
    if T > 3:
        ids[-1] = vocab - 1  # exercise the last embedding / lm_head row
    return ids


def write_outputs(d, ids, logits, hidden, description, reference, extra=None):
    meta = {"ids": ids, "description": description, "reference": reference}
    meta.update(extra or {})
    with open(os.path.join(d, "case.json"), "w") as f:
        json.dump(meta, f, indent=2)
        f.write("\n")
    np.save(os.path.join(d, "logits.npy"), np.ascontiguousarray(logits, dtype=np.float32))
    np.save(os.path.join(d, "hidden_states.npy"), np.ascontiguousarray(hidden, dtype=np.float32))


def sanity(logits, label):
    sd = float(np.std(logits, axis=-1).mean())
    spread = float(np.std(logits.argmax(-1)))
    if sd < 0.3:
        raise SystemExit(f"FATAL [{label}]: logits nearly constant (mean std {sd:.3f})")
    return sd, spread


def run_case(case, out_root):
    t0 = time.time()
    d = os.path.join(out_root, case["name"])
    T = case["T"]
    for attempt in range(8):  # re-seed if a routing decision is a near-tie (fragile fixture)
        seed = case["seed"] + 1000 * attempt
        model = build_model(case["cfg"], seed)
        ids = make_ids(model.config.vocab_size, T, seed)
        save_checkpoint(model, d, dtype=case.get("dtype", "fp32"), shard=case.get("shard"),
                        strip=case.get("strip", False),
                        drop_layer_types=case.get("drop_layer_types", False),
                        config_drop=case.get("config_drop", ()))
        logits, hidden = transformers_reference(d, ids)
        if case.get("dtype", "fp32") == "fp32":
            # the in-memory model and the reloaded checkpoint must agree exactly
            ml, _ = run_model(model, ids)
            assert np.array_equal(ml, logits), "save/load changed the fp32 model"
        _, _, stats = numpy_check(d, ids, logits, hidden, case["name"])
        if stats.get("min_route_gap", 1.0) > 2e-3:
            break
        print(f"   near-tie in routing (gap {stats['min_route_gap']:.2e}), re-seeding")
    else:
        raise SystemExit(f"FATAL [{case['name']}]: could not avoid routing near-ties")
    sd, _ = sanity(logits, case["name"])
    write_outputs(d, ids, logits, hidden, case["description"], REF_TF,
                  {"seed": seed, "min_route_gap": stats.get("min_route_gap")})
    print(f"  {case['name']}: T={T} logits std {sd:.2f}  ({time.time() - t0:.1f}s)")
    return d, ids, logits, hidden


def check_fused_naming(src, ids, logits, hidden):
    import tempfile
    with open(os.path.join(src, "config.json")) as f:
        c = json.load(f)
    t = {}
    for fn in _shard_files(src):
        t.update(load_file(os.path.join(src, fn)))
    out = {}
    for l in range(c["num_hidden_layers"]):
        p = f"model.layers.{l}.block_sparse_moe."
        E = c["num_local_experts"]
        out[f"model.layers.{l}.mlp.gate.weight"] = t.pop(p + "gate.weight")
        gu = [torch.cat([t.pop(p + f"experts.{e}.w1.weight"), t.pop(p + f"experts.{e}.w3.weight")])
              for e in range(E)]
        out[f"model.layers.{l}.mlp.experts.gate_up_proj"] = torch.stack(gu).contiguous()
        out[f"model.layers.{l}.mlp.experts.down_proj"] = torch.stack(
            [t.pop(p + f"experts.{e}.w2.weight") for e in range(E)]).contiguous()
    out.update(t)
    with tempfile.TemporaryDirectory() as d:
        shutil.copy(os.path.join(src, "config.json"), d)
        save_file(out, os.path.join(d, "model.safetensors"), metadata={"format": "pt"})
        numpy_check(d, ids, logits, hidden, "fused-naming copy of b")


def dir_size(d):
    return sum(os.path.getsize(os.path.join(r, f)) for r, _, fs in os.walk(d) for f in fs)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default=DEFAULT_OUT)
    ap.add_argument("--only", default="", help="comma-separated case-name prefixes (a,b,...)")
    a = ap.parse_args()
    only = [s for s in a.only.split(",") if s]
    want = lambda n: not only or any(n.startswith(p) for p in only)  # noqa: E731
    os.makedirs(a.out, exist_ok=True)
    t0 = time.time()
    print(f"transformers {transformers.__version__}, torch {torch.__version__}, numpy {np.__version__}")
    done = {}
    for case in CASES:
        if want(case["name"]) or (case["name"].startswith("a_") and (want("h_") or want("j_"))):
            done[case["name"]] = run_case(case, a.out)

    # the NumPy reader must also accept the fused in-memory naming (mlp.experts.gate_up_proj ...)
    if "b_heads3_gqa3_exact_block" in done:
        src, ids, logits, hidden = done["b_heads3_gqa3_exact_block"]
        check_fused_naming(src, ids, logits, hidden)

    # h: case a re-saved in the original MiniMax-M1 dialect; same reference logits
    if want("h_"):
        src, ids, logits, hidden = done["a_mixed_explicit"]
        d = os.path.join(a.out, "h_original_dialect")
        write_original_dialect(src, d, n_shards=2)
        nl, nh, _ = numpy_check(d, ids, logits, hidden, "h_original_dialect")
        # how much the original slope formula (L-1 instead of L-1+1e-5) would change things
        ol, _ = npref.forward(d, ids, slope_formula="original")
        print(f"   original-vs-transformers slope formula: logits rel {rel_err(ol, nl):.2e}")
        write_outputs(d, ids, logits, hidden,
                      "case a_mixed_explicit re-saved in the ORIGINAL MiniMax-M1 dialect: "
                      "model_type minimax_m1, attn_type_list, layernorm_*_alpha/beta, top-level "
                      "rope_theta, rotary_dim = head_dim (full rotation), per-expert "
                      "block_sparse_moe.experts.{e}.w1/w2/w3 names, 2 shards numbered from zero "
                      "(model-00000-of-00002...); reference = case a's transformers logits",
                      REF_TF, {"source_case": "a_mixed_explicit"})

    # i: partial RoPE (transformers dialect + rotary_dim), NumPy reference
    if want("i_"):
        case = dict(name="i_partial_rope", seed=909, T=14,
                    cfg=_cfg(layer_types=[FULL, LIN, FULL], num_hidden_layers=3, head_dim=16,
                             num_attention_heads=4, num_key_value_heads=2, block_size=8,
                             rope_parameters={"rope_type": "default", "rope_theta": 100.0},
                             full_attn_alpha_factor=1.25))
        d = os.path.join(a.out, case["name"])
        model = build_model(case["cfg"], case["seed"])
        ids = make_ids(64, case["T"], case["seed"])
        save_checkpoint(model, d, config_add={"rotary_dim": 8})
        # the same weights WITHOUT rotary_dim must still match transformers (guards the reader)
        fl, fh = run_model(model, ids)
        tmp = d + ".full"
        save_checkpoint(model, tmp)
        numpy_check(tmp, ids, fl, fh, "i_partial_rope (full-rotary twin)")
        shutil.rmtree(tmp)
        stats = {}
        nl, nh = npref.forward(d, ids, stats=stats)
        diff = rel_err(nl, fl)
        print(f"   partial vs full rotary logits differ by rel {diff:.2e} (must be clearly > 0)")
        assert diff > 1e-3, "partial rotary had no effect"
        assert stats.get("min_route_gap", 1) > 2e-3
        sanity(nl, case["name"])
        write_outputs(d, ids, nl, nh,
                      "partial RoPE: transformers-dialect config plus top-level rotary_dim 8 with "
                      "head_dim 16 (NeoX rotate-half on the first 8 dims of each q/k head, "
                      "inv_freq = theta^(-2i/8), i < 4; dims 8..15 untouched); rope_theta 100 "
                      "(small, so the rotation matters at short T); layers [full,lin,full]",
                      REF_NP, {"seed": case["seed"], "rotary_dim": 8,
                               "full_rotary_logits_rel_diff": diff,
                               "min_route_gap": stats.get("min_route_gap")})
        print(f"  {case['name']}: done")

    # j: M1-like original dialect with partial RoPE, alpha = (2L)^(1/4), beta = 1
    if want("j_"):
        L = 4
        alpha = (2 * L) ** 0.25
        case = dict(name="j_m1_like_partial_rope", seed=1010, T=21,
                    cfg=_cfg(vocab_size=72, num_hidden_layers=L,
                             layer_types=[LIN, LIN, LIN, FULL], num_attention_heads=4,
                             num_key_value_heads=1, head_dim=16, hidden_size=32, block_size=256,
                             rope_parameters={"rope_type": "default", "rope_theta": 1000.0},
                             linear_attn_alpha_factor=alpha, full_attn_alpha_factor=alpha,
                             mlp_alpha_factor=alpha))
        d = os.path.join(a.out, case["name"])
        model = build_model(case["cfg"], case["seed"])
        ids = make_ids(72, case["T"], case["seed"])
        tmp = d + ".src"
        save_checkpoint(model, tmp)
        write_original_dialect(tmp, d, n_shards=2, rotary_dim=8)
        shutil.rmtree(tmp)
        stats = {}
        nl, nh = npref.forward(d, ids, stats=stats)
        fl, _ = run_model(model, ids)
        diff = rel_err(nl, fl)
        print(f"   partial vs full rotary logits differ by rel {diff:.2e}")
        assert diff > 1e-3 and stats.get("min_route_gap", 1) > 2e-3
        sanity(nl, case["name"])
        write_outputs(d, ids, nl, nh,
                      "M1-shaped original dialect: attn_type_list [0,0,0,1], rotary_dim 8 of "
                      "head_dim 16, rope_theta 1000 (top level), alpha = (2L)^(1/4) = "
                      f"{alpha!r}, beta = 1, 4 heads / 1 KV head, 2 shards numbered from zero",
                      REF_NP, {"seed": case["seed"], "rotary_dim": 8,
                               "min_route_gap": stats.get("min_route_gap")})
        print(f"  {case['name']}: done")

    total = dir_size(a.out)
    print(f"total fixture size {total / 1e6:.2f} MB, {time.time() - t0:.1f}s")
    if total > 3_000_000:
        raise SystemExit("FATAL: fixtures exceed 3 MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
