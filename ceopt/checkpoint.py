"""Checkpoint files: a run's state as plain data, written so that a crash never leaves a bad one.

The state is what the run's parts say about themselves (``state()`` of the run, its search,
schedule, update rule, distribution and handler; ``docs/checkpoints.md`` lists every field),
nested dictionaries of numbers, strings, lists and numpy arrays. The file is a zip archive
(also a valid ``.npz``, which ``numpy.load`` opens):

- ``checkpoint.json``: ``{"format": 7, "ceopt": "<version>", "state": ...}``, where each
  array is ``{"$array": "<name>"}`` and a non-finite float ``{"$float": "inf"}``;
- ``arrays/<name>.npy``: the arrays, in numpy's own format, named by the keys that lead to
  them (``arrays/solver.best.x.npy``).

Reading it runs no code: JSON, and ``.npy`` files read with ``allow_pickle=False``. The zip's
CRC-32 of every member, and its directory at the end, make a damaged or truncated file a
clear error. The file is written to a temporary file in the same folder, flushed and
fsynced, then renamed over the old one (an atomic step on POSIX and Windows), and the
folder is fsynced: a crash at any moment leaves either the previous checkpoint or the new
one, whole. It is readable by its owner only (``mkstemp``'s mode 0600).
"""

from __future__ import annotations

import io
import json
import math
import os
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from ._version import __version__

#: The layout of the state (docs/checkpoints.md). It names the parts' documented fields, not
#: their private attributes, so internal changes leave it alone; tests/test_checkpoint.py
#: resumes a file committed in this format to show it.
FORMAT_VERSION = 7
#: The checkpoints of ceopt 0.1 were pickles, which start with this header.
PICKLE_MAGIC = b"CEOPT-CHECKPOINT "
MEMBER = "checkpoint.json"
#: A fixed date for the members, so that the same state always gives the same bytes.
DATE = (1980, 1, 1, 0, 0, 0)


class CheckpointError(ValueError):
    """A file that is not a checkpoint this ceopt can resume: truncated, damaged, too new, or
    naming a part this ceopt does not know."""


