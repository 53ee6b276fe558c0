"""Checkpoint files: a run's whole state, written so that a crash never leaves a bad one.

A checkpoint holds the solver (distribution, RNG state, best so far, counters, history) and
the evaluator's failure record, pickled. The file is::

    CEOPT-CHECKPOINT <format version>\\n
    <sha256 of the payload, hex>\\n
    <pickled payload>

It is written to a temporary file in the same folder, flushed and fsynced, then renamed over
the old one (an atomic step on POSIX and Windows), and the folder is fsynced. The file is
readable by its owner only (``mkstemp``'s mode 0600). A crash at any
moment therefore leaves either the previous checkpoint or the new one, whole. Reading checks
the header, the version and the checksum, so a truncated or damaged file is a clear error,
never a silent restart. As with any pickle, load only checkpoints you trust.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import tempfile
from pathlib import Path
from typing import Any

MAGIC = b"CEOPT-CHECKPOINT"
#: Bumped when the payload's layout changes; older files are then refused with a clear error.
FORMAT_VERSION = 6  # 2: method "adaptive"; 3: bounds by projection; 4: keep_best, tol_fun;
# 5: the separability test and coordinate sweeps; 6: the solver's stopping records in one object


class CheckpointError(ValueError):
    """A file that is not a checkpoint this ceopt can resume: truncated, damaged or too new."""


def save(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` to ``path`` atomically (see the module's docstring)."""
    path = Path(path)
    payload = pickle.dumps(state, protocol=pickle.HIGHEST_PROTOCOL)
    header = b"%s %d\n%s\n" % (MAGIC, FORMAT_VERSION, hashlib.sha256(payload).hexdigest().encode())
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(header)
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def _fsync_folder(folder: Path) -> None:
    """Make the rename itself durable (POSIX; Windows cannot open a folder, nor needs to)."""
    try:
        fd = os.open(folder or ".", os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def load(path: str | os.PathLike, remove_leftovers: bool = False) -> dict[str, Any]:
    """The state saved in ``path``; :class:`CheckpointError` if it cannot be trusted.

    ``remove_leftovers`` deletes the temporary files of writes that a crash interrupted
    (``.<name>.*.tmp`` beside it), as a run resuming from ``path`` is their only writer.
    """
    path = Path(path)
    data = path.read_bytes()
    first, _, rest = data.partition(b"\n")
    digest, _, payload = rest.partition(b"\n")
    if not first.startswith(MAGIC + b" "):
        raise CheckpointError(f"{path} is not a ceopt checkpoint (it does not start with "
                              f"{MAGIC.decode()})")
    try:
        version = int(first[len(MAGIC) + 1:])
    except ValueError:
        raise CheckpointError(f"{path}: unreadable format version {first!r}") from None
    if version != FORMAT_VERSION:
        raise CheckpointError(f"{path} has checkpoint format {version}; this ceopt reads "
                              f"format {FORMAT_VERSION} only")
    if hashlib.sha256(payload).hexdigest().encode() != digest:
        raise CheckpointError(f"{path} is truncated or damaged (its checksum does not match, "
                              f"{len(data)} bytes): it cannot be resumed")
    try:
        state = pickle.loads(payload)
    except Exception as exc:  # a class renamed or removed since the file was written
        raise CheckpointError(f"{path} was written by a ceopt this one cannot read "
                              f"({type(exc).__name__}: {exc})") from None
    if not isinstance(state, dict) or "solver" not in state:
        raise CheckpointError(f"{path} holds no ceopt run")
    if remove_leftovers:
        for leftover in path.parent.glob(f".{path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
    return state
