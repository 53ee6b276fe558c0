"""Checkpoint, kill, resume: bit-identical to a run never interrupted; damaged files refused."""

import hashlib
import pickle
import subprocess
import sys
import textwrap
from collections import OrderedDict
from pathlib import Path

import numpy as np
import pytest
from problems import sphere

import ceopt
from ceopt.checkpoint import FORMAT_VERSION, CheckpointError, load, save

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


def same_run(a, b):
    assert np.array_equal(a.x, b.x) and a.fun == b.fun and (a.nit, a.nfev) == (b.nit, b.nfev)
    assert (a.nfail, a.failures, a.status) == (b.nfail, b.failures, b.status)
    assert a.nrestarts == b.nrestarts
    for key in a.history:
        assert np.array_equal(a.history[key], b.history[key], equal_nan=True), key


def run_script(body: str, path: Path) -> subprocess.CompletedProcess:
    code = SCRIPT + textwrap.dedent(body).replace("PATH", repr(str(path)))
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)


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
    assert load(path)["solver"].nit == 10 // every * every  # the last checkpoint before it
    f, full = uninterrupted()
    same_run(ceopt.resume(path, f), full)
    assert full.nfail > 0  # the failure record went through the checkpoint too
    assert full.nrestarts == 1  # and the restart after it happened alike


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
    assert load(path)["solver"].nit == 5
    f, full = uninterrupted()
    same_run(ceopt.resume(path, f), full)


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
    assert load(path)["solver"].nit == 3
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


def test_a_truncated_or_damaged_checkpoint_is_a_clear_error(tmp_path):
    path = tmp_path / "run.ckpt"
    ceopt.minimize(sphere, np.ones(2), vectorized=True, seed=0, max_iter=3, checkpoint=path)
    data = path.read_bytes()
    for name, bad in [("truncated", data[: len(data) // 2]),
                      ("flipped", data[:-10] + bytes([data[-10] ^ 1]) + data[-9:])]:
        (tmp_path / name).write_bytes(bad)
        with pytest.raises(CheckpointError, match="truncated or damaged"):
            ceopt.resume(tmp_path / name, sphere)
    (tmp_path / "other").write_bytes(b"PK\x03\x04 a zip file")
    with pytest.raises(CheckpointError, match="not a ceopt checkpoint"):
        ceopt.resume(tmp_path / "other", sphere)
    newer = data.replace(b"CEOPT-CHECKPOINT %d" % FORMAT_VERSION,
                         b"CEOPT-CHECKPOINT %d" % (FORMAT_VERSION + 1), 1)
    (tmp_path / "newer").write_bytes(newer)
    with pytest.raises(CheckpointError, match=f"reads format {FORMAT_VERSION} only"):
        ceopt.resume(tmp_path / "newer", sphere)
    with pytest.raises(FileNotFoundError):
        ceopt.resume(tmp_path / "missing", sphere)


def test_a_checkpoint_of_a_class_this_ceopt_lacks_is_a_clear_error(tmp_path):
    # A valid file whose pickle names a module that no longer exists (a renamed class, say).
    payload = pickle.dumps({"solver": OrderedDict()}).replace(b"collections", b"collectionz")
    save(tmp_path / "run.ckpt", {"solver": None})
    data = (tmp_path / "run.ckpt").read_bytes()
    header = data[:data.index(b"\n") + 1]
    digest = hashlib.sha256(payload).hexdigest().encode()
    (tmp_path / "old.ckpt").write_bytes(header + digest + b"\n" + payload)
    with pytest.raises(CheckpointError, match="cannot read"):
        ceopt.resume(tmp_path / "old.ckpt", sphere)


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
