#!/usr/bin/env python3
"""Abuse check for `minimax serve` (standard library only; loopback only; starts nothing).

    swift run -c release minimax serve --model /tmp/tiny &
    python3 scripts/serve/abuse_check.py --base-url http://127.0.0.1:8080

Sends malformed and hostile requests (broken JSON, wrong types, empty messages, an unknown model,
negative and huge max_tokens, unknown roles, invalid tool schemas, invalid UTF-8, a 3 MB prompt)
and asserts each is a 4xx with an OpenAI error object; opens 20 streams and drops each after its
first chunk; then asserts a normal request still works and that /health shows no request running.
Prints one line per check; exits 1 if any failed.
"""
import argparse
import http.client
import json
import socket
import sys
import time
import urllib.parse

USER = [{"role": "user", "content": "Hi"}]


class Server:
    def __init__(self, base_url, api_key):
        url = urllib.parse.urlparse(base_url)
        if url.hostname not in ("127.0.0.1", "localhost", "::1"):
            raise SystemExit("abuse_check only targets loopback servers")
        self.host, self.port = url.hostname, url.port or 80
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}

    def request(self, method, path, body=None, headers=None, timeout=120):
        """(status, headers, body bytes); `body` is bytes, or an object sent as JSON."""
        if body is not None and not isinstance(body, (bytes, bytearray)):
            body = json.dumps(body).encode()
        connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout)
        try:
            all_headers = {"Content-Type": "application/json", **self.headers, **(headers or {})}
            try:
                connection.request(method, path, body=body, headers=all_headers)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the server may answer (413) before reading a large body
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()


def error_object(status, body):
    """Asserts a 4xx with {"error": {message, type, param, code}}; returns the error."""
    assert 400 <= status < 500, f"status {status}: {body[:200]!r}"
    error = json.loads(body)["error"]
    assert isinstance(error["message"], str) and error["message"], error
    assert isinstance(error["type"], str), error
    assert "param" in error and "code" in error, error
    return error


def cases(model):
    chat, completions = "/v1/chat/completions", "/v1/completions"
    with_user = lambda **extra: {"model": model, "messages": USER, **extra}  # noqa: E731
    bad_tool = lambda tool: with_user(tools=[tool])  # noqa: E731
    return [
        ("malformed JSON", chat, b'{"messages": [', None),
        ("not an object", chat, b"[1, 2, 3]", None),
        ("empty body", chat, b"", None),
        ("messages is a string", chat, {"messages": "Hi"}, "messages"),
        ("empty messages", chat, {"messages": []}, "messages"),
        ("missing messages", chat, {"model": model}, "messages"),
        ("unknown role", chat, {"messages": [{"role": "wizard", "content": "x"}]}, "messages[0].role"),
        ("content is a number", chat, {"messages": [{"role": "user", "content": 5}]}, "messages[0].content"),
        ("unknown model", chat, {"model": "gpt-4", "messages": USER}, "model"),
        ("model is a number", chat, {"model": 7, "messages": USER}, "model"),
        ("negative max_tokens", chat, with_user(max_tokens=-1), "max_tokens"),
        ("zero max_tokens", chat, with_user(max_tokens=0), "max_tokens"),
        ("huge max_tokens", chat, with_user(max_tokens=10**12), "max_tokens"),
        ("max_tokens is a string", chat, with_user(max_tokens="10"), "max_tokens"),
        ("negative max_completion_tokens", chat, with_user(max_completion_tokens=-3), "max_completion_tokens"),
        ("temperature is a string", chat, with_user(temperature="hot"), "temperature"),
        ("negative temperature", chat, with_user(temperature=-1), "temperature"),
        ("top_p above 1", chat, with_user(top_p=1.5), "top_p"),
        ("n = 0", chat, with_user(n=0), "n"),
        ("n = 100", chat, with_user(n=100), "n"),
        ("top_logprobs = 21", chat, with_user(logprobs=True, top_logprobs=21), "top_logprobs"),
        ("stop is a number", chat, with_user(stop=5), "stop"),
        ("stream is a string", chat, with_user(stream="yes"), "stream"),
        ("tools is an object", chat, with_user(tools={}), "tools"),
        ("tool without function", chat, bad_tool({"type": "function"}), "tools[0].function"),
        ("tool name is a number", chat, bad_tool({"type": "function", "function": {"name": 3}}), "tools[0].function.name"),
        ("tool parameters not an object", chat, bad_tool({"type": "function", "function": {"name": "f", "parameters": 3}}),
         "tools[0].function.parameters"),
        ("bare tool bad required", chat, bad_tool({"name": "f", "parameters": {"required": "x"}}), "tools[0].parameters.required"),
        ("tool_choice names no tool", chat,
         with_user(tools=[{"name": "f"}], tool_choice={"type": "function", "function": {"name": "g"}}),
         "tool_choice.function.name"),
        ("invalid UTF-8", chat, b'{"messages": [{"role": "user", "content": "a\xc3\x28\xff"}]}', None),
        ("completions without prompt", completions, {"model": model}, "prompt"),
        ("completions negative token id", completions, {"prompt": [1, -1]}, "prompt[1]"),
        ("completions huge token id", completions, {"prompt": [1, 10**9]}, "prompt[1]"),
        ("completions negative max_tokens", completions, {"prompt": "x", "max_tokens": -5}, "max_tokens"),
        ("3 MB prompt", completions, {"prompt": "x" * (3 * 1024 * 1024)}, None),
        ("detokenize bad id", "/detokenize", {"tokens": [-1]}, "tokens[0]"),
    ]


