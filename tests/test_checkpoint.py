"""Checkpoint, kill, resume: bit-identical to a run never interrupted; damaged files refused."""

import hashlib
import json
import pickle
import runpy
import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import numpy as np
import pytest
from problems import sphere

import ceopt
from ceopt.checkpoint import FORMAT_VERSION, CheckpointError, load, save

DATA = Path(__file__).resolve().parent / "data"

# A run with state in every corner: bounds, a full covariance, maximising, failures scored the
# worst, the stagnation counter and the scale control, and a restart (after iteration 19: the
# loose tol_spread makes it come early; the search converges again at iteration 30, where
# max_iter ends the run without a second restart). f is maximised; it fails (NaN) where
# x[0] > 2.5.
SCRIPT = """
import numpy as np
import ceopt

def f(X):
    v = -((X - 1.5) ** 2).sum(axis=1)
    v[X[:, 0] > 2.5] = np.nan
    return v

RUN = dict(x0=np.zeros(3), sigma0=1.0, bounds=[(-3, 3)] * 3, dist="full", seed=7,
           max_iter=30, vectorized=True, on_error="worst", restarts=3, tol_spread=0.2,
           separable=False)
"""


def script_namespace() -> dict:
    namespace: dict = {}
    exec(SCRIPT, namespace)
    return namespace


def uninterrupted():
    namespace = script_namespace()
    return namespace["f"], ceopt.maximize(namespace["f"], **namespace["RUN"])


def same_run(a, b, rtol=0.0):
    """``a`` and ``b`` are the same run: bit for bit, or (``rtol`` > 0) up to rounding."""
    def same(u, v):
        return np.shape(u) == np.shape(v) and np.allclose(u, v, rtol=rtol, atol=0.0,
                                                          equal_nan=True)
    assert same(a.x, b.x) and same(a.fun, b.fun) and (a.nit, a.nfev) == (b.nit, b.nfev)
    assert (a.nfail, a.failures, a.status) == (b.nfail, b.failures, b.status)
    assert a.nrestarts == b.nrestarts
    for key in a.history:
        assert same(a.history[key], b.history[key]), key


def run_script(body: str, path: Path) -> subprocess.CompletedProcess:
    code = SCRIPT + textwrap.dedent(body).replace("PATH", repr(str(path)))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


@pytest.mark.slow  # each run is a fresh interpreter, killed mid-way
@pytest.mark.parametrize("every", [1, 4])
def test_a_run_killed_mid_way_resumes_bit_identical(tmp_path, every):
    path = tmp_path / "run.ckpt"
    killed = run_script(f"""
        calls = 0
        def dying(X):
            global calls
            calls += 1
            if calls == 11:  # a power cut while the 11th population is evaluated
                import os
                os._exit(9)
            return f(X)
        ceopt.maximize(dying, checkpoint=PATH, checkpoint_every={every}, **RUN)
        """, path)
    assert killed.returncode == 9, killed.stderr
    assert load(path)["solver"]["nit"] == 10 // every * every  # the last checkpoint before it
    f, full = uninterrupted()
    same_run(ceopt.resume(path, f), full)
    assert full.nfail > 0  # the failure record went through the checkpoint too
    assert full.nrestarts == 1  # and the restart after it happened alike


@pytest.mark.slow
def test_a_kill_before_the_rename_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    killed = run_script("""
        import os
        real_replace, saves = os.replace, 0
        def dying_replace(src, dst):
            global saves
            saves += 1
            if saves == 6:  # the 6th file is written and fsynced, not yet renamed
                os._exit(9)
            real_replace(src, dst)
        os.replace = dying_replace
        ceopt.maximize(f, checkpoint=PATH, **RUN)
        """, path)
    assert killed.returncode == 9, killed.stderr
    assert load(path)["solver"]["nit"] == 5
    f, full = uninterrupted()
    same_run(ceopt.resume(path, f), full)


