# ruff: noqa: B023  (each lambda runs inside its own loop iteration, before the loop moves on)
"""Tensor, op, creation and loss arguments against PyTorch: lucid raises exactly where torch
raises, and computes torch's values where torch computes.

Each test draws a few hundred to a few thousand seeded cases mixing valid arguments with the
kinds an adversarial review found wrong (dims out of range, negative or fractional shapes,
impossible ranges, labels outside the classes, shapes that do not broadcast, 0-d tensors,
dtype mismatches, unsupported operands). For every case:

- torch raises IndexError or TypeError -> lucid raises the same class;
- torch raises another error -> lucid raises ValueError, RuntimeError, IndexError or
  TypeError (lucid's convention: shape mistakes are ValueErrors, where PyTorch says
  RuntimeError), never a raw ZeroDivisionError/AxisError;
- torch succeeds -> lucid succeeds with torch's shape and values (float64).

Where lucid is deliberately stricter than PyTorch the test says so and checks lucid's side.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
import lucid.nn.functional as F  # noqa: E402

pytestmark = pytest.mark.parity

TF = torch.nn.functional
LUCID_ERRORS = (ValueError, RuntimeError, IndexError, TypeError)


def _run(fn: Callable[[], Any]) -> tuple[str, Any]:
    try:
        return "ok", fn()
    except Exception as exc:  # noqa: BLE001  (the outcome is what is compared)
        return "error", exc


def _values(out: Any) -> np.ndarray:
    if isinstance(out, (tuple, list)):
        out = out[0]
    if isinstance(out, torch.Tensor):
        return out.detach().numpy()
    if isinstance(out, lucid.Tensor):
        return np.array(out.detach().numpy())
    return np.asarray(out)


def _agree(case: str, ours: Callable[[], Any], theirs: Callable[[], Any],
           problems: list[str]) -> str:
    """Compare one case; return 'ok' or 'error' (torch's outcome) and note disagreements."""
    t_kind, t_out = _run(theirs)
    l_kind, l_out = _run(ours)
    if t_kind == "error":
        if l_kind != "error":
            problems.append(f"{case}: torch raised {t_out!r}, lucid returned")
        elif isinstance(t_out, (IndexError, TypeError)) and not isinstance(l_out, type(t_out)):
            problems.append(f"{case}: torch raised {type(t_out).__name__}, lucid {l_out!r}")
        elif not isinstance(l_out, LUCID_ERRORS):
            problems.append(f"{case}: lucid raised a raw {l_out!r}")
        return "error"
    if l_kind == "error":
        problems.append(f"{case}: torch computed, lucid raised {l_out!r}")
        return "ok"
    want, got = _values(t_out), _values(l_out)
    rtol = 1e-6 if want.dtype == np.float32 else 1e-9  # float32: a few ulps
    if want.shape != got.shape or not np.allclose(got, want, rtol=rtol, atol=1e-12,
                                                  equal_nan=True):
        problems.append(f"{case}: values differ (torch {want.shape}, lucid {got.shape})")
    return "ok"


def _report(problems: list[str], counts: dict[str, int]) -> None:
    print(f"cases: {counts}")  # pytest -s shows how many were tried and refused
    assert not problems, f"{len(problems)} disagreements, e.g.:\n" + "\n".join(problems[:15])


DIM_OPS: dict[str, tuple[Callable[[Any, int], Any], Callable[[Any, int], Any]]] = {
    "sum": (lambda x, d: x.sum(d), lambda x, d: x.sum(d)),
    "mean": (lambda x, d: x.mean(d), lambda x, d: x.mean(d)),
    "amax": (lambda x, d: lucid.amax(x, d), lambda x, d: torch.amax(x, d)),
    "argmax": (lambda x, d: x.argmax(d), lambda x, d: x.argmax(d)),
    "max_dim": (lambda x, d: x.max(d), lambda x, d: x.max(d)),
    "logsumexp": (lambda x, d: x.logsumexp(d), lambda x, d: x.logsumexp(d)),
    "cumsum": (lambda x, d: lucid.cumsum(x, d), lambda x, d: torch.cumsum(x, d)),
    "softmax": (lambda x, d: x.softmax(d), lambda x, d: x.softmax(d)),
    "log_softmax": (lambda x, d: x.log_softmax(d), lambda x, d: x.log_softmax(d)),
    "flip": (lambda x, d: x.flip(d), lambda x, d: x.flip(d)),
    "roll": (lambda x, d: x.roll(1, d), lambda x, d: x.roll(1, d)),
    "squeeze": (lambda x, d: x.squeeze(d), lambda x, d: x.squeeze(d)),
    "unsqueeze": (lambda x, d: x.unsqueeze(d), lambda x, d: x.unsqueeze(d)),
    "transpose": (lambda x, d: x.transpose(0, d), lambda x, d: x.transpose(0, d)),
    "flatten": (lambda x, d: x.flatten(d), lambda x, d: x.flatten(d)),
    "sort": (lambda x, d: x.sort(d), lambda x, d: x.sort(d)),
    "topk": (lambda x, d: x.topk(1, d), lambda x, d: x.topk(1, d)),
    "gather": (lambda x, d: x.gather(d, lucid.zeros(x.shape, dtype=lucid.int64)),
               lambda x, d: x.gather(d, torch.zeros(x.shape, dtype=torch.int64))),
    "index_select": (lambda x, d: x.index_select(d, lucid.tensor([0])),
                     lambda x, d: x.index_select(d, torch.tensor([0]))),
    "stack": (lambda x, d: lucid.stack([x, x], d), lambda x, d: torch.stack([x, x], d)),
    "cat": (lambda x, d: lucid.cat([x, x], d), lambda x, d: torch.cat([x, x], d)),
    "split": (lambda x, d: x.split(1, d), lambda x, d: x.split(1, d)),
    "chunk": (lambda x, d: x.chunk(1, d), lambda x, d: x.chunk(1, d)),
    "var": (lambda x, d: x.var(d), lambda x, d: x.var(d)),
    "size": (lambda x, d: x.size(d), lambda x, d: x.size(d)),
}


@pytest.mark.parametrize("name", sorted(DIM_OPS))
def test_dims_fail_exactly_where_torch_fails(name: str) -> None:
    ours, theirs = DIM_OPS[name]
    rng = np.random.default_rng(sum(map(ord, name)))
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for _ in range(120):
        shape = tuple(int(s) for s in rng.integers(1, 4, rng.integers(0, 5)))
        d = int(rng.integers(-6, 7))
        a = rng.standard_normal(shape)
        x, t = lucid.tensor(a, dtype=lucid.float64), torch.tensor(a)
        counts[_agree(f"{name} shape={shape} dim={d}", lambda: ours(x, d),
                      lambda: theirs(t, d), problems)] += 1
    _report(problems, counts)


def test_reshape_accepts_exactly_what_torch_accepts() -> None:
    rng = np.random.default_rng(1)
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for _ in range(1500):
        size = int(rng.integers(0, 13))
        shape = tuple(int(s) for s in rng.integers(-3, 7, rng.integers(1, 4)))
        a = np.arange(size, dtype=np.float64)
        counts[_agree(f"reshape {size} -> {shape}",
                      lambda: lucid.tensor(a).reshape(shape),
                      lambda: torch.tensor(a).reshape(shape), problems)] += 1
    for bad in [(2.5, 2), (True, 6), ("2", 3)]:
        counts[_agree(f"reshape 6 -> {bad}", lambda: lucid.zeros(6).reshape(bad),
                      lambda: torch.zeros(6).reshape(bad), problems)] += 1
    _report(problems, counts)


BROADCASTING = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "maximum": (lucid.ops.maximum, torch.maximum),
    "where": (lambda a, b: lucid.ops.where(a > 0, a, b), lambda a, b: torch.where(a > 0, a, b)),
    "lt": (lambda a, b: a < b, lambda a, b: a < b),
}


