#!/usr/bin/env python3
"""Mutation campaign against the release binary (docs/fuzzing.md).

Six families of hostile input, one process per case, each under a wall-clock limit and an
address-space limit:

  safetensors   header length, offsets, shapes, dtypes, truncation of model.safetensors
  tensors       dtypes and contents (F64, I64, BOOL, zero-sized, NaN, Inf)
  config        config.json: types, extreme values, layer plans
  tokenizer     tokenizer.json, vocab.json + merges.txt, added tokens, regexes
  chat          render --messages/--tools: shapes, sizes, duplicate keys, tool_call_id
  generate      generate's numeric and text arguments
  server        HTTP request bodies against one running `serve` (no 5xx, no dead server)

A case fails when the process dies of a signal (crash), runs past the limit (hang), passes the
memory limit (blow-up), or exits non-zero with a message that names neither the file nor the
field/flag it was given. Exit 0 (the input was valid after all) is fine.

    swift build -c release
    python3 scripts/fuzz/mutate.py --seed 1234 --cases 200      # 200 per family
Python standard library only.
"""
import argparse, json, os, random, resource, shutil, signal, struct, subprocess, sys, tempfile, time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
HUGE_INTS = [-1, 0, 1, 2, 3, 7, 255, 256, 65535, 2**31 - 1, 2**31, 2**32, 2**40, 2**53, 2**62, 2**63 - 1,
             -2**31, -2**63, 2**64, 10**30]
ODD_VALUES = [None, True, False, "", "x" * 1000, [], {}, [1, 2], {"a": 1}, 0.5, -0.5, 1e308, -1e308, 1e-308,
              "NaN", 3.7]


def hostile_value(rng):
    return rng.choice(HUGE_INTS) if rng.random() < 0.6 else rng.choice(ODD_VALUES)


