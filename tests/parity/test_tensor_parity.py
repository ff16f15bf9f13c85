"""Differential tests of the tensor API against PyTorch: values and gradients, seeded inputs.

Covers the PyTorch-named functions and methods (reductions with dim/keepdim, max/min with
indices, var/std corrections, math functions, selection, reordering, products, in-place ops
and ``__setitem__``), edge values PyTorch defines, and its type-promotion rules.
"""

from __future__ import annotations

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402

from .compare import compare  # noqa: E402

pytestmark = pytest.mark.parity

IDX = np.array([[0, 2, 2], [1, 0, 3], [3, 3, 1]])
SEL = np.array([2, 0, 2])
SIDX = np.array([[0, 2], [1, 0], [3, 1]])
MASK = np.array([[True, False, True, False], [False, False, True, True], [True] * 4])


def _set(x, v):
    y = x * 1.0
    y[1:, ::2] = v
    y[0] = y[0] * 2.0
    return y


def _inplace(x, w):
    y = x * 1.0
    y.mul_(w).add_(x, alpha=2.0).sub_(0.5).div_(w.abs() + 1.0)
    y += x
    y.clamp_(-1.0, 1.0).exp_()  # exp_ saves its result: no in-place change after it
    return y


#: (name, lucid expression, torch expression, input shapes, uniform domain or None)
CASES = [
    # reductions with dim/keepdim and PyTorch's return types
    ("sum_dims", lambda a: a.sum(dim=(0, 2), keepdim=True), lambda a: a.sum(dim=(0, 2),
                                                                          keepdim=True),
     [(2, 3, 4)], None),
    ("mean_dim", lambda a: lucid.mean(a, 1), lambda a: torch.mean(a, 1), [(3, 4)], None),
    ("var_default", lambda a: a.var(1), lambda a: a.var(1), [(3, 4)], None),
    ("var_all", lambda a: lucid.var(a), lambda a: torch.var(a), [(3, 4)], None),
    ("var_correction0", lambda a: a.var(0, correction=0, keepdim=True),
     lambda a: a.var(0, correction=0, keepdim=True), [(3, 4)], None),
    ("var_unbiased_false", lambda a: a.var(1, False), lambda a: a.var(1, False), [(3, 4)], None),
    ("std", lambda a: a.std(dim=1), lambda a: a.std(dim=1), [(3, 4)], None),
    ("std_correction2", lambda a: lucid.std(a, 0, correction=2),
     lambda a: torch.std(a, 0, correction=2), [(5, 2)], None),
    ("max_dim", lambda a: a.max(1), lambda a: a.max(1), [(3, 5)], None),
    ("min_dim_keepdim", lambda a: lucid.min(a, 0, keepdim=True),
     lambda a: torch.min(a, 0, keepdim=True), [(3, 5)], None),
    ("max_two", lambda a, b: lucid.max(a, b), lambda a, b: torch.max(a, b), [(3, 4), (4,)],
     None),
    ("min_all", lambda a: a.min(), lambda a: a.min(), [(3, 4)], None),
    ("amax", lambda a: a.amax((0, 1)), lambda a: a.amax((0, 1)), [(2, 3, 4)], None),
    ("amin", lambda a: lucid.amin(a, 1), lambda a: torch.amin(a, 1), [(2, 3, 4)], None),
    ("argmax", lambda a: a.argmax(1, keepdim=True), lambda a: a.argmax(1, keepdim=True),
     [(3, 4)], None),
    ("prod", lambda a: a.prod(1), lambda a: a.prod(1), [(3, 4)], None),
    ("prod_all", lambda a: lucid.prod(a), lambda a: torch.prod(a), [(2, 3)], None),
    ("cumsum", lambda a: a.cumsum(1), lambda a: a.cumsum(1), [(3, 4)], None),
    ("cumprod", lambda a: lucid.cumprod(a, 0), lambda a: torch.cumprod(a, 0), [(4, 3)], None),
    ("logsumexp", lambda a: a.logsumexp(1), lambda a: a.logsumexp(1), [(3, 4)], None),
    ("logsumexp_keepdim", lambda a: lucid.logsumexp(a, (0, 1), keepdim=True),
     lambda a: torch.logsumexp(a, (0, 1), keepdim=True), [(3, 4)], None),
    ("norm_fro", lambda a: a.norm(), lambda a: a.norm(), [(3, 4)], None),
    ("norm_p1_dim", lambda a: a.norm(1, dim=1), lambda a: a.norm(1, dim=1), [(3, 4)], None),
    ("norm_p3", lambda a: lucid.norm(a, 3, 0, True), lambda a: torch.norm(a, 3, 0, True),
     [(3, 4)], None),
    ("norm_inf", lambda a: a.norm(float("inf"), dim=1), lambda a: a.norm(float("inf"), dim=1),
     [(3, 4)], None),
    # element-wise math
    ("sin", lambda a: a.sin(), lambda a: a.sin(), [(3, 4)], None),
    ("cos", lambda a: lucid.cos(a), lambda a: torch.cos(a), [(3, 4)], None),
    ("tan", lambda a: a.tan(), lambda a: a.tan(), [(3, 4)], (-1.2, 1.2)),
    ("asin", lambda a: a.asin(), lambda a: a.asin(), [(3, 4)], (-0.9, 0.9)),
    ("acos", lambda a: lucid.acos(a), lambda a: torch.acos(a), [(3, 4)], (-0.9, 0.9)),
    ("atan", lambda a: a.atan(), lambda a: a.atan(), [(3, 4)], None),
    ("sinh", lambda a: a.sinh(), lambda a: a.sinh(), [(3, 4)], None),
    ("cosh", lambda a: a.cosh(), lambda a: a.cosh(), [(3, 4)], None),
    ("asinh", lambda a: a.asinh(), lambda a: a.asinh(), [(3, 4)], None),
    ("acosh", lambda a: a.acosh(), lambda a: a.acosh(), [(3, 4)], (1.2, 3.0)),
    ("atanh", lambda a: a.atanh(), lambda a: a.atanh(), [(3, 4)], (-0.9, 0.9)),
    ("log1p", lambda a: a.log1p(), lambda a: a.log1p(), [(3, 4)], (-0.5, 2.0)),
    ("expm1", lambda a: lucid.expm1(a), lambda a: torch.expm1(a), [(3, 4)], None),
    ("erf", lambda a: a.erf(), lambda a: a.erf(), [(4, 5)], (-6.0, 6.0)),
    ("erf_normal", lambda a: lucid.erf(a), lambda a: torch.erf(a), [(4, 5)], None),
    ("floor", lambda a: a.floor(), lambda a: a.floor(), [(3, 4)], None),
    ("ceil", lambda a: lucid.ceil(a), lambda a: torch.ceil(a), [(3, 4)], None),
    ("trunc", lambda a: a.trunc(), lambda a: a.trunc(), [(3, 4)], None),
    ("round", lambda a: a.round(), lambda a: a.round(), [(3, 4)], (-3.0, 3.0)),
    ("round_decimals", lambda a: lucid.round(a, decimals=2),
     lambda a: torch.round(a, decimals=2), [(3, 4)], None),
    ("sign", lambda a: a.sign(), lambda a: a.sign(), [(3, 4)], None),
    ("clamp", lambda a: a.clamp(-0.5, 0.5), lambda a: a.clamp(-0.5, 0.5), [(3, 4)], None),
    # comparisons
    ("eq", lambda a, b: a.eq(b), lambda a, b: a.eq(b), [(3, 4), (4,)], None),
    ("ge", lambda a, b: lucid.ge(a, b), lambda a, b: torch.ge(a, b), [(3, 4), (3, 4)], None),
    ("lt_scalar", lambda a: a.lt(0.1), lambda a: a.lt(0.1), [(3, 4)], None),
    ("any_dim", lambda a: (a > 1.0).any(1), lambda a: (a > 1.0).any(1), [(3, 4)], None),
    ("all_keepdim", lambda a: lucid.all(a > -1.0, 0, keepdim=True),
     lambda a: torch.all(a > -1.0, 0, keepdim=True), [(3, 4)], None),
    ("any_all", lambda a: (a > 0).any(), lambda a: (a > 0).any(), [(3, 4)], None),
    # selection and reordering
    ("gather", lambda a: a.gather(1, lucid.tensor(IDX)), lambda a: a.gather(1, torch.tensor(IDX)),
     [(3, 4)], None),
    ("scatter", lambda a, s: a.scatter(1, lucid.tensor(SIDX), s),
     lambda a, s: a.scatter(1, torch.tensor(SIDX), s),
     [(3, 4), (3, 2)], None),
    ("scatter_add", lambda a, s: lucid.scatter_add(a, 1, lucid.tensor(IDX), s),
     lambda a, s: torch.scatter_add(a, 1, torch.tensor(IDX), s), [(3, 4), (3, 3)], None),
    ("index_select", lambda a: a.index_select(0, lucid.tensor(SEL)),
     lambda a: a.index_select(0, torch.tensor(SEL)), [(3, 4)], None),
    ("masked_fill", lambda a: a.masked_fill(lucid.tensor(MASK), -2.0),
     lambda a: a.masked_fill(torch.tensor(MASK), -2.0), [(3, 4)], None),
    ("sort", lambda a: a.sort(1), lambda a: a.sort(1), [(3, 5)], None),
    ("sort_descending", lambda a: lucid.sort(a, 0, descending=True),
     lambda a: torch.sort(a, 0, descending=True), [(4, 3)], None),
    ("argsort", lambda a: a.argsort(1), lambda a: a.argsort(1), [(3, 5)], None),
    ("topk", lambda a: a.topk(2), lambda a: a.topk(2), [(3, 5)], None),
    ("topk_smallest", lambda a: lucid.topk(a, 3, 0, largest=False),
     lambda a: torch.topk(a, 3, 0, largest=False), [(5, 3)], None),
    ("flip", lambda a: a.flip(0, 2), lambda a: a.flip(0, 2), [(2, 3, 4)], None),
    ("roll", lambda a: lucid.roll(a, (1, -2), (0, 1)), lambda a: torch.roll(a, (1, -2), (0, 1)),
     [(3, 4)], None),
    ("roll_flat", lambda a: a.roll(5), lambda a: a.roll(5), [(3, 4)], None),
    ("repeat", lambda a: a.repeat(2, 1, 3), lambda a: a.repeat(2, 1, 3), [(2, 3)], None),
    ("tile", lambda a: lucid.tile(a, (2,)), lambda a: torch.tile(a, (2,)), [(2, 3)], None),
    ("split", lambda a: a.split(2, 1), lambda a: a.split(2, 1), [(3, 5)], None),
    ("split_sections", lambda a: lucid.split(a, [1, 2], 0), lambda a: torch.split(a, [1, 2], 0),
     [(3, 4)], None),
    ("chunk", lambda a: a.chunk(3, 1), lambda a: a.chunk(3, 1), [(2, 7)], None),
    ("cat_dim", lambda a, b: lucid.cat([a, b], dim=1), lambda a, b: torch.cat([a, b], dim=1),
     [(2, 3), (2, 2)], None),
    ("stack_dim", lambda a, b: lucid.stack([a, b], dim=-1),
     lambda a, b: torch.stack([a, b], dim=-1), [(2, 3), (2, 3)], None),
    ("softmax_dim", lambda a: lucid.softmax(a, dim=0), lambda a: torch.softmax(a, dim=0),
     [(3, 4)], None),
    # products
    ("mm", lambda a, b: a.mm(b), lambda a, b: a.mm(b), [(3, 4), (4, 2)], None),
    ("bmm", lambda a, b: lucid.bmm(a, b), lambda a, b: torch.bmm(a, b), [(2, 3, 4), (2, 4, 5)],
     None),
    ("dot", lambda a, b: a.dot(b), lambda a, b: a.dot(b), [(5,), (5,)], None),
    ("einsum_matmul", lambda a, b: lucid.einsum("ij,jk->ik", a, b),
     lambda a, b: torch.einsum("ij,jk->ik", a, b), [(3, 4), (4, 2)], None),
    ("einsum_batch", lambda a, b: lucid.einsum("bij,bkj->bik", a, b),
     lambda a, b: torch.einsum("bij,bkj->bik", a, b), [(2, 3, 4), (2, 5, 4)], None),
    ("einsum_sum_outer", lambda a, b: lucid.einsum("ij,k->kj", a, b),
     lambda a, b: torch.einsum("ij,k->kj", a, b), [(3, 4), (2,)], None),
    ("einsum_implicit", lambda a, b: lucid.einsum("ij,jk", a, b),
     lambda a, b: torch.einsum("ij,jk", a, b), [(3, 4), (4, 2)], None),
    # in-place ops and __setitem__ (gradients through the recorded history)
    ("setitem", _set, _set, [(3, 4), (2,)], None),
    ("inplace_chain", _inplace, _inplace, [(3, 4), (4,)], None),
    ("new_ones_plus", lambda a: a + a.new_ones(3, 4), lambda a: a + a.new_ones(3, 4),
     [(3, 4)], None),
    ("full_like", lambda a: a * lucid.full_like(a, 2.0), lambda a: a * torch.full_like(a, 2.0),
     [(3, 4)], None),
]


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, ours, theirs, shapes, domain", CASES,
                         ids=[c[0] for c in CASES])