@pytest.mark.parametrize("name", sorted(BROADCASTING))
def test_broadcasting_fails_exactly_where_torch_fails(name: str) -> None:
    ours, theirs = BROADCASTING[name]
    rng = np.random.default_rng(7)
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for _ in range(400):
        sa = tuple(int(s) for s in rng.integers(1, 4, rng.integers(0, 4)))
        sb = tuple(int(s) for s in rng.integers(1, 4, rng.integers(0, 4)))
        a, b = rng.standard_normal(sa), rng.standard_normal(sb)
        la, lb = lucid.tensor(a, dtype=lucid.float64), lucid.tensor(b, dtype=lucid.float64)
        ta, tb = torch.tensor(a), torch.tensor(b)
        counts[_agree(f"{name} {sa} {sb}", lambda: ours(la, lb), lambda: theirs(ta, tb),
                      problems)] += 1
    _report(problems, counts)


@pytest.mark.parametrize("loss", ["cross_entropy", "nll_loss"])
def test_class_labels_fail_exactly_where_torch_fails(loss: str) -> None:
    rng = np.random.default_rng(3)
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for _ in range(600):
        n, c = int(rng.integers(1, 5)), int(rng.integers(1, 5))
        labels = rng.integers(-2, c + 2, n)
        labels[rng.random(n) < 0.2] = -100
        ignore = int(rng.choice([-100, -1, 0]))
        x = rng.standard_normal((n, c))
        w = rng.uniform(0.5, 2, c) if rng.random() < 0.5 else None
        counts[_agree(
            f"{loss} C={c} labels={labels.tolist()} ignore={ignore} weight={w is not None}",
            lambda: getattr(F, loss)(lucid.tensor(x, dtype=lucid.float64),
                                     lucid.tensor(labels), None if w is None else
                                     lucid.tensor(w, dtype=lucid.float64),
                                     ignore_index=ignore),
            lambda: getattr(TF, loss)(torch.tensor(x), torch.tensor(labels),
                                      None if w is None else torch.tensor(w),
                                      ignore_index=ignore),
            problems)] += 1
    for target in ([0.0, 1.0], [[0.2, 0.8], [0.5, 0.5]], [[0.2, 0.8]]):  # float targets
        counts[_agree(f"cross_entropy float target {target}",
                      lambda: F.cross_entropy(lucid.zeros(2, 2, dtype=lucid.float64),
                                              lucid.tensor(target, dtype=lucid.float64)),
                      lambda: TF.cross_entropy(torch.zeros(2, 2, dtype=torch.float64),
                                               torch.tensor(target, dtype=torch.float64)),
                      problems)] += 1
    _report(problems, counts)


