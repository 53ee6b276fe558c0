"""Every ```python block of README.md runs on its own and prints what the README shows.

How the README states a block's output (the convention this file enforces):

- A ```python block is followed, with only blank lines between, by a ```text block holding
  exactly what the block prints on stdout (trailing whitespace aside). Print rounded values
  (``f"{x:.3g}"``, ``arr.round(3)``) so that the output is stable.
- A block that prints nothing is marked with ``<!-- no-output -->`` on a line just before its
  opening fence; it still runs, and must print nothing.
- ``<!-- slow -->`` just before the fence marks a block that takes more than a few seconds;
  it runs under ``@pytest.mark.slow``. (So do all blocks but the first, each being a fresh
  interpreter: see ``block_marks``.) Markers can share a line: ``<!-- slow no-output -->``.
- A block importing an optional package (gymnasium, distributed, tsplib95, ...) is skipped,
  with the reason, when that package is not installed.

Each block runs as its own script (``python block.py``, so ``if __name__ == "__main__":`` works
and process pools can import it) in a fresh interpreter, in an empty temporary folder, against
this checkout. Blocks are found by parsing README.md at collection time, so a section added
later is tested without touching this file; a ```python block without stated output, or an
unclosed fence, fails its test instead of escaping it.
"""

from __future__ import annotations

import ast
import importlib.util
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"

PYTHON_INFO = {"python", "py", "python3"}  # fence info strings that mean a python script
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>.*)$")
HEADING = re.compile(r"^#{1,6}\s+(?P<title>.+?)\s*#*\s*$")
MARKER = re.compile(r"^\s*<!--(?P<words>.*?)-->\s*$")
KNOWN_MARKERS = {"slow", "no-output"}

# Importable name -> the extra that installs it (for the skip reason). ceopt modules that need
# an optional package are listed by that package.
OPTIONAL = {"gymnasium": "gym", "distributed": "dask", "dask": "dask",
            "tsplib95": "combinatorial", "matplotlib": "plot", "tqdm": "gym", "cma": "bench"}
NEEDS = {"ceopt.rl": "gymnasium", "ceopt.plotting": "matplotlib", "ceopt.plot": "matplotlib"}
# The pytest marker of the extras that have one (registered in setup.cfg), for -m "not gym".
EXTRA_MARKER = {"gymnasium": "gym", "distributed": "dask", "dask": "dask", "cma": "bench"}

BLOCK_TIMEOUT = 300  # seconds; a hung block fails instead of hanging the suite


@dataclass
class Block:
    heading: str
    line: int                 # 1-based line of the opening fence
    code: str
    expected: str | None      # None: the README states no output and no marker says why
    markers: frozenset[str]
    problem: str | None = None  # a malformed README around this block


@dataclass
class Fence:
    start: int                # index of the opening line
    end: int                  # index of the closing line (len(lines) if unclosed)
    info: str
    body: list[str]


def fences(lines: list[str]) -> list[Fence]:
    """The fenced code blocks of a markdown text, in order (CommonMark's rules, simplified:
    a fence closes on a line of the same character, at least as long, with no info string)."""
    found = []
    i = 0
    while i < len(lines):
        m = FENCE.match(lines[i])
        if not m:
            i += 1
            continue
        indent, fence = len(m["indent"]), m["fence"]
        j = i + 1
        while j < len(lines):
            close = FENCE.match(lines[j])
            if (close and close["fence"][0] == fence[0] and len(close["fence"]) >= len(fence)
                    and not close["info"].strip()):
                break
            j += 1
        # Content indented with its fence (inside a list item) loses that indentation.
        body = [line[indent:] if line[:indent].strip() == "" else line.lstrip()
                for line in lines[i + 1:j]]
        found.append(Fence(i, j, m["info"].strip(), body))
        i = j + 1
    return found


def is_python(info: str) -> bool:
    words = info.split()
    return bool(words) and words[0].lower() in PYTHON_INFO


def markers_before(lines: list[str], index: int) -> set[str]:
    """The words of the HTML comments on the lines just above line ``index``."""
    words: set[str] = set()
    k = index - 1
    while k >= 0 and (m := MARKER.match(lines[k])):
        words.update(m["words"].split())
        k -= 1
    return words