def save(path: str | os.PathLike, state: dict[str, Any]) -> None:
    """Write ``state`` (plain data and arrays) to ``path`` atomically."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(_no_folder(path))
    data = _archive(state)
    fd, tmp = _temporary(path)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def check_target(path: str | os.PathLike) -> None:
    """An error now if :func:`save` could not write ``path`` (before a run spends
    evaluations it would then lose): a folder that does not exist (``~`` is not expanded, as
    ``open`` does not expand it), that cannot be written, or a path that is a folder."""
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(f"checkpoint {str(path)!r} is a folder: name a file in it, "
                                f"e.g. {str(path / 'run.ckpt')!r}")
    if not path.parent.is_dir():
        raise FileNotFoundError(_no_folder(path))
    fd, tmp = _temporary(path)  # the one sure test of a folder's permissions: try
    os.close(fd)
    Path(tmp).unlink()


def _no_folder(path: Path) -> str:
    hint = (": '~' is not expanded, pass os.path.expanduser(path)"
            if str(path).startswith("~") else "")
    return (f"cannot write the checkpoint {str(path)!r}: its folder {str(path.parent)!r} does "
            f"not exist{hint}")


def _temporary(path: Path) -> tuple[int, str]:
    """A new file beside ``path`` (what :func:`save` writes before renaming it), open."""
    try:
        return tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:  # the folder is read-only, full, ...: say which file it was for
        raise type(exc)(exc.errno, f"cannot write the checkpoint {str(path)!r} in its folder "
                                   f"{str(path.parent)!r}: {exc.strerror}") from exc


def check(state: dict[str, Any]) -> None:
    """A TypeError now if ``state`` holds something a checkpoint cannot (before a run spends
    evaluations it would then lose)."""
    _to_plain(state, {})


def load(path: str | os.PathLike, remove_leftovers: bool = False) -> dict[str, Any]:
    """The state saved in ``path``; :class:`CheckpointError` if it cannot be trusted.

    ``remove_leftovers`` deletes the temporary files of writes that a crash interrupted
    (``.<name>.*.tmp`` beside it), as a run resuming from ``path`` is their only writer.
    """
    path = Path(path)
    data = path.read_bytes()
    if data.startswith(PICKLE_MAGIC):
        version = data[len(PICKLE_MAGIC):data.find(b"\n")].decode(errors="replace")
        raise CheckpointError(
            f"{path} has checkpoint format {version}, a pickle written by ceopt 0.1. This "
            f"ceopt ({__version__}) reads format {FORMAT_VERSION}, plain data, and does not "
            f"unpickle files (unpickling can run code): resume it with ceopt 0.1.0, or "
            f"start the run again")
    if not data.startswith(b"PK"):
        raise CheckpointError(f"{path} is not a ceopt checkpoint (not a zip archive)")
    try:
        document, arrays = _unarchive(data)
    except (zipfile.BadZipFile, KeyError, ValueError, EOFError, OSError) as exc:
        raise CheckpointError(f"{path} is truncated or damaged ({exc}; {len(data)} bytes): "
                              f"it cannot be resumed") from None
    version = document.get("format")
    if not isinstance(version, int) or version > FORMAT_VERSION or version < 7:
        raise CheckpointError(
            f"{path} has checkpoint format {version!r}, written by ceopt "
            f"{document.get('ceopt', '?')}; this ceopt ({__version__}) reads format "
            f"{FORMAT_VERSION}: resume it with the ceopt that wrote it")
    try:
        state = _from_plain(document["state"], arrays)
    except KeyError as exc:
        raise CheckpointError(f"{path} is damaged: it refers to an array {exc} it does not "
                              f"hold") from None
    _fill_in(state)
    if remove_leftovers:
        for leftover in path.parent.glob(f".{path.name}.*.tmp"):
            leftover.unlink(missing_ok=True)
    return state


def _fill_in(state: dict[str, Any]) -> None:
    """The fields added to the state after a file of this format was written, with the
    meaning the file had (docs/checkpoints.md, "Versions"). Those the parts read themselves
    are filled in where they are read; these are passed on whole."""
    evaluation = state.get("evaluation")
    if isinstance(evaluation, dict) and "on_nan" not in evaluation and "on_error" in evaluation:
        # Before on_nan existed, on_error decided what a NaN or infinite value did too.
        evaluation["on_nan"] = evaluation["on_error"]


# -- plain data <-> JSON and arrays -----------------------------------------------------------
def _archive(state: dict[str, Any]) -> bytes:
    arrays: dict[str, np.ndarray] = {}
    document = {"format": FORMAT_VERSION, "ceopt": __version__,
                "state": _to_plain(state, arrays)}
    text = json.dumps(document, allow_nan=False, separators=(",", ":"))
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo(MEMBER, DATE), text)
        for name, array in arrays.items():
            with zf.open(zipfile.ZipInfo(f"arrays/{name}.npy", DATE), "w") as f:
                np.lib.format.write_array(f, array, allow_pickle=False)
    return buffer.getvalue()


def _unarchive(data: bytes) -> tuple[dict[str, Any], dict[str, np.ndarray]]:
    arrays = {}
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        document = json.loads(zf.read(MEMBER))
        for info in zf.infolist():
            if info.filename.startswith("arrays/") and info.filename.endswith(".npy"):
                with zf.open(info) as f:
                    buffer = io.BytesIO(f.read())  # read whole: checks the member's CRC
                arrays[info.filename[7:-4]] = np.lib.format.read_array(buffer,
                                                                       allow_pickle=False)
    if not isinstance(document, dict) or "state" not in document:
        raise ValueError("no state in the checkpoint")
    return document, arrays


def _to_plain(value: Any, arrays: dict[str, np.ndarray], path: str = "") -> Any:
    """``value`` as JSON-able data, its arrays moved into ``arrays`` under the dotted path of
    keys that leads to them (``solver.best.x``)."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (np.bool_,)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        value = float(value)
        return value if math.isfinite(value) else {"$float": repr(value)}
    if isinstance(value, np.ndarray):
        if value.dtype.kind not in "biuf":
            raise TypeError(f"a checkpoint holds arrays of numbers, not of {value.dtype}")
        arrays[path] = value
        return {"$array": path}
    if isinstance(value, dict):
        if not all(isinstance(key, str) for key in value):
            raise TypeError("a checkpoint's dictionaries have string keys")
        return {key: _to_plain(item, arrays, f"{path}.{key}" if path else key)
                for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [_to_plain(item, arrays, f"{path}.{i}") for i, item in enumerate(value)]
    raise TypeError(f"a checkpoint holds numbers, strings, lists, dicts and arrays, not "
                    f"{type(value).__name__}: its state() must say how to save it")


def _from_plain(value: Any, arrays: dict[str, np.ndarray]) -> Any:
    if isinstance(value, list):
        return [_from_plain(item, arrays) for item in value]
    if isinstance(value, dict):
        if set(value) == {"$array"}:
            return arrays[value["$array"]]
        if set(value) == {"$float"}:
            return float(value["$float"])
        return {key: _from_plain(item, arrays) for key, item in value.items()}
    return value


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
