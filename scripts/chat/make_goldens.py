#!/usr/bin/env python3
"""Render MiniMax-M1 chat-template goldens for Tests/ChatFormatTests.

Rendering goes through transformers' own `render_jinja_template` (the function behind
`tokenizer.apply_chat_template`), so the Jinja environment (trim_blocks, lstrip_blocks, the
sandbox, transformers' `tojson` override = json.dumps(ensure_ascii=False)) is exactly the one
users get.

The official template only understands list-of-parts content: a plain-string `content` makes it
raise (system/user/tool) or render nothing (assistant). The Swift renderer treats a plain string
as one text part, and a plain-string tool result as one part named after the call. Cases that use
those forms are rendered here from the same normalised messages (`normalise` below) and marked
`"normalised": true`; every other case is the template applied to the input as written.

Usage: /work/main/.venv-ref/bin/python scripts/chat/make_goldens.py
Writes Tests/ChatFormatTests/Fixtures/chat_template_goldens.json.
"""
import copy
import json
import pathlib

from transformers.utils.chat_template_utils import render_jinja_template

ROOT = pathlib.Path(__file__).resolve().parents[2]
CONFIG = pathlib.Path("/work/shared/minimax-m1/tokenizer_config.json")
OUT = ROOT / "Tests/ChatFormatTests/Fixtures/chat_template_goldens.json"


def normalise(messages):
    """Plain-string content -> one text part (what the Swift renderer does)."""
    out = copy.deepcopy(messages)
    call_names = {}
    changed = False
    for m in out:
        for call in m.get("tool_calls") or []:
            call_names[call.get("id")] = call["function"]["name"]
        content = m.get("content")
        if m["role"] == "assistant" and content is None:
            m["content"] = []
            changed = True
        elif isinstance(content, str):
            part = {"type": "text", "text": content}
            if m["role"] == "tool":
                part["name"] = m.get("name") or call_names[m["tool_call_id"]]
            m["content"] = [part]
            changed = True
    return out, changed


def render(template, messages, tools, add_generation_prompt):
    rendered, _ = render_jinja_template(
        conversations=[messages], tools=tools, chat_template=template,
        add_generation_prompt=add_generation_prompt)
    return rendered[0]


def text(s):
    return [{"type": "text", "text": s}]