@pytest.mark.slow
def test_a_kill_half_way_through_writing_leaves_the_previous_checkpoint(tmp_path):
    path = tmp_path / "run.ckpt"
    killed = run_script("""
        import os, ceopt.checkpoint as ck
        real_fdopen, saves = os.fdopen, 0
        class HalfFile:  # writes half of what it is given, then the process dies
            def __init__(self, f):
                self.f = f
            def __enter__(self):
                return self
            def __exit__(self, *a):
                self.f.close()
            def write(self, data):
                if len(data) > 100:
                    self.f.write(data[: len(data) // 2])
                    self.f.flush()
                    os._exit(9)
                self.f.write(data)
        def fdopen(fd, mode):
            global saves
            saves += 1
            return HalfFile(real_fdopen(fd, mode)) if saves == 4 else real_fdopen(fd, mode)
        ck.os.fdopen = fdopen
        ceopt.maximize(f, checkpoint=PATH, **RUN)
        """, path)
    assert killed.returncode == 9, killed.stderr
    assert load(path)["solver"]["nit"] == 3
    assert any(p.name.endswith(".tmp") for p in path.parent.iterdir())  # the half-written one
    f, full = uninterrupted()
    same_run(ceopt.resume(path, f), full)
    assert not any(p.name.endswith(".tmp") for p in path.parent.iterdir())  # cleaned up


def test_resume_after_a_callback_stop_and_with_a_larger_budget(tmp_path):
    path = tmp_path / "run.ckpt"
    f, full = uninterrupted()
    first = ceopt.maximize(f, checkpoint=path, callback=lambda r: r.nit == 12,
                           **script_namespace()["RUN"])
    assert first.status == 5 and first.nit == 12
    same_run(ceopt.resume(path, f), full)
    longer = ceopt.resume(path, f, max_iter=35)
    assert longer.nit == 35 and np.array_equal(longer.history["best"][:30], full.history["best"])
    assert ceopt.resume(path, f).nit == 35  # a finished run returns at once


