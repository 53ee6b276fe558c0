"""Print the README quick start's second line (the test line) so that CI runs exactly it."""

import re
import sys
from pathlib import Path


def quick_start_lines(readme: Path) -> list[str]:
    text = readme.read_text(encoding="utf-8")
    block = re.search(r"^#+[^\n]*quick[ -]?start[^\n]*\n.*?```[a-z]*\n(.*?)```", text,
                      re.I | re.S | re.M)
    if block is None:
        sys.exit("README.md has no Quick start code block")
    return [line.strip().removeprefix("$ ") for line in block.group(1).splitlines()
            if line.strip() and not line.strip().startswith("#")]


if __name__ == "__main__":
    lines = quick_start_lines(Path(__file__).resolve().parents[1] / "README.md")
    if len(lines) != 2:
        sys.exit(f"the quick start must have 2 command lines, found {len(lines)}")
    print(lines[1])