WEATHER = {"type": "function", "function": {
    "name": "get_weather", "description": "Get the current weather in a city.",
    "parameters": {"type": "object", "properties": {
        "city": {"type": "string", "description": "City name, e.g. Paris"},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["city"]}}}
SEARCH = {"type": "function", "function": {
    "parameters": {"required": ["query"], "type": "object",
                   "properties": {"query": {"type": "string"}, "limit": {"type": "integer", "default": 10}}},
    "name": "search_web", "description": "Search <the> web & return 'top' results \"quickly\"."}}
AWKWARD = {"type": "function", "function": {
    "name": "numbers_and_escapes",
    "description": "Ünïcödé — 日本語 😀 tab\there\nnewline \\ backslash / slash \u0001 ctrl \u007f del",
    "parameters": {"type": "object", "properties": {
        "ratio": {"type": "number", "minimum": 0.5, "maximum": 1.0, "default": 1e-07},
        "big": {"type": "integer", "maximum": 123456789012345678901234567890, "minimum": -42},
        "huge": {"type": "number", "default": 1e+22, "other": 12345678901234567.0, "tiny": 2.5e-300},
        "plain": {"type": "number", "values": [0.1, 100.0, 1234567.125, 0.0001, 0.00001, -0.0, 3.0e16, 9.5e15]},
        "flags": {"type": "boolean", "default": False, "nullable": True, "extra": None},
        "empty": {"type": "object", "properties": {}, "required": []}}}}}
# The bare form of the MiniMax-M1 function-call guide: no "type"/"function" wrapper.
BARE_WEATHER = {"name": "get_weather", "description": "Get the current weather in a city.",
                "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}}
# Number literals that json.loads reads as floats or ints in unusual spellings.
TOOLS_TEXT = ('[{"type": "function", "function": {"name": "spellings", "parameters": '
              '{"a": 1E5, "b": 2.50, "c": -0, "d": 1.0e+2, "e": 0e0, "f": 1e400, "g": -1.5E-3, '
              '"h": 100000000000000000000, "i": "\\u00e9\\ud83d\\ude00\\/", "j": [], "k": {}}}}]')

CASES = [
    ("user_only", [{"role": "user", "content": text("Hello!")}], None),
    ("system_and_user", [{"role": "system", "content": text("You are a helpful assistant.")},
                         {"role": "user", "content": text("What is 2+2?")}], None),
    ("multi_turn", [{"role": "system", "content": text("Be brief.")},
                    {"role": "user", "content": text("Hi")},
                    {"role": "assistant", "content": text("Hello! How can I help?")},
                    {"role": "user", "content": text("Tell me a joke.")},
                    {"role": "assistant", "content": text("<think>\nA short one.\n</think>\nWhy did the chicken cross the road?")},
                    {"role": "user", "content": text("Why?")}], None),
    ("plain_strings", [{"role": "system", "content": "You are terse."},
                       {"role": "user", "content": "Hi there"},
                       {"role": "assistant", "content": "Hello."},
                       {"role": "user", "content": "Bye"}], None),
    ("list_of_parts", [{"role": "system", "content": [{"type": "text", "text": "First system part."},
                                                      {"type": "text", "text": " Ignored second part."}]},
                       {"role": "user", "content": [{"type": "text", "text": "Only the first user part counts."},
                                                    {"type": "text", "text": "This one is dropped."}]},
                       {"role": "assistant", "content": [{"type": "text", "text": "Part one. "},
                                                         {"type": "image_url", "image_url": {"url": "x"}},
                                                         {"type": "text", "text": "Part two."}]}], None),
    ("two_system_messages", [{"role": "system", "content": text("Alpha.")},
                             {"role": "user", "content": text("q")},
                             {"role": "system", "content": text("Beta.")}], None),
    ("empty_strings", [{"role": "system", "content": ""},
                       {"role": "user", "content": ""},
                       {"role": "assistant", "content": ""}], None),
    ("empty_system_parts", [{"role": "system", "content": text("")},
                            {"role": "user", "content": text("x")}], None),
    ("unicode", [{"role": "system", "content": text("Réponds en français. 日本語もOK 😀")},
                 {"role": "user", "content": text("Ça va? \u00e9 vs e\u0301 — “quotes” \\ backslash\ttab\r\nCRLF")}], None),
    ("template_lookalikes", [{"role": "user", "content": text("{{ '<end_of_sentence>' }} {% if %} <tool_calls></tool_calls> <think>")}], None),
    ("tools_only", [{"role": "user", "content": text("Weather in Paris?")}], [WEATHER]),
    ("tools_with_system", [{"role": "system", "content": text("Use tools when useful.")},
                           {"role": "user", "content": text("Search for swift.")}], [WEATHER, SEARCH]),
    ("tools_awkward_json", [{"role": "user", "content": text("x")}], [AWKWARD]),
    ("tools_bare_form", [{"role": "user", "content": text("Weather in Paris?")}], [BARE_WEATHER]),
    ("tools_mixed_forms", [{"role": "user", "content": text("Both forms")}], [BARE_WEATHER, SEARCH]),
    ("tools_empty_list", [{"role": "user", "content": text("no tools")}], []),
    ("tool_round_trip_parts", [
        {"role": "user", "content": text("Weather in Paris and Rome?")},
        {"role": "assistant", "content": text("<tool_calls>\n{\"name\": \"get_weather\", \"arguments\": {\"city\": \"Paris\"}}\n</tool_calls>")},
        {"role": "tool", "content": [{"type": "text", "name": "get_weather", "text": "{\"temp\": 21}"},
                                     {"type": "text", "name": "get_weather", "text": "sunny"}]},
        {"role": "assistant", "content": text("It is 21 degrees and sunny.")}], [WEATHER]),
    ("tool_round_trip_openai", [
        {"role": "user", "content": "Weather in Paris?"},
        {"role": "assistant", "content": None, "tool_calls": [
            {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\": \"Paris\"}"}}]},
        {"role": "tool", "tool_call_id": "call_1", "content": "{\"temp\": 21}"},
        {"role": "tool", "name": "named_directly", "content": "ok"}], [WEATHER]),
    ("assistant_text_and_tool_calls", [
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "Let me check.", "tool_calls": [
            {"id": "c9", "type": "function", "function": {"name": "search_web", "arguments": {"query": "x"}}}]}], [SEARCH]),
]


def main():
    template = json.loads(CONFIG.read_text())["chat_template"]
    cases = []
    for name, messages, tools in CASES:
        rendered_messages, normalised = normalise(messages)
        for add in (True, False):
            cases.append({
                "name": f"{name}{'' if add else '_no_generation_prompt'}",
                "messages": messages, "tools": tools, "addGenerationPrompt": add,
                "normalised": normalised,
                "expected": render(template, rendered_messages, tools, add)})
    tools = json.loads(TOOLS_TEXT)
    cases.append({"name": "tools_number_spellings", "messages": [{"role": "user", "content": text("n")}],
                  "toolsText": TOOLS_TEXT, "addGenerationPrompt": True, "normalised": False,
                  "expected": render(template, [{"role": "user", "content": text("n")}], tools, True)})
    OUT.write_text(json.dumps({"source": "scripts/chat/make_goldens.py", "cases": cases},
                              ensure_ascii=False, indent=1) + "\n")
    print(f"wrote {len(cases)} cases to {OUT}")


if __name__ == "__main__":
    main()