def test_creation_ranges_fail_exactly_where_torch_fails() -> None:
    rng = np.random.default_rng(5)
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for _ in range(400):
        lo, hi = (int(v) for v in rng.integers(-4, 5, 2))
        counts[_agree(f"randint({lo}, {hi})",
                      lambda: lucid.randint(lo, hi, (3,)).shape,
                      lambda: torch.randint(lo, hi, (3,)).shape, problems)] += 1
        steps = int(rng.integers(-3, 5))
        counts[_agree(f"linspace(0, 1, {steps})", lambda: lucid.linspace(0, 1, steps),
                      lambda: torch.linspace(0, 1, steps, dtype=torch.float32), problems)] += 1
        start, end, step = (int(v) for v in rng.integers(-3, 4, 3))
        counts[_agree(f"arange({start}, {end}, {step})",
                      lambda: lucid.arange(start, end, step),
                      lambda: torch.arange(start, end, step), problems)] += 1
        size = tuple(int(s) for s in rng.integers(-2, 3, rng.integers(1, 3)))
        counts[_agree(f"zeros{size}", lambda: lucid.zeros(size), lambda: torch.zeros(size),
                      problems)] += 1
    _report(problems, counts)


def test_bad_data_and_operands_fail_where_torch_fails() -> None:
    problems: list[str] = []
    counts = {"ok": 0, "error": 0}
    for data in ["abc", None, [[1.0, 2.0], [3.0]], {"a": 1}]:
        counts[_agree(f"tensor({data!r})", lambda: lucid.tensor(data),
                      lambda: torch.tensor(data), problems)] += 1
    # complex data: torch has complex dtypes, lucid has none and refuses (a TypeError)
    with pytest.raises(TypeError, match="complex128"):
        lucid.tensor([1 + 2j])
    # Python lists as operands: torch refuses, lucid converts them (a NumPy-style extension
    # kept on purpose: it is never a silent wrong answer), so they are not compared here
    for other in [None, "abc", object(), 1.5, 2, {1: 2}]:  # (complex: lucid has none)
        for op in ("__add__", "__mul__", "__sub__", "__truediv__"):
            counts[_agree(f"ones(2).{op}({other!r})",
                          lambda: getattr(lucid.ones(2), op)(other)
                          if getattr(lucid.ones(2), op)(other) is not NotImplemented
                          else (_ for _ in ()).throw(TypeError("NotImplemented")),
                          lambda: getattr(torch.ones(2), op)(other)
                          if getattr(torch.ones(2), op)(other) is not NotImplemented
                          else (_ for _ in ()).throw(TypeError("NotImplemented")),
                          problems)] += 1
    _report(problems, counts)