def parse_readme(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks = []
    found = fences(lines)
    inside = {k for f in found for k in range(f.start, min(f.end, len(lines) - 1) + 1)}
    headings = {k: m["title"].replace("`", "") for k, line in enumerate(lines)
                if k not in inside and (m := HEADING.match(line))}
    for n, f in enumerate(found):
        if not is_python(f.info):
            continue
        above = [k for k in headings if k < f.start]
        heading = headings[max(above)] if above else "(before any heading)"
        markers = markers_before(lines, f.start)
        problems = []
        if f.end >= len(lines):
            problems.append("its fence is never closed")
        if unknown := markers - KNOWN_MARKERS:
            problems.append(f"unknown marker(s) {sorted(unknown)}; known: {sorted(KNOWN_MARKERS)}")
        expected = None
        after = found[n + 1] if n + 1 < len(found) else None
        if after and after.info == "text" and all(not line.strip()
                                                  for line in lines[f.end + 1:after.start]):
            expected = "\n".join(after.body)
            if "no-output" in markers:
                problems.append("it is marked <!-- no-output --> but a ```text block follows")
        elif "no-output" in markers:
            expected = ""
        else:
            problems.append("no ```text block with its output follows it (mark a block that "
                            "prints nothing with <!-- no-output --> on the line above)")
        blocks.append(Block(heading, f.start + 1, "\n".join(f.body) + "\n", expected,
                            frozenset(markers), "; ".join(problems) or None))
    return blocks


def block_ids(blocks: list[Block]) -> list[str]:
    """The section heading, numbered when a section has several blocks."""
    counts: dict[str, int] = {}
    for b in blocks:
        counts[b.heading] = counts.get(b.heading, 0) + 1
    seen: dict[str, int] = {}
    ids = []
    for b in blocks:
        seen[b.heading] = seen.get(b.heading, 0) + 1
        ids.append(b.heading if counts[b.heading] == 1 else f"{b.heading} ({seen[b.heading]})")
    return ids


def missing_optional(code: str) -> list[str]:
    """The optional packages this block imports (directly or through ceopt) that are missing."""
    return sorted(pkg for pkg in optional_imports(code) if importlib.util.find_spec(pkg) is None)


def optional_imports(code: str) -> set[str]:
    """The optional packages this block imports, directly or through ceopt."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return set()  # running it reports the error
    modules = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            modules.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            modules.add(node.module)
            modules.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif (isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name)
              and node.value.id == "ceopt"):
            modules.add(f"ceopt.{node.attr}")  # ceopt.plot(...) needs matplotlib too
    needed = set()
    for module in modules:
        top = module.split(".")[0]
        if top in OPTIONAL:
            needed.add(top)
        needed.update(pkg for prefix, pkg in NEEDS.items()
                      if module == prefix or module.startswith(prefix + "."))
    return needed


def normalise(output: str) -> str:
    return "\n".join(line.rstrip() for line in output.rstrip().splitlines())


BLOCKS = parse_readme(README.read_text(encoding="utf-8"))


def run_script(code: str, folder: Path) -> subprocess.CompletedProcess:
    script = folder / "block.py"
    script.write_text(code, encoding="utf-8")
    env = dict(os.environ, OPENBLAS_NUM_THREADS="1", MPLBACKEND="Agg", PYTHONHASHSEED="0")
    # This checkout's ceopt, whatever is installed.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return subprocess.run([sys.executable, script.name], cwd=folder, env=env,
                          capture_output=True, text=True, timeout=BLOCK_TIMEOUT)


def block_marks(block: Block, first: bool) -> list[pytest.MarkDecorator]:
    """``slow`` for every block but the first, and the marker of each optional extra it imports.

    A block runs in a fresh interpreter that imports numpy, scipy and ceopt before its real
    run: a second or more each. The first block, the README's opening example, stays in the
    fast tests (``pytest -m "not slow"``); ``<!-- slow -->`` makes even the first one slow.
    """
    names = {EXTRA_MARKER[pkg] for pkg in optional_imports(block.code) if pkg in EXTRA_MARKER}
    if not first or "slow" in block.markers:
        names.add("slow")
    return [getattr(pytest.mark, name) for name in sorted(names)]


@pytest.mark.parametrize(
    "block", [pytest.param(b, marks=block_marks(b, first=k == 0)) for k, b in enumerate(BLOCKS)],
    ids=block_ids(BLOCKS))
@pytest.mark.slow
def test_block_prints_what_the_readme_shows(block: Block, tmp_path: Path) -> None:
    where = f"README.md line {block.line} ({block.heading})"
    assert block.problem is None, f"{where}: {block.problem}"
    if missing := missing_optional(block.code):
        pytest.skip(f"needs {', '.join(missing)} "
                    f"(pip install '.[{','.join(sorted({OPTIONAL[m] for m in missing}))}]')")
    done = run_script(block.code, tmp_path)
    assert done.returncode == 0, f"{where} failed:\n{done.stderr[-3000:]}"
    assert normalise(done.stdout) == normalise(block.expected or ""), (
        f"{where} printed something else than the README shows")


# The parser itself: a python block must not escape the test above.

def test_every_python_fence_in_the_readme_is_collected() -> None:
    # Counted without the parser: every line opening a fence, outside other fences.
    text = README.read_text(encoding="utf-8")
    infos = []
    in_fence = None
    for line in text.splitlines():
        m = FENCE.match(line)
        if not m:
            continue
        if in_fence is None:
            in_fence = m["fence"]
            infos.append(m["info"].strip())
        elif (m["fence"][0] == in_fence[0] and len(m["fence"]) >= len(in_fence)
              and not m["info"].strip()):
            in_fence = None
    assert sum(map(is_python, infos)) == len(BLOCKS) > 0
    assert len(set(block_ids(BLOCKS))) == len(BLOCKS)
    # A console session or a spelling this file does not run would escape the test.
    odd = [info for info in infos if info.lower().startswith("py") and not is_python(info)]
    assert not odd, f"README fences {odd}: write python scripts as ```python blocks"


SAMPLE = """\
# Title

```
shell, not python
```

## One

```python
print(1)
# a comment, not a heading
```

```text
1
```

## Two

```python
x = 1
```

<!-- no-output -->
```py
y = 2
```

- a list item:

  ```python
  print("indented")
  ```

  ```text
  indented
  ```

<!-- slow -->
<!-- no-outptu -->
```python
pass
```

```Python
print("open")
"""


def test_parser_finds_outputs_markers_and_problems() -> None:
    blocks = parse_readme(SAMPLE)
    assert [b.heading for b in blocks] == ["One", "Two", "Two", "Two", "Two", "Two"]
    assert block_ids(blocks)[1:3] == ["Two (1)", "Two (2)"]
    one, no_text, quiet, indented, misspelt, unclosed = blocks
    assert one.code == "print(1)\n# a comment, not a heading\n" and one.expected == "1"
    assert one.problem is None and one.line == 9
    assert no_text.expected is None and "no ```text block" in no_text.problem
    assert quiet.expected == "" and quiet.problem is None
    assert indented.code == 'print("indented")\n' and indented.expected == "indented"
    assert misspelt.markers == {"slow", "no-outptu"} and "unknown marker" in misspelt.problem
    assert "never closed" in unclosed.problem


def test_optional_packages_are_found_from_the_imports(monkeypatch: pytest.MonkeyPatch) -> None:
    installed = {"numpy", "ceopt"}
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name: object() if name in installed else None)
    assert missing_optional("import numpy as np\nfrom ceopt.rl import policy_search\n") \
        == ["gymnasium"]
    assert missing_optional("import distributed\nimport tsplib95\n") == ["distributed",
                                                                         "tsplib95"]
    assert missing_optional("import numpy\nfrom . import x\nimport ceopt.rlx\n") == []


def test_output_comparison_ignores_only_trailing_whitespace() -> None:
    assert normalise("a  \nb\n\n") == normalise("a\nb")
    assert normalise(" a") != normalise("a")
    assert normalise("a\n\nb") != normalise("a\nb")


def test_a_block_runs_alone_in_an_empty_folder(tmp_path: Path) -> None:
    code = ("import os, sys\n"
            "print(os.listdir('.'), os.environ['OPENBLAS_NUM_THREADS'])\n"
            "print('ceopt' in sys.modules)\n")
    done = run_script(code, tmp_path)
    assert done.returncode == 0, done.stderr
    assert normalise(done.stdout) == "['block.py'] 1\nFalse"
    assert normalise(run_script("print(2)\n", tmp_path).stdout) != normalise("1")