def drop_after_first_chunk(server, model):
    """Opens a stream, reads its first event, closes the socket."""
    body = json.dumps({"model": model, "messages": USER, "stream": True}).encode()
    request = (f"POST /v1/chat/completions HTTP/1.1\r\nHost: {server.host}\r\nContent-Type: application/json\r\n"
               + "".join(f"{k}: {v}\r\n" for k, v in server.headers.items())
               + f"Content-Length: {len(body)}\r\n\r\n").encode() + body
    with socket.create_connection((server.host, server.port), timeout=60) as sock:
        sock.sendall(request)
        received = b""
        while b"data: " not in received:
            chunk = sock.recv(4096)
            if not chunk:
                raise AssertionError(f"connection closed before the first chunk: {received[:200]!r}")
            received += chunk
        assert received.startswith(b"HTTP/1.1 200"), received[:200]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base-url", default="http://127.0.0.1:8080")
    parser.add_argument("--api-key")
    parser.add_argument("--streams", type=int, default=20)
    args = parser.parse_args()
    server = Server(args.base_url.removesuffix("/v1"), args.api_key)
    failures = []

    def check(name, fn):
        try:
            print(f"ok   {name}: {fn()}")
        except Exception as error:  # noqa: BLE001 - report, go on
            failures.append(name)
            print(f"FAIL {name}: {type(error).__name__}: {error}")

    status, _, body = server.request("GET", "/v1/models")
    assert status == 200, f"/v1/models: {status} {body[:200]!r}"
    model = json.loads(body)["data"][0]["id"]

    for name, path, body, param in cases(model):
        def run(path=path, body=body, param=param):
            status, _, response = server.request("POST", path, body)
            error = error_object(status, response)
            if param is not None:
                assert error["param"] == param, f"param {error['param']!r}, expected {param!r}"
                assert param in error["message"], error["message"]
            return f"{status} {error['message'][:80]}"
        check(name, run)

    def unauthenticated():
        if not args.api_key:
            return "skipped (no --api-key)"
        status, _, body = Server(args.base_url.removesuffix("/v1"), None).request(
            "POST", "/v1/chat/completions", {"messages": USER})
        assert status == 401, status
        error_object(status, body)
        return "401"
    check("missing API key", unauthenticated)

    def dropped_streams():
        for _ in range(args.streams):
            drop_after_first_chunk(server, model)
        return f"{args.streams} streams dropped after their first chunk"
    check("dropped streams", dropped_streams)

    def idle_after_drops():
        deadline = time.time() + 30
        while True:
            status, _, body = server.request("GET", "/health")
            health = json.loads(body)
            if status == 200 and health["running"] == 0 and health["waiting"] == 0:
                return f"running 0, waiting 0 ({health})"
            if time.time() > deadline:
                raise AssertionError(f"jobs still running 30 s after their clients left: {health}")
            time.sleep(0.2)
    check("dropped jobs cancelled", idle_after_drops)

    def normal():
        status, _, body = server.request("POST", "/v1/chat/completions", {"model": model, "messages": USER, "max_tokens": 8})
        assert status == 200, f"{status} {body[:300]!r}"
        reply = json.loads(body)
        assert reply["choices"][0]["message"]["role"] == "assistant", reply
        return f"200, {reply['usage']['completion_tokens']} tokens"
    check("normal request afterwards", normal)

    def health():
        status, _, body = server.request("GET", "/health")
        health = json.loads(body)
        assert status == 200 and health["running"] == 0, health
        return f"{health}"
    check("health", health)

    total = len(cases(model)) + 6
    print(f"{'FAILED' if failures else 'passed'}: {total - len(failures)}/{total} checks")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
