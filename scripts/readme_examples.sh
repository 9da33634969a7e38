#!/usr/bin/env bash
# Runs the README's examples as a user would from a fresh clone: every ```sh block, in order, each
# line as written (continuation lines joined), from the repository root. Skipped: blocks tagged
# ```sh dev-checkout (they read ../shared/, present only beside a development checkout) and
# ```sh long-running (servers, benchmarks, Python setups, downloads), and the first block's
# `swift test` line (.ci/run runs the suite). Exits non-zero at the first command that fails,
# naming its README line.
#
#   scripts/readme_examples.sh [--list]     # --list prints the commands instead of running them
set -euo pipefail
cd "$(dirname "$0")/.."

commands=$(python3 - <<'PY'
import re, sys
lines = open("README.md", encoding="utf-8").read().split("\n")
block, tag, pending, start = None, None, "", 0
for number, line in enumerate(lines, 1):
    fence = re.match(r"^```(\S*)\s*(.*)$", line)
    if fence and block is None:
        block, tag = fence.group(1), fence.group(2).strip()
        continue
    if fence and block is not None:
        block = None
        continue
    if block != "sh" or tag in ("dev-checkout", "long-running"):
        continue
    if not pending:
        start = number
    pending += line.rstrip("\\") + " " if line.endswith("\\") else line
    if line.endswith("\\"):
        continue
    command, pending = pending.strip(), ""
    if not command or command.startswith("#") or command.startswith("swift test"):
        continue
    print(f"{start}\t{command}")
PY
)

if [[ ${1:-} == --list ]]; then
    printf '%s\n' "$commands"
    exit 0
fi

count=0
while IFS=$'\t' read -r line command; do
    [[ -z $command ]] && continue
    echo "README.md:$line: $command" >&2
    # stdin from /dev/null unless the command pipes its own: `chat` and `--prompt -` must not wait.
    if ! bash -c "set -o pipefail; $command" < /dev/null > /tmp/readme-example-output.txt 2>&1; then
        cat /tmp/readme-example-output.txt >&2
        echo "FAILED: README.md line $line: $command" >&2
        exit 1
    fi
    count=$((count + 1))
done <<< "$commands"
echo "readme examples: $count commands passed" >&2
