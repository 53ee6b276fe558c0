"""Sphinx configuration for the ceopt documentation.

Build with ``sphinx-build -W --keep-going -b html docs docs/_build/html`` (``pip install
".[docs]"``); the pages are markdown, read by myst-parser.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from docutils import nodes
from sphinx import addnodes
from sphinx.application import Sphinx

import ceopt

project = "ceopt"
author = "the ceopt authors"
copyright = "the ceopt authors"
release = ceopt.__version__
version = release

extensions = [
    "myst_parser",
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
]

source_suffix = {".md": "markdown"}
root_doc = "index"
exclude_patterns = ["_build"]

# Sections get anchors so that a page can link to another's heading (`page.md#heading`).
myst_heading_anchors = 3

# The docstrings are numpydoc style.
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# "Stopping" is a section of CrossEntropy's docstring that numpydoc does not define.
napoleon_custom_sections = ["Stopping"]
autodoc_member_order = "bysource"
# The numpydoc sections already give each parameter's type in the reader's terms; the
# annotations would repeat them with numpy's ArrayLike spelled out as a dozen-member union.
autodoc_typehints = "none"

# furo when installed (the docs extra), else Sphinx's built-in theme: both work offline.
html_theme = "furo" if importlib.util.find_spec("furo") else "alabaster"
html_title = f"ceopt {release}"


# -- links to repository files outside docs/ --------------------------------------------------
# The guide pages link to files elsewhere in the repository (benchmark results, tests) with
# relative paths, which work when the markdown is read in the repository. Those files are not
# part of the site, so there each such link becomes the file's repository path as code text.
# Only links to files that exist are rewritten: a broken link still warns and fails the build.

DOCS = Path(__file__).resolve().parent
REPOSITORY = DOCS.parent


def _outside_docs(path: Path) -> str | None:
    """``path`` relative to the repository when it is an existing file outside docs/."""
    path = path.resolve()
    if not path.is_file() or path.is_relative_to(DOCS) or not path.is_relative_to(REPOSITORY):
        return None
    return path.relative_to(REPOSITORY).as_posix()


def _repository_file(app: Sphinx, node: nodes.Element) -> str | None:
    """The repository path a markdown link points to, if it is a file outside docs/."""
    if node.get("reftype") != "myst":
        return None
    target = node.get("reftarget", "")
    if isinstance(node, addnodes.download_reference):
        # A file Sphinx would copy into the site for download.
        return _outside_docs(Path(app.env.doc2path(node["refdoc"])).parent / target)
    if node.get("refdomain") == "doc" and Path(target).is_absolute():
        # myst names a markdown file outside the source folder by its absolute path, without
        # its suffix.
        for suffix in app.config.source_suffix:
            found = _outside_docs(Path(target + suffix))
            if found:
                return found
    return None


def _unlink_repository_files(app: Sphinx, doctree: nodes.document) -> None:
    for node in list(doctree.findall(addnodes.pending_xref)) + list(
            doctree.findall(addnodes.download_reference)):
        path = _repository_file(app, node)
        if path is None:
            continue
        text = node.astext()
        replacement: list[nodes.Node] = [nodes.literal(path, path)]
        if text != path:  # the link had words of its own: keep them, and say where they point
            replacement = [nodes.Text(f"{text} (")] + replacement + [nodes.Text(")")]
        node.replace_self(replacement)


def setup(app: Sphinx) -> dict[str, bool]:
    # Before Sphinx's own doctree-read handlers (priority 500), which register downloads.
    app.connect("doctree-read", _unlink_repository_files, priority=400)
    return {"parallel_read_safe": True}
