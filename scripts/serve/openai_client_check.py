#!/usr/bin/env python3
"""Checks `minimax serve` with the official `openai` Python client.

Starts nothing: point it at a running server.

    swift run -c release minimax random-model --out /tmp/tiny
    swift run -c release minimax serve --model /tmp/tiny &
    python3 scripts/serve/openai_client_check.py --base-url http://127.0.0.1:8080/v1

Installs `openai` into .venv-ref (at the repository root) when the running Python lacks it, and
re-runs itself there. Prints one line per check; exits 1 if any failed. With a random-weight
model the output is gibberish and no tool is ever called: the tool checks only show that requests
in both tool forms are accepted and their responses parse (the Swift tests cover the shape of
`tool_calls` output with a scripted engine).
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import traceback

ROOT = pathlib.Path(__file__).resolve().parents[2]
VENV = ROOT / ".venv-ref"


def ensure_openai():
    try:
        import openai  # noqa: F401
        return
    except ImportError:
        pass
    python = VENV / "bin" / "python"
    if pathlib.Path(sys.executable).resolve() == python.resolve():
        sys.exit("openai is not importable even in .venv-ref")
    if not python.exists():
        subprocess.check_call([sys.executable, "-m", "venv", str(VENV)])
    subprocess.check_call([str(VENV / "bin" / "pip"), "install", "-q", "openai"])
    os.execv(str(python), [str(python), __file__, *sys.argv[1:]])


WEATHER_OPENAI = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}}
# The bare form of the MiniMax-M1 function-call guide.
WEATHER_BARE = {"name": "get_weather", "description": "Get the current weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080/v1")
    parser.add_argument("--api-key", default=os.environ.get("MINIMAX_API_KEY", "none"))
    parser.add_argument("--model", help="model name (default: the first of /v1/models)")
    parser.add_argument("--max-tokens", type=int, default=16)
    args = parser.parse_args()
    ensure_openai()
    import openai

    client = openai.OpenAI(base_url=args.base_url, api_key=args.api_key, max_retries=0, timeout=120)
    failures = []

    def check(name, fn):
        try:
            detail = fn()
            print(f"ok   {name}: {detail}")
        except Exception as error:  # noqa: BLE001 - every failure is reported, then the next check runs
            failures.append(name)
            print(f"FAIL {name}: {type(error).__name__}: {error}")
            traceback.print_exc(limit=2, file=sys.stderr)

    state = {"model": args.model}

    def models():
        listed = client.models.list()
        ids = [m.id for m in listed.data]
        assert ids, "no models listed"
        state["model"] = state["model"] or ids[0]
        assert client.models.retrieve(state["model"]).id == state["model"]
        return f"{ids}"

    check("models", models)
    model = state["model"] or "minimax"
    user = [{"role": "user", "content": "What is the weather in Paris?"}]

    def chat():
        r = client.chat.completions.create(model=model, messages=user, max_tokens=args.max_tokens, seed=1)
        choice = r.choices[0]
        assert r.object == "chat.completion" and r.id.startswith("chatcmpl-"), r
        assert choice.message.role == "assistant"
        assert isinstance(choice.message.content, str) or choice.message.tool_calls
        assert choice.finish_reason in ("stop", "length", "tool_calls"), choice.finish_reason
        assert r.usage.prompt_tokens > 0 and 1 <= r.usage.completion_tokens <= args.max_tokens, r.usage
        assert r.usage.total_tokens == r.usage.prompt_tokens + r.usage.completion_tokens
        return f"{r.usage.completion_tokens} tokens, finish_reason={choice.finish_reason}"

    def chat_stream():
        stream = client.chat.completions.create(
            model=model, messages=user, max_tokens=args.max_tokens, stream=True,
            stream_options={"include_usage": True})
        chunks = list(stream)
        assert chunks, "no chunks"
        assert chunks[0].choices[0].delta.role == "assistant"
        last = chunks[-1]
        assert last.choices == [] and last.usage is not None, last
        assert all(c.choices for c in chunks[:-1])
        reasons = [c.choices[0].finish_reason for c in chunks[:-1] if c.choices[0].finish_reason]
        assert len(reasons) == 1, reasons
        text = "".join(c.choices[0].delta.content or "" for c in chunks[:-1])
        return f"{len(chunks)} chunks, {len(text)} characters, usage {last.usage.completion_tokens} tokens"

    def chat_logprobs():
        r = client.chat.completions.create(
            model=model, messages=user, max_tokens=4, logprobs=True, top_logprobs=3, temperature=0)
        content = r.choices[0].logprobs.content
        assert len(content) == r.usage.completion_tokens, (len(content), r.usage)
        assert all(len(t.top_logprobs) == 3 and t.logprob <= 0 for t in content)
        return f"{len(content)} tokens with 3 alternatives each"

    def tools(form, tool):
        def run():
            r = client.chat.completions.create(
                model=model, messages=user, tools=[tool], tool_choice="auto", max_tokens=args.max_tokens)
            choice = r.choices[0]
            for call in choice.message.tool_calls or []:
                assert call.type == "function" and call.id.startswith("call_")
                json.loads(call.function.arguments)
            # Round trip: the call and the tool's result go back; the answer parses.
            follow = client.chat.completions.create(model=model, max_tokens=args.max_tokens, tools=[tool], messages=user + [
                {"role": "assistant", "content": None, "tool_calls": [{
                    "id": "call_1", "type": "function",
                    "function": {"name": "get_weather", "arguments": json.dumps({"city": "Paris"})}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": json.dumps({"temperature_c": 21})}])
            assert follow.choices[0].message.role == "assistant"
            named = client.chat.completions.create(
                model=model, messages=user, tools=[tool], max_tokens=4,
                tool_choice={"type": "function", "function": {"name": "get_weather"}})
            assert named.choices
            return f"{form} form accepted; {len(choice.message.tool_calls or [])} calls, round trip finish_reason={follow.choices[0].finish_reason}"
        return run

    def completions():
        r = client.completions.create(model=model, prompt="Once upon a time", max_tokens=args.max_tokens, logprobs=2)
        choice = r.choices[0]
        assert r.object == "text_completion" and isinstance(choice.text, str)
        assert len(choice.logprobs.tokens) == r.usage.completion_tokens
        ids = client.completions.create(model=model, prompt=[72, 101, 108, 108, 111], max_tokens=4)
        assert ids.usage.prompt_tokens == 5, ids.usage
        streamed = list(client.completions.create(model=model, prompt="Hello", max_tokens=4, stream=True))
        assert streamed and any(c.choices and c.choices[0].finish_reason for c in streamed)
        return f"{r.usage.completion_tokens} tokens; token-id prompt and stream ok"

    def errors():
        try:
            client.chat.completions.create(model="no-such-model", messages=user, max_tokens=4)
        except openai.NotFoundError as error:
            assert error.body and "model" in json.dumps(error.body), error.body
        else:
            raise AssertionError("an unknown model was accepted")
        try:
            client.chat.completions.create(model=model, messages=[], max_tokens=4)
        except openai.BadRequestError as error:
            return f"404 and 400 as typed errors ({error.status_code})"
        raise AssertionError("empty messages were accepted")

    check("chat", chat)
    check("chat stream + include_usage", chat_stream)
    check("chat logprobs", chat_logprobs)
    check("tools (openai form)", tools("openai", WEATHER_OPENAI))
    check("tools (bare M1 form)", tools("bare", WEATHER_BARE))
    check("completions", completions)
    check("errors", errors)
    print(f"{'FAILED' if failures else 'passed'}: {7 + 1 - len(failures)}/8 checks")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