DTYPE_LAYERS = {
    "linear": (lambda: lucid.nn.Linear(3, 2), lambda: torch.nn.Linear(3, 2), (2, 3)),
    "batch_norm": (lambda: lucid.nn.BatchNorm1d(3), lambda: torch.nn.BatchNorm1d(3), (2, 3)),
    "layer_norm": (lambda: lucid.nn.LayerNorm(3), lambda: torch.nn.LayerNorm(3), (2, 3)),
    "group_norm": (lambda: lucid.nn.GroupNorm(1, 3), lambda: torch.nn.GroupNorm(1, 3),
                   (2, 3, 2)),
}


@pytest.mark.parametrize("name", sorted(DTYPE_LAYERS))
@pytest.mark.parametrize("dtype", ["float64", "int64", "float32"])
def test_input_dtypes_fail_where_torch_fails(name: str, dtype: str) -> None:
    ours, theirs, shape = DTYPE_LAYERS[name]
    a = (np.arange(int(np.prod(shape))).reshape(shape) % 3).astype(dtype)
    problems: list[str] = []
    outcome = _agree(f"{name} {dtype}", lambda: ours()(lucid.tensor(a)).shape,
                     lambda: tuple(theirs()(torch.tensor(a)).shape), problems)
    assert outcome == ("ok" if dtype == "float32" else "error")
    assert not problems, problems


def test_softmax_of_a_0d_tensor_matches_torch() -> None:
    for d in (0, -1, 1):
        problems: list[str] = []
        _agree(f"softmax 0-d dim={d}", lambda: lucid.tensor(2.0, dtype=lucid.float64).softmax(d),
               lambda: torch.tensor(2.0, dtype=torch.float64).softmax(d), problems)
        assert not problems, problems


def test_losses_are_stricter_than_torch_about_broadcasting_input_and_target() -> None:
    """PyTorch broadcasts (4, 1) against (4,) with a UserWarning; lucid refuses."""
    with pytest.warns(UserWarning):
        TF.mse_loss(torch.zeros(4, 1), torch.zeros(4))
    with pytest.raises(ValueError, match=r"\(4,\).*\(4, 1\)"):
        F.mse_loss(lucid.zeros(4, 1), lucid.zeros(4))
