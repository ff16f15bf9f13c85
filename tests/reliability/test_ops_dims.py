"""Every op with a ``dim``/``axis`` argument checks it the PyTorch way, through one helper.

Hypothesis draws shapes (0-d to 4-d) and dims in [-7, 7] for each op. The oracle for what is
valid is PyTorch's rule (``-max(n, 1) <= dim < max(n, 1)``, one more position for ops that
insert a dimension); the oracle for the values of valid calls is NumPy, with the dim made
non-negative by hand. An out-of-range dim must raise IndexError with PyTorch's message,
never wrap around (``transpose(0, 5)`` of a matrix used to be ``transpose(0, 1)``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

import lucid

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

SETTINGS = settings(max_examples=150, deadline=None, derandomize=True, database=None)

shapes = st.lists(st.integers(1, 3), min_size=0, max_size=4).map(tuple)
dims = st.integers(-7, 7)


def _softmax(a: np.ndarray, ax: int) -> np.ndarray:
    e = np.exp(a - a.max(ax, keepdims=True))
    return e / e.sum(ax, keepdims=True)


def _flatten(a: np.ndarray, ax: int) -> np.ndarray:
    return a.reshape(a.shape[:ax] + (-1,))


#: name -> (lucid call, NumPy reference on the non-negative dim, extra positions accepted)
OPS: dict[str, tuple[Callable[[Any, int], Any], Callable[[np.ndarray, int], Any], int]] = {
    "sum": (lambda x, d: x.sum(d), lambda a, ax: a.sum(ax), 0),
    "mean": (lambda x, d: x.mean(dim=d), lambda a, ax: a.mean(ax), 0),
    "amax": (lambda x, d: lucid.amax(x, d), lambda a, ax: a.max(ax), 0),
    "amin": (lambda x, d: lucid.amin(x, d), lambda a, ax: a.min(ax), 0),
    "prod": (lambda x, d: x.prod(d), lambda a, ax: a.prod(ax), 0),
    "logsumexp": (lambda x, d: x.logsumexp(d), lambda a, ax: np.log(np.exp(a).sum(ax)), 0),
    "cumsum": (lambda x, d: lucid.cumsum(x, d), lambda a, ax: a.cumsum(ax), 0),
    "cumprod": (lambda x, d: lucid.cumprod(x, d), lambda a, ax: a.cumprod(ax), 0),
    "argmax": (lambda x, d: x.argmax(d), lambda a, ax: a.argmax(ax), 0),
    "argmin": (lambda x, d: x.argmin(d), lambda a, ax: a.argmin(ax), 0),
    "max_dim": (lambda x, d: x.max(d)[0], lambda a, ax: a.max(ax), 0),
    "min_dim": (lambda x, d: x.min(d)[0], lambda a, ax: a.min(ax), 0),
    "softmax": (lambda x, d: x.softmax(d), _softmax, 0),
    "log_softmax": (lambda x, d: x.log_softmax(d), lambda a, ax: np.log(_softmax(a, ax)), 0),
    "F.softmax": (lambda x, d: lucid.nn.functional.softmax(x, d), _softmax, 0),
    "nn.Softmax": (lambda x, d: lucid.nn.Softmax(dim=d)(x), _softmax, 0),
    "flip": (lambda x, d: x.flip(d), lambda a, ax: np.flip(a, ax), 0),
    "roll": (lambda x, d: x.roll(1, d), lambda a, ax: np.roll(a, 1, ax), 0),
    "squeeze": (lambda x, d: x.squeeze(d),
                lambda a, ax: np.squeeze(a, ax) if a.shape[ax] == 1 else a, 0),
    "unsqueeze": (lambda x, d: x.unsqueeze(d), lambda a, ax: np.expand_dims(a, ax), 1),
    "transpose": (lambda x, d: x.transpose(d, 0), lambda a, ax: np.swapaxes(a, ax, 0), 0),
    "transpose_2nd": (lambda x, d: x.transpose(0, d), lambda a, ax: np.swapaxes(a, 0, ax), 0),
    "flatten": (lambda x, d: x.flatten(d), _flatten, 0),
    "sort": (lambda x, d: x.sort(d)[0], lambda a, ax: np.sort(a, ax), 0),
    "argsort": (lambda x, d: x.argsort(d, stable=True),
                lambda a, ax: np.argsort(a, ax, kind="stable"), 0),
    "topk": (lambda x, d: x.topk(1, d)[0], lambda a, ax: a.max(ax, keepdims=True), 0),
    "gather": (lambda x, d: x.gather(d, lucid.zeros(x.shape, dtype=lucid.int64)),
               lambda a, ax: np.take_along_axis(a, np.zeros(a.shape, np.int64), ax), 0),
    "index_select": (lambda x, d: x.index_select(d, lucid.tensor([0])),
                     lambda a, ax: np.take(a, [0], ax), 0),
    "split": (lambda x, d: x.split(1, d)[0], lambda a, ax: np.take(a, [0], ax), 0),
    "chunk": (lambda x, d: x.chunk(1, d)[0], lambda a, ax: a, 0),
    "stack": (lambda x, d: lucid.stack([x, x], d), lambda a, ax: np.stack([a, a], ax), 1),
    "cat": (lambda x, d: lucid.cat([x, x], d), lambda a, ax: np.concatenate([a, a], ax), 0),
    "any": (lambda x, d: (x > 0).any(d), lambda a, ax: (a > 0).any(ax), 0),
    "all": (lambda x, d: (x > 0).all(d), lambda a, ax: (a > 0).all(ax), 0),
    "var": (lambda x, d: x.var(d, correction=0), lambda a, ax: a.var(ax), 0),
    "norm": (lambda x, d: x.norm(dim=d), lambda a, ax: np.sqrt((a * a).sum(ax)), 0),
    "size": (lambda x, d: x.size(d), lambda a, ax: a.shape[ax], 0),
}

#: ops whose dim PyTorch refuses on 0-d tensors with "Dimension specified as d but tensor
#: has no dimensions" (the exception to the 0-d rule, where 0 and -1 are valid)
NO_DIMS = {"roll", "size"}
#: ops PyTorch refuses on 0-d tensors whatever the dim, with the message's words
NEEDS_A_DIMENSION = {"cat": "zero-dimensional", "split": "at least a 1-dimensional",
                     "chunk": "at least a 1-dimensional"}


@pytest.mark.parametrize("name", sorted(OPS))
@SETTINGS
@given(shape=shapes, dim=dims, seed=st.integers(0, 2**16))
def test_dim_is_checked_and_valid_dims_match_numpy(name: str, shape: tuple[int, ...], dim: int,
                                                   seed: int) -> None:
    call, reference, extra = OPS[name]
    a = np.random.default_rng(seed).standard_normal(shape)
    x = lucid.tensor(a, dtype=lucid.float64)
    n = max(len(shape) + extra, 1)
    if len(shape) == 0 and name in NO_DIMS:
        event("0-d refused")
        with pytest.raises(IndexError, match=f"Dimension specified as {dim} but tensor has no"):
            call(x, dim)
        return
    if len(shape) == 0 and name in NEEDS_A_DIMENSION:
        event("0-d refused")
        with pytest.raises(RuntimeError, match=NEEDS_A_DIMENSION[name]):
            call(x, dim)
        return
    if not -n <= dim < n:
        event("out of range")
        expected = re.escape(f"Dimension out of range (expected to be in range of [{-n}, "
                             f"{n - 1}], but got {dim})")
        with pytest.raises(IndexError, match=expected):
            call(x, dim)
        return
    event("valid")
    out = call(x, dim)
    if len(shape) == 0 and not extra:
        return  # NumPy has no axis on a 0-d array; PyTorch's answer is the tensor itself
    want = reference(a, dim % n)
    got = out if isinstance(out, int) else np.asarray(out.tolist())
    np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)


def test_reductions_refuse_a_dim_named_twice() -> None:
    with pytest.raises(RuntimeError, match="dim 1 appears multiple times"):
        lucid.zeros(2, 3).sum((1, -1))


@pytest.mark.parametrize("bad", [1.0, "0", None, True])
def test_a_dim_that_is_not_an_int_is_a_type_error(bad: Any) -> None:
    x = lucid.zeros(2, 3)
    with pytest.raises(TypeError, match="dim must be an int"):
        x.transpose(bad, 0)


def test_flatten_refuses_start_after_end() -> None:
    with pytest.raises(RuntimeError, match=r"start_dim \(1\) cannot come after end_dim \(0\)"):
        lucid.zeros(2, 3).flatten(1, 0)


def test_permute_needs_one_entry_per_dimension_each_once() -> None:
    x = lucid.zeros(2, 3)
    with pytest.raises(RuntimeError, match="input.dim\\(\\) = 2 is not equal to len\\(dims\\) = 1"):
        x.permute(0)
    with pytest.raises(RuntimeError, match="appears multiple times"):
        x.permute(0, 0)
    with pytest.raises(IndexError, match=r"\[-2, 1\], but got 2"):
        x.permute(0, 2)
    assert x.permute(-1, 0).shape == (3, 2)


def test_softmax_of_a_0d_tensor_is_one_as_in_pytorch() -> None:
    x = lucid.tensor(3.5, requires_grad=True)
    y = lucid.softmax(x, 0)
    assert y.shape == () and y.item() == 1.0
    assert lucid.log_softmax(x, -1).item() == 0.0
    y.backward()
    assert x.grad is not None and x.grad.item() == 0.0  # d/dx of a constant 1