def test_tensor_api_matches_pytorch(name, ours, theirs, shapes, domain, dtype) -> None:
    low, high = domain if domain else (None, None)
    compare(ours, theirs, shapes, dtype=dtype, seed=len(name), low=low, high=high)


def test_size_numel_dim_match_pytorch() -> None:
    host = np.zeros((2, 3, 4))
    ours, theirs = lucid.tensor(host), torch.tensor(host)
    assert ours.size() == tuple(theirs.size()) and ours.size(-1) == theirs.size(-1)
    assert ours.numel() == theirs.numel() and ours.dim() == theirs.dim()


@pytest.mark.parametrize("name, ours, theirs", [
    ("x_pow_0", lambda x: x ** 0, lambda x: x ** 0),
    ("zero_pow_y", lambda y: 0.0 ** y, lambda y: 0.0 ** y),
    ("clamp_at_bounds", lambda x: x.clamp(-1.0, 0.0), lambda x: x.clamp(-1.0, 0.0)),
    ("abs_at_zero", lambda x: x.abs(), lambda x: x.abs()),
    ("relu_at_zero", lambda x: x.relu(), lambda x: x.relu()),
    ("norm_of_zero", lambda x: (x * 0.0).norm(), lambda x: (x * 0.0).norm()),
    ("max_with_ties", lambda x: x.max(), lambda x: x.max()),
    ("var_one_element", lambda x: x[:1].var(), lambda x: x[:1].var()),
    ("prod_with_zero", lambda x: x.prod(), lambda x: x.prod()),
    ("cumprod_with_zero", lambda x: x.cumprod(0), lambda x: x.cumprod(0)),
])
def test_edge_values_match_pytorch(name, ours, theirs) -> None:
    host = np.array([0.0, -1.0, 0.0, 2.0, 1.0, 2.0])
    with np.errstate(all="ignore"), _nowarn():
        compare(ours, theirs, [host])