def rewritten(path, out, change):
    """A copy of the checkpoint ``path`` at ``out`` with ``change(document)`` applied to its
    JSON document (as a newer or hand-edited file would have it)."""
    with zipfile.ZipFile(path) as zf:
        members = {info.filename: zf.read(info) for info in zf.infolist()}
    document = json.loads(members["checkpoint.json"])
    change(document)
    members["checkpoint.json"] = json.dumps(document).encode()
    with zipfile.ZipFile(out, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return out


def test_a_truncated_or_damaged_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "run.ckpt"
    ceopt.minimize(sphere, np.ones(2), vectorized=True, seed=0, max_iter=3, checkpoint=path)
    data = path.read_bytes()
    for name, bad in [("truncated", data[: len(data) // 2]),
                      ("flipped", data[:-10] + bytes([data[-10] ^ 1]) + data[-9:]),
                      ("inside", data[:60] + bytes([data[60] ^ 1]) + data[61:])]:
        (tmp_path / name).write_bytes(bad)
        with pytest.raises(CheckpointError, match="truncated or damaged"):
            ceopt.resume(tmp_path / name, sphere)
    (tmp_path / "other").write_bytes(b"%PDF-1.4 a document")
    with pytest.raises(CheckpointError, match="not a ceopt checkpoint"):
        ceopt.resume(tmp_path / "other", sphere)
    newer = rewritten(path, tmp_path / "newer", lambda doc: doc.update(
        format=FORMAT_VERSION + 1, ceopt="9.0"))
    with pytest.raises(CheckpointError, match=f"format {FORMAT_VERSION + 1}, written by ceopt "
                                              f"9.0.*reads format {FORMAT_VERSION}"):
        ceopt.resume(newer, sphere)
    with pytest.raises(FileNotFoundError):
        ceopt.resume(tmp_path / "missing", sphere)


def test_a_pickle_checkpoint_of_ceopt_0_1_is_refused_with_what_to_do(tmp_path):
    """ceopt 0.1 wrote format 6: a header, a checksum and a pickle, which this ceopt does not
    unpickle (that could run code). The message says who wrote it and what to do."""
    payload = pickle.dumps({"solver": None})
    old = tmp_path / "old.ckpt"
    old.write_bytes(b"CEOPT-CHECKPOINT 6\n" + hashlib.sha256(payload).hexdigest().encode()
                    + b"\n" + payload)
    with pytest.raises(CheckpointError, match="format 6, a pickle written by ceopt 0.1.*resume "
                                              "it with ceopt 0.1.0, or start the run again"):
        ceopt.resume(old, sphere)


def test_loading_a_checkpoint_never_unpickles(tmp_path, monkeypatch):
    """The file is JSON and .npy arrays (numpy.load opens it as an .npz without pickles), and
    a resume goes through with pickle itself disabled."""
    path = tmp_path / "run.ckpt"
    f, full = uninterrupted()
    ceopt.maximize(f, checkpoint=path, callback=lambda r: r.nit == 12,
                   **script_namespace()["RUN"])
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
    assert names[0] == "checkpoint.json" and all(
        name.startswith("arrays/") and name.endswith(".npy") for name in names[1:])
    with np.load(path, allow_pickle=False) as npz:
        assert all(npz[name].dtype.kind in "biuf" for name in npz.files
                   if name.endswith(".npy") or name.startswith("arrays/"))

    def refuse(*args, **kwargs):
        raise AssertionError("a checkpoint was unpickled")
    monkeypatch.setattr(pickle, "loads", refuse)
    monkeypatch.setattr(pickle, "load", refuse)
    same_run(ceopt.resume(path, f), full)


@pytest.mark.parametrize("name", ["local-search", pytest.param("sweep", marks=pytest.mark.slow)])
def test_a_checkpoint_of_this_format_committed_earlier_still_resumes(name, tmp_path):
    """tests/data holds checkpoints written when format 7 was made (by
    tests/data/make_checkpoints.py): a change to the code that keeps the format must still
    resume them. Up to rounding: they were written in another environment (CPU, numpy build),
    whose sums may round the last bit differently (the same code that passed bit for bit
    there gave a final value differing in its 14th digit in a later one); a resume in the
    same environment is bit for bit (the tests above)."""
    made = runpy.run_path(str(DATA / "make_checkpoints.py"))
    fun, kwargs = made["RUNS"][name]
    full = (ceopt.maximize if made["MAXIMIZE"][name] else ceopt.minimize)(fun, **kwargs)
    copy = tmp_path / "run.ckpt"
    shutil.copy(DATA / f"{name}.ckpt", copy)
    rest = ceopt.resume(copy, fun, max_iter=kwargs["max_iter"])
    same_run(rest, full, rtol=1e-9)


def test_a_checkpoint_naming_a_part_this_ceopt_does_not_know_is_a_clear_error(tmp_path):
    path = tmp_path / "run.ckpt"
    ceopt.minimize(sphere, np.ones(2), vectorized=True, seed=0, max_iter=3, checkpoint=path)

    def rename(doc):
        doc["state"]["solver"]["schedule"]["kind"] = "mine"
    with pytest.raises(CheckpointError,
                       match="'mine', which is not registered.*schedules.register"):
        ceopt.resume(rewritten(path, tmp_path / "other.ckpt", rename), sphere)


def test_a_checkpoint_that_cannot_be_written_fails_before_any_evaluation(tmp_path):
    calls = []

    def f(X):
        calls.append(len(X))
        return sphere(X)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        ceopt.minimize(f, np.ones(2), vectorized=True, checkpoint=tmp_path / "no" / "run.ckpt")
    assert not calls


def test_an_existing_checkpoint_is_never_overwritten_by_a_new_run(tmp_path):
    path = tmp_path / "run.ckpt"
    save(path, {"solver": None})
    with pytest.raises(FileExistsError, match="ceopt.resume"):
        ceopt.minimize(sphere, np.ones(2), vectorized=True, checkpoint=path)
    assert load(path) == {"solver": None}


def test_an_ask_tell_solver_pickles_with_its_rng_state():
    es = ceopt.CrossEntropy(ceopt.Gaussian(np.ones(3), np.eye(3)), seed=3)
    for _ in range(5):
        X = es.ask()
        es.tell(X, sphere(X))
    twin = pickle.loads(pickle.dumps(es))
    for _ in range(5):
        X, Y = es.ask(), twin.ask()
        assert np.array_equal(X, Y)
        es.tell(X, sphere(X))
        twin.tell(Y, sphere(Y))
    assert np.array_equal(es.dist.mean, twin.dist.mean) and es.best_f == twin.best_f