class Runner:
    def __init__(self, binary, timeout, memory_gb):
        self.binary, self.timeout, self.memory = binary, timeout, memory_gb * 2**30
        self.results = {}
        self.failures = []

    def run(self, family, label, args, names, stdin=None):
        """Runs the binary; `names` are strings one of which an error message must contain."""
        def limits():
            resource.setrlimit(resource.RLIMIT_AS, (self.memory, self.memory))
            resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
            os.setsid()
        start = time.time()
        proc = subprocess.Popen([self.binary] + args, stdin=subprocess.PIPE if stdin else subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limits)
        try:
            _, err = proc.communicate(stdin, timeout=self.timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            _, err = proc.communicate()
            return self.record(family, label, "hang", args, b"")
        err = err.decode("utf-8", "replace")
        code = proc.returncode
        memory_words = ("Cannot allocate", "out of memory", "failed to allocate", "std::bad_alloc")
        if code < 0 or code in (132, 133, 134, 139):
            kind = "blow-up" if any(w in err for w in memory_words) else "crash"
            return self.record(family, label, kind, args, err)
        if code != 0 and not any(name in err for name in names):
            return self.record(family, label, "unnamed", args, err)
        return self.record(family, label, "ok" if code == 0 else "rejected", args, err, time.time() - start)

    def record(self, family, label, kind, args, err, seconds=0.0):
        counts = self.results.setdefault(family, {})
        counts[kind] = counts.get(kind, 0) + 1
        if kind not in ("ok", "rejected"):
            self.failures.append((family, label, kind, " ".join(map(str, args))[:300], err[-400:]))
        return kind


def write(path, data):
    with open(path, "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


def copy_model(base, work):
    if os.path.exists(work):
        shutil.rmtree(work)
    shutil.copytree(base, work)
    return work


def mutate_json(rng, value, depth=0):
    """One random structural change somewhere in a JSON value."""
    if isinstance(value, dict) and value and (depth < 4 and rng.random() < 0.6):
        key = rng.choice(list(value))
        choice = rng.random()
        if choice < 0.15:
            del value[key]
        elif choice < 0.55:
            value[key] = hostile_value(rng)
        else:
            value[key] = mutate_json(rng, value[key], depth + 1)
        return value
    if isinstance(value, list) and value and (depth < 4 and rng.random() < 0.6):
        i = rng.randrange(len(value))
        choice = rng.random()
        if choice < 0.2:
            value.append(value[i])
        elif choice < 0.5:
            value[i] = hostile_value(rng)
        else:
            value[i] = mutate_json(rng, value[i], depth + 1)
        return value
    return hostile_value(rng)


def mutate_bytes(rng, data):
    data = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.random()
        if not data:
            data += bytes([rng.randrange(256)])
        elif op < 0.3:
            del data[rng.randrange(len(data)):]
        elif op < 0.6:
            data[rng.randrange(len(data))] = rng.randrange(256)
        else:
            i = rng.randrange(len(data))
            data[i:i] = rng.choice([b"{", b"}", b"[", b"\"", b"\\", b"\x00", b"\xff", b"-1", b"99999999999999999999", b","])
    return bytes(data)


# --- families -------------------------------------------------------------------------------

def read_safetensors(path):
    raw = open(path, "rb").read()
    (length,) = struct.unpack("<Q", raw[:8])
    return json.loads(raw[8:8 + length]), raw[8 + length:]


def pack_safetensors(header, data, length=None):
    text = json.dumps(header).encode()
    return struct.pack("<Q", (len(text) if length is None else length) & (2**64 - 1)) + text + data


def family_safetensors(rng, runner, base, work, n):
    weights = os.path.join(base, "model.safetensors")
    header, data = read_safetensors(weights)
    names = [k for k in header if k != "__metadata__"]
    for i in range(n):
        model = copy_model(base, work)
        h = json.loads(json.dumps(header))
        name = rng.choice(names)
        op = rng.randrange(8)
        length = None
        body = data
        if op == 0:
            h[name]["data_offsets"] = [rng.choice(HUGE_INTS), rng.choice(HUGE_INTS)]
        elif op == 1:
            h[name]["shape"] = [rng.choice(HUGE_INTS) for _ in range(rng.randint(0, 4))]
        elif op == 2:
            h[name]["dtype"] = rng.choice(["F64", "I64", "BOOL", "U8", "F8_E4M3", "Q4", "", 7, None])
        elif op == 3:
            length = rng.choice(HUGE_INTS[1:] + [len(json.dumps(h)) + 1, len(json.dumps(h)) - 1])
        elif op == 4:
            body = data[: rng.randrange(len(data) + 1)]
        elif op == 5:
            h = mutate_json(rng, h)
        elif op == 6:
            h[name + "_copy"] = dict(h[name])
        raw = pack_safetensors(h, body, length) if isinstance(h, dict) else pack_safetensors({}, body)
        if op == 7:
            raw = mutate_bytes(rng, raw)
        write(os.path.join(model, "model.safetensors"), raw)
        cmd = rng.choice([["logits", "--ids", "1,2,3", "--out", os.path.join(work + "-out.npy")], ["inspect"]])
        # A header entry removed altogether: the weight loader names the tensor missing "from the checkpoint".
        runner.run("safetensors", f"op{op}", cmd[:1] + ["--model", model] + cmd[1:], ["model.safetensors", name, "from the checkpoint"])


def family_tensors(rng, runner, base, work, n):
    header, data = read_safetensors(os.path.join(base, "model.safetensors"))
    names = [k for k in header if k != "__metadata__"]
    for i in range(n):
        model = copy_model(base, work)
        h = json.loads(json.dumps(header))
        body = bytearray(data)
        name = rng.choice(names)
        start, end = h[name]["data_offsets"]
        op = rng.randrange(4)
        if op == 0:  # reinterpret as another dtype of a size that fits
            dtype, size = rng.choice([("F64", 8), ("I64", 8), ("BOOL", 1), ("I32", 4), ("U8", 1), ("F16", 2), ("BF16", 2)])
            count = (end - start) // size
            h[name]["dtype"], h[name]["shape"] = dtype, [count]
            h[name]["data_offsets"] = [start, start + count * size]
        elif op == 1:  # zero-sized
            h[name]["shape"] = [0] + h[name]["shape"][1:]
            h[name]["data_offsets"] = [start, start]
        else:  # NaN / Inf / huge contents
            value = rng.choice([float("nan"), float("inf"), -float("inf"), 3e38, 1e-45])
            word = struct.pack("<f", value) if h[name]["dtype"] == "F32" else struct.pack("<e", 0.0)[:0] + b"\x80\x7f"
            for j in range(start, end - len(word) + 1, len(word)):
                if rng.random() < 0.5:
                    body[j:j + len(word)] = word
        write(os.path.join(model, "model.safetensors"), pack_safetensors(h, bytes(body)))
        args = rng.choice([
            ["logits", "--model", model, "--ids", "1,2,3", "--out", work + "-out.npy"],
            ["generate", "--model", model, "--prompt", "Hello", "--max-tokens", "4", "--seed", str(i)],
        ])
        runner.run("tensors", f"op{op}", args, ["model.safetensors", name])


def family_config(rng, runner, base, work, n, m1_config):
    config = json.load(open(os.path.join(base, "config.json")))
    fields = ["vocab_size", "hidden_size", "intermediate_size", "num_hidden_layers", "num_attention_heads",
              "num_key_value_heads", "head_dim", "num_local_experts", "num_experts_per_tok", "block_size",
              "rotary_dim", "partial_rotary_factor", "max_position_embeddings", "sliding_window", "eos_token_id",
              "bos_token_id", "rms_norm_eps", "rope_theta", "layer_types", "attn_type_list", "postnorm",
              "tie_word_embeddings", "hidden_act", "shared_intermediate_size", "mlp_alpha_factor", "rope_parameters"]
    for i in range(n):
        model = copy_model(base, work)
        source = m1_config if (m1_config and rng.random() < 0.25) else config
        c = json.loads(json.dumps(source))
        op = rng.randrange(6)
        if op <= 2:
            for _ in range(rng.randint(1, 3)):
                c[rng.choice(fields)] = hostile_value(rng)
        elif op == 3:
            c["num_hidden_layers"] = rng.choice(HUGE_INTS)
            c.pop("layer_types", None)
            c.pop("attn_type_list", None)
        elif op == 4:
            c = mutate_json(rng, c)
        raw = json.dumps(c).encode() if op != 5 else mutate_bytes(rng, json.dumps(c).encode())
        write(os.path.join(model, "config.json"), raw)
        args = rng.choice([["inspect"], ["logits", "--ids", "1,2", "--out", work + "-out.npy"],
                           ["generate", "--prompt", "Hi", "--max-tokens", "2"]])
        # A valid config that does not fit the tiny checkpoint is rejected by the weight loader,
        # which names model.safetensors (or the checkpoint) and the tensor.
        runner.run("config", f"op{op}", args[:1] + ["--model", model] + args[1:],
                   ["config.json", "model.safetensors", "from the checkpoint"])


def family_tokenizer(rng, runner, base, work, n, legacy):
    tokenizer = json.load(open(os.path.join(base, "tokenizer.json")))
    bad_regexes = ["(.*)*(.*)*(.*)*x", "(a|a)*b", "(a+)+$", "(\\s*)*\\S", "([a-z]+)*[0-9]", "(.*){1000}x",
                   "x{1001}", "(?<=a)b", "\\p{Han}+", "((((((((((a*)*)*)*)*)*)*)*)*)*)*b", "[", "(?i", "\\"]
    for i in range(n):
        model = copy_model(base, work)
        op = rng.randrange(9)
        files = ["tokenizer.json"]
        t = json.loads(json.dumps(tokenizer))
        if op == 0:
            key = rng.choice(list(t["model"]["vocab"]))
            t["model"]["vocab"][key] = rng.choice([-1, -2147483649, 2**24, 2**31, 2**62, 1.5, "x", None, 0])
        elif op == 1:
            count = rng.choice([10, 1000, 100000])
            t["added_tokens"] = [{"id": 600 + k, "content": f"<t{k}>", "special": k % 2 == 0} for k in range(count)]
        elif op == 2:
            t["added_tokens"] = [{"id": rng.choice(HUGE_INTS), "content": "<x>", "special": True}]
        elif op == 3:
            t["pre_tokenizer"] = {"type": "Split", "pattern": {"Regex": rng.choice(bad_regexes)}, "behavior": "Isolated"}
        elif op == 4:
            t["normalizer"] = {"type": "Sequence", "normalizers": [
                {"type": "Replace", "pattern": {"String": rng.choice(["l", "", "H"])}, "content": "ll" * rng.choice([1, 1000])}
            ] * rng.choice([1, 10, 40])}
        elif op == 5:
            t = mutate_json(rng, t)
        elif op == 6:
            t["model"]["merges"] = t["model"]["merges"] + [rng.choice(["a b c", "zz yy", "", 5, ["a"], None])]
        if op <= 6:
            write(os.path.join(model, "tokenizer.json"), json.dumps(t))
        elif op == 7:
            write(os.path.join(model, "tokenizer.json"), mutate_bytes(rng, json.dumps(tokenizer).encode()))
        else:
            os.remove(os.path.join(model, "tokenizer.json"))
            vocab = json.load(open(os.path.join(legacy, "vocab.json")))
            merges = open(os.path.join(legacy, "merges.txt"), "rb").read()
            sub = rng.randrange(4)
            if sub == 0:
                vocab[rng.choice(list(vocab))] = rng.choice([-1, -2147483649, 2**40, "x", None])
            elif sub == 1:
                merges = mutate_bytes(rng, merges)
            elif sub == 2:
                write(os.path.join(model, "added_tokens.json"),
                      json.dumps({f"<a{k}>": 1000 + k for k in range(rng.choice([10, 100000]))}))
                files.append("added_tokens.json")
            else:
                count = rng.choice([10, 100000])
                odd = {rng.randrange(count): rng.choice([-5, 2**40, "x"])}
                write(os.path.join(model, "tokenizer_config.json"), json.dumps({"added_tokens_decoder": {
                    str(odd.get(k, 2000 + k)): {"content": f"<d{k}>", "special": True} for k in range(count)}}))
                files.append("tokenizer_config.json")
            write(os.path.join(model, "vocab.json"), json.dumps(vocab))
            write(os.path.join(model, "merges.txt"), merges)
            files += ["vocab.json", "merges.txt"]
        text = rng.choice(["Hello world", "a" * 2000, "<t5> x <x> y", "ab " * 3000])
        runner.run("tokenizer", f"op{op}", ["tokenize", "--model", model, "--text", text], files)


def family_chat(rng, runner, base, work, n):
    os.makedirs(work, exist_ok=True)
    messages_path, tools_path = os.path.join(work, "messages.json"), os.path.join(work, "tools.json")
    base_messages = [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Weather?"},
                     {"role": "assistant", "content": None, "tool_calls": [
                         {"id": "c1", "type": "function", "function": {"name": "w", "arguments": "{\"a\": 1}"}}]},
                     {"role": "tool", "tool_call_id": "c1", "content": "sunny"}]
    base_tools = [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}]
    for i in range(n):
        op = rng.randrange(7)
        messages, tools = json.loads(json.dumps(base_messages)), json.loads(json.dumps(base_tools))
        raw_messages = None
        if op == 0:
            count = rng.choice([1000, 100000])
            messages = [base_messages[2]] + [{"role": "tool", "tool_call_id": "c1", "content": "r"}] * count
        elif op == 1:
            raw_messages = "[{" + ",".join(f'"k{k}": {k}' for k in range(rng.choice([1000, 120000]))) + ', "role": "user", "content": "x"}]'
        elif op == 2:
            depth = rng.choice([100, 600, 100000])
            raw_messages = '[{"role": "user", "content": "x", "extra": ' + "[" * depth + "]" * depth + "}]"
        elif op == 3:
            messages = mutate_json(rng, messages)
        elif op == 4:
            tools = mutate_json(rng, tools)
        elif op == 5:
            raw_messages = mutate_bytes(rng, json.dumps(messages).encode())
        else:
            messages = [{"role": "user", "content": "x" * rng.choice([10, 10**5])}] * rng.choice([1, 1000])
        write(messages_path, raw_messages if raw_messages is not None else json.dumps(messages))
        write(tools_path, json.dumps(tools))
        runner.run("chat", f"op{op}", ["render", "--model", base, "--messages", messages_path, "--tools", tools_path],
                   ["messages", "tools", "JSON", "json"])


def family_generate(rng, runner, base, work, n):
    options = {"--max-tokens": "int", "--temperature": "float", "--top-p": "float", "--top-k": "int",
               "--min-p": "float", "--seed": "int", "--repetition-guard": "int", "--presence-penalty": "float",
               "--frequency-penalty": "float", "--repeat-penalty": "float", "--repeat-last-n": "int",
               "--threads": "int", "--stop": "text", "--system": "text", "--prompt": "text", "--ids": "ids"}
    odd_floats = ["nan", "inf", "-inf", "1e308", "-1e308", "0", "-0", "1e-320", "2.5", "-3", "0x10", "1,5", ""]
    odd_ints = [str(v) for v in HUGE_INTS] + ["1.5", "x", "", "-0", "+5", "１２"]
    for i in range(n):
        chosen = {}
        for _ in range(rng.randint(1, 3)):
            flag = rng.choice(list(options))
            kind = options[flag]
            if kind == "int":
                value = rng.choice(odd_ints)
            elif kind == "float":
                value = rng.choice(odd_floats)
            elif kind == "ids":
                value = ",".join(rng.choice(odd_ints + ["1", "2"]) for _ in range(rng.randint(1, 4)))
            else:
                # 20,000 characters: a prompt near the tiny model's 131,072-token context is
                # legitimately slow (softmax attention is quadratic), not a hang.
                value = rng.choice(["", "x" * 20000, "\ufffd", "<end_of_sentence>", "a b"])
            chosen[flag] = value
        args = ["generate", "--model", base, "--max-tokens", "4"]
        if "--prompt" not in chosen and "--ids" not in chosen:
            args += ["--prompt", "Hello"]
        if "--system" in chosen:
            args.append("--chat")
        for flag, value in chosen.items():
            args += [flag, value]
        runner.run("generate", " ".join(chosen), args, list(chosen) + ["--chat", "--prompt", "--ids"])


def family_server(rng, runner, base, work, n):
    """HTTP request bodies against one running `serve`: every answer must be a 2xx or a 4xx whose
    JSON error names the field (`param`, or a message that quotes it); a 5xx, a dropped
    connection or a dead server is a failure."""
    import socket, urllib.request, urllib.error
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    def limits():
        resource.setrlimit(resource.RLIMIT_AS, (runner.memory, runner.memory))
        os.setsid()
    server = subprocess.Popen([runner.binary, "serve", "--model", base, "--port", str(port), "--max-batch", "4"],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=limits)
    url = f"http://127.0.0.1:{port}"
    for _ in range(100):
        try:
            urllib.request.urlopen(url + "/health", timeout=1)
            break
        except Exception:
            time.sleep(0.2)
    chat = {"model": "base", "messages": [{"role": "user", "content": "Hi"}], "max_tokens": 4,
            "tools": [{"type": "function", "function": {"name": "w", "parameters": {"type": "object"}}}]}
    completion = {"model": "base", "prompt": "Hi", "max_tokens": 4}
    counts = runner.results.setdefault("server", {})
    try:
        for i in range(n):
            route, body = rng.choice([("/v1/chat/completions", chat), ("/v1/completions", completion)])
            op = rng.randrange(4)
            if op == 3:
                raw = mutate_bytes(rng, json.dumps(body).encode())
            elif op == 2:
                raw = ("{" + ",".join(f'"k{k}": {k}' for k in range(rng.choice([10, 50000]))) + "}").encode()
            else:
                raw = json.dumps(mutate_json(rng, json.loads(json.dumps(body)))).encode()
            request = urllib.request.Request(url + route, data=raw, headers={"Content-Type": "application/json"})
            kind = "ok"
            try:
                with urllib.request.urlopen(request, timeout=runner.timeout) as answer:
                    answer.read()
            except urllib.error.HTTPError as error:
                text = error.read().decode("utf-8", "replace")
                kind = "rejected"
                if error.code >= 500:
                    kind = "server-error"
                elif error.code in (400, 422) and '"param"' not in text and "invalid JSON" not in text:
                    kind = "unnamed"
            except Exception as error:
                kind = "hang" if "timed out" in str(error) else "crash"
            if server.poll() is not None:
                kind = "crash"
            counts[kind] = counts.get(kind, 0) + 1
            if kind not in ("ok", "rejected"):
                runner.failures.append(("server", f"op{op}", kind, route + " " + raw[:200].decode("utf-8", "replace"), ""))
            if server.poll() is not None:
                break
    finally:
        server.kill()
        server.wait()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--binary", default=os.path.join(ROOT, ".build/release/minimax"))
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--cases", type=int, default=200, help="cases per family")
    parser.add_argument("--timeout", type=float, default=20)
    parser.add_argument("--memory-gb", type=float, default=6)
    parser.add_argument("--families", default="safetensors,tensors,config,tokenizer,chat,generate,server")
    args = parser.parse_args()
    seed = args.seed if args.seed is not None else random.randrange(2**32)
    rng = random.Random(seed)
    print(f"seed {seed}, {args.cases} cases per family, {args.timeout:.0f} s and {args.memory_gb:.0f} GB per case",
          flush=True)
    runner = Runner(args.binary, args.timeout, args.memory_gb)
    scratch = tempfile.mkdtemp(prefix="mutate-")
    base = os.path.join(scratch, "base")
    subprocess.run([args.binary, "random-model", "--out", base, "--preset", "tiny"], check=True,
                   stdout=subprocess.DEVNULL)
    m1 = "/work/shared/minimax-m1/config.json"
    m1_config = json.load(open(m1)) if os.path.exists(m1) else None
    legacy = os.path.join(ROOT, "Tests/TokenizationTests/Fixtures/legacy_gpt2")
    work = os.path.join(scratch, "case")
    try:
        for family in args.families.split(","):
            started = time.time()
            try:
                if family == "config":
                    family_config(rng, runner, base, work, args.cases, m1_config)
                elif family == "tokenizer":
                    family_tokenizer(rng, runner, base, work, args.cases, legacy)
                else:
                    globals()["family_" + family](rng, runner, base, work, args.cases)
            except Exception as error:  # a bug in this script: report it, go on with the next family
                import traceback
                traceback.print_exc()
                runner.failures.append((family, "script", "script-error", "", repr(error)))
            print(f"{family:12s} {runner.results.get(family)} ({time.time() - started:.0f} s)", flush=True)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print("\n| family | cases | crash | hang | blow-up | unnamed |\n|---|---|---|---|---|---|")
    for family, counts in runner.results.items():
        print(f"| {family} | {sum(counts.values())} | {counts.get('crash', 0)} | {counts.get('hang', 0)} | "
              f"{counts.get('blow-up', 0)} | {counts.get('unnamed', 0)} |")
    for family, label, kind, command, err in runner.failures:
        print(f"\n[{kind}] {family} {label}: {command}\n    {err.strip()[-300:]}")
    return 1 if runner.failures else 0


if __name__ == "__main__":
    sys.exit(main())