class _nowarn:
    def __enter__(self) -> None:
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("ignore")

    def __exit__(self, *exc: object) -> None:
        self._cm.__exit__(*exc)


@pytest.mark.parametrize("lhs, rhs", [
    (("float32", (2,)), ("float64", ())),
    (("float64", ()), ("float32", (2,))),
    (("int64", (2,)), ("float64", ())),
    (("int64", (2,)), ("float32", (2,))),
    (("float32", ()), ("float64", ())),
    (("bool", (2,)), ("int64", ())),
    (("int32", (2,)), ("int64", (2,))),
])
def test_tensor_tensor_promotion_matches_pytorch(lhs, rhs) -> None:
    def make(lib, spec):
        dt, shape = spec
        host = np.ones(shape, dtype=dt)
        return lucid.tensor(host) if lib == "lucid" else torch.tensor(host)

    ours = make("lucid", lhs) * make("lucid", rhs)
    theirs = make("torch", lhs) * make("torch", rhs)
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.").replace("bool", "bool")


@pytest.mark.parametrize("dtype, scalar", [
    ("float32", np.float64(2.0)), ("float32", 2.5), ("int64", 2.5), ("int64", 2),
    ("bool", 1), ("float16", 3.0), ("int64", np.float64(1.5)),
])
def test_tensor_scalar_promotion_matches_pytorch(dtype, scalar) -> None:
    host = np.ones(3, dtype=dtype)
    ours = lucid.tensor(host) * scalar
    theirs = torch.tensor(host) * scalar
    assert ours.dtype.name == str(theirs.dtype).removeprefix("torch.")
    assert (lucid.tensor(host) / 2).dtype.name == str((torch.tensor(host) / 2).dtype
                                                      ).removeprefix("torch.")


def test_numpy_scalar_and_empty_index_match_pytorch() -> None:
    assert lucid.tensor(np.float64(1.5)).dtype.name == "float64" == str(
        torch.tensor(np.float64(1.5)).dtype).removeprefix("torch.")
    x = np.arange(6.0).reshape(3, 2)
    assert lucid.tensor(x)[[]].shape == tuple(torch.tensor(x)[[]].shape)


def test_inplace_errors_match_pytorch() -> None:
    for lib in (lucid, torch):
        x = lib.tensor([1.0, 2.0], requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf"):
            x.add_(1.0)
        y = x.exp()
        y.add_(1.0)
        with pytest.raises(RuntimeError, match="modified by an inplace operation.*is at "
                                               "version 1; expected version 0"):
            y.sum().backward()
        z = x * 1.0
        z.exp_().mul_(2.0)  # exp_ saved its result, which mul_ then changed
        with pytest.raises(RuntimeError, match="is at version 2; expected version 1"):
            z.sum().backward()
