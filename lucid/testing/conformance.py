"""The backend conformance kit: one pytest suite that any lucid backend must pass.

A backend author subclasses :class:`BackendConformance` in a test module and names the
backend; pytest collects every inherited test::

    from lucid.testing import BackendConformance

    class TestMyBackend(BackendConformance):
        backend = "mybackend"

    class TestMyBackendReferenceKernels(BackendConformance):
        backend = "mybackend"
        reference_kernels = True  # lucid's reference NN kernels instead of yours

With ``reference_kernels`` the kit never touches the shared backend instance: it registers
a separate instance of ``with_reference_kernels(type(backend))`` as ``"<name>+reference"``
and runs the tests on that. Setting ``LUCID_REFERENCE_KERNELS=1`` in the environment forces
the reference kernels for every class.

The suite checks values against NumPy math written in the tests, gradients against central
finite differences in float64 (:func:`lucid.autograd.gradcheck`), dtypes, seeded random
numbers and error behaviour. It runs in seconds on small shapes.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import numpy as np
import pytest

import lucid
import lucid.nn.functional as F
import lucid.testing.numpy_math as nm  # not "from . import": no cycle with the package
from lucid.autograd import gradcheck
from lucid.backends import (
    Backend,
    BackendNotFoundError,
    BackendUnavailableError,
    MixedBackendError,
    get_backend,
    register_backend,
    unregister_backend,
    use_backend,
    uses_reference_kernels,
    with_reference_kernels,
)
from lucid.backends.reference import reference_kernels_forced

from .cases import CASES, OpCase

#: (rtol, atol) for values computed in one or a few roundings, per dtype.
TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-5, 1e-6),
    "float64": (1e-9, 1e-10),
}
#: (rtol, atol) for values that accumulate many terms (matmul, convolution, reductions).
LOOSE_TOLERANCES: dict[str, tuple[float, float]] = {
    "float32": (1e-4, 1e-5),
    "float64": (1e-9, 1e-10),
}

#: Reference-kernel instances made by the kit, per (backend class, name): a backend is built
#: once per process (a GPU backend compiles its kernels), however many tests use it.
_REFERENCE_INSTANCES: dict[tuple[type, str], Backend] = {}


# ------------------------------------------------------------------------- helpers
def reference_name(backend: Backend) -> str:
    """The name the kit registers ``backend``'s reference-kernel twin under."""
    return f"{backend.name}+reference"


@contextlib.contextmanager
def reference_kernels(backend: Backend) -> Iterator[Backend]:
    """Inside a ``with`` block, a separate instance of ``backend``'s class on the reference NN
    kernels, registered as ``"<name>+reference"`` (``backend`` itself is left untouched).

    The instance is ``with_reference_kernels(type(backend))()``, made once per class and name
    and reused; a backend already on the reference kernels is yielded as it is.
    """
    if uses_reference_kernels(backend):
        yield backend
        return
    name = reference_name(backend)
    key = (type(backend), name)
    made = _REFERENCE_INSTANCES.get(key)
    register_backend(name, made if made is not None else with_reference_kernels(type(backend)),
                     exist_ok=True)
    try:
        twin = get_backend(name)
        _REFERENCE_INSTANCES[key] = twin
        yield twin
    finally:
        unregister_backend(name)


def assert_close(actual: Any, expected: Any, dtype: str | None = None, *, loose: bool = False,
                 rtol: float | None = None, atol: float | None = None) -> None:
    """Assert a tensor equals NumPy values: same shape, dtype ``dtype``, values within tolerance.

    Floating values compare with the tolerance of the tensor's dtype (``loose`` for results
    that accumulate many terms); integer and boolean values must match exactly.
    """
    assert isinstance(actual, lucid.Tensor), f"expected a lucid.Tensor, got {type(actual)}"
    if dtype is not None:
        assert actual.dtype == dtype, f"dtype: expected {dtype}, got {actual.dtype}"
    got = np.asarray(actual.numpy())
    want = np.asarray(expected)
    assert got.shape == want.shape, f"shape: expected {want.shape}, got {got.shape}"
    if not actual.dtype.is_floating:
        np.testing.assert_array_equal(got, want.astype(got.dtype))
        return
    table = LOOSE_TOLERANCES if loose else TOLERANCES
    default_rtol, default_atol = table.get(actual.dtype.name, (1e-3, 1e-3))
    np.testing.assert_allclose(got.astype(np.float64), want.astype(np.float64),
                               rtol=default_rtol if rtol is None else rtol,
                               atol=default_atol if atol is None else atol)


def names_shape(message: str, shape: tuple[int, ...]) -> bool:
    """True when ``message`` spells ``shape`` as lucid does, ``(2, 3)``, or as NumPy, ``(2,3)``."""
    spelled = str(tuple(shape))
    return spelled in message or spelled.replace(" ", "") in message


def _case_id(case: OpCase) -> str:
    return case.name


#: Callables producing a wrong-shape error, and the shapes its message must name.
_SHAPE_ERRORS: dict[str, tuple[tuple[tuple[int, ...], ...], Any]] = {
    "reshape": (((2, 3),), lambda t: t((2, 3)).reshape(4, 2)),
    "add_broadcast": (((2, 3), (4,)), lambda t: t((2, 3)) + t((4,))),
    "mul_broadcast": (((2, 3), (2,)), lambda t: t((2, 3)) * t((2,))),
    "matmul": (((2, 3), (4, 2)), lambda t: t((2, 3)) @ t((4, 2))),
    "matmul_batch": (((2, 2, 3), (3, 3, 4)), lambda t: lucid.matmul(t((2, 2, 3)), t((3, 3, 4)))),
    "concatenate": (((2, 3), (2, 4)), lambda t: lucid.concatenate([t((2, 3)), t((2, 4))], 0)),
    "stack": (((2, 3), (3, 2)), lambda t: lucid.stack([t((2, 3)), t((3, 2))])),
    "conv2d_input_rank": (((1, 2, 3, 5, 5),),
                          lambda t: F.conv2d(t((1, 2, 3, 5, 5)), t((4, 3, 3, 3)))),
    "conv2d_weight_rank": (((4, 3, 3),), lambda t: F.conv2d(t((1, 3, 5, 5)), t((4, 3, 3)))),
    "max_pool2d_rank": (((1, 3, 5, 5, 5),), lambda t: F.max_pool2d(t((1, 3, 5, 5, 5)), 2)),
    "avg_pool2d_rank": (((5, 5),), lambda t: F.avg_pool2d(t((5, 5)), 2)),
    "batch_norm_weight": (((4,),), lambda t: F.batch_norm(
        t((2, 3, 4, 4)), None, None, t((4,)), None, training=True)),
    "linear": (((2, 3), (4, 5)), lambda t: F.linear(t((2, 3)), t((4, 5)))),
    "cross_entropy_logits": (((2, 3, 4),), lambda t: F.cross_entropy(
        t((2, 3, 4)), [0, 1])),
    "cross_entropy_target": (((3,),), lambda t: F.cross_entropy(t((2, 4)), [0, 1, 2])),
    "item": (((2, 3),), lambda t: t((2, 3)).item()),
}


# --------------------------------------------------------------------------- the kit
class BackendConformance:
    """Base class of the backend conformance suite; subclass it and set :attr:`backend`.

    Every test runs against ``self.impl``, the loaded backend, with that backend also
    selected as the current one. Tensors are created on it explicitly with :meth:`tensor`.
    """

    #: Name of the backend under test, as given to :func:`lucid.backends.get_backend`.
    backend: ClassVar[str] = "numpy"
    #: Run lucid's reference NN kernels (on a separate ``"<name>+reference"`` instance)
    #: instead of the backend's own.
    reference_kernels: ClassVar[bool] = False
    #: Skip (rather than fail) every test when the backend cannot be used on this machine.
    skip_if_unavailable: ClassVar[bool] = True
    #: Test ids (``request.node.name``) expected to fail, with the reason; strict xfail.
    expected_failures: ClassVar[Mapping[str, str]] = {}
    #: ``(atol, rtol)`` of the float64 finite-difference gradient checks.
    gradient_tolerance: ClassVar[tuple[float, float]] = (1e-7, 1e-5)

    impl: Backend

    @pytest.fixture(autouse=True)
    def _conformance_backend(self, request: pytest.FixtureRequest) -> Iterator[Backend]:
        """Load the backend (its reference-kernel twin if asked) and make it the current one."""
        reason = self.expected_failures.get(request.node.name)
        if reason is not None:
            request.node.add_marker(pytest.mark.xfail(reason=reason, strict=True))
        try:
            impl = get_backend(self.backend)
        except BackendUnavailableError as exc:
            if not self.skip_if_unavailable:
                raise
            pytest.skip(f"backend {self.backend!r} is unavailable here: {exc}")
        except BackendNotFoundError as exc:
            pytest.fail(f"the conformance suite names an unknown backend: {exc}")
        with contextlib.ExitStack() as stack:
            if self.reference_kernels or reference_kernels_forced():
                shared = impl
                try:
                    impl = stack.enter_context(reference_kernels(shared))
                except BackendUnavailableError as exc:
                    pytest.fail(f"cannot make a reference-kernel instance of {shared.name!r}: "
                                f"{exc}")
                assert uses_reference_kernels(impl)
            stack.enter_context(use_backend(impl.name))
            self.impl = impl
            yield impl

    @pytest.fixture
    def twin(self) -> Iterator[Backend]:
        """A second, separate instance of the backend under test, registered in-process."""
        name = f"{self.impl.name}-conformance-twin"
        register_backend(name, type(self.impl), exist_ok=True)
        try:
            try:
                other = get_backend(name)
            except BackendUnavailableError as exc:
                pytest.skip(f"cannot create a second {self.impl.name!r} instance: {exc}")
            yield other
        finally:
            unregister_backend(name)

    # --------------------------------------------------------------- tensor helpers
    def tensor(self, data: Any, dtype: Any = None, requires_grad: bool = False) -> lucid.Tensor:
        """A tensor on the backend under test from host data."""
        return lucid.tensor(np.asarray(data), dtype=dtype, requires_grad=requires_grad,
                            backend=self.impl)

    def normal(self, shape: tuple[int, ...], dtype: str = "float64", seed: int = 0,
               requires_grad: bool = False) -> tuple[lucid.Tensor, np.ndarray]:
        """A standard-normal tensor on the backend and its host values (after rounding)."""
        host = np.random.default_rng(seed).standard_normal(shape).astype(dtype)
        return self.tensor(host, requires_grad=requires_grad), host

    # ================================================================ creation, dtypes
    def test_default_dtypes(self) -> None:
        """Floats default to float32, Python ints to int64, Python bools to bool."""
        b = self.impl
        float_tensors = [
            lucid.zeros(2, 3, backend=b), lucid.ones(2, backend=b),
            lucid.full((2,), 1.5, backend=b), lucid.randn(2, backend=b),
            lucid.rand(2, backend=b), lucid.arange(0.0, 1.0, 0.25, backend=b),
            lucid.linspace(0, 1, 3, backend=b), lucid.tensor([1.0, 2.0], backend=b),
            lucid.tensor(1.5, backend=b), lucid.uniform(3, backend=b),
        ]
        for t in float_tensors:
            assert t.dtype == lucid.float32, t
        for t in (lucid.tensor([1, 2], backend=b), lucid.arange(5, backend=b),
                  lucid.full((2,), 3, backend=b), lucid.randint(0, 4, (3,), backend=b)):
            assert t.dtype == lucid.int64, t
        for t in (lucid.tensor([True, False], backend=b), lucid.full((2,), True, backend=b),
                  lucid.tensor([1.0], backend=b) > 0):
            assert t.dtype == lucid.bool_, t

    @pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
    def test_host_round_trip(self, dtype: str) -> None:
        """NumPy data survives the trip to the backend and back, with its dtype."""
        b = self.impl
        rng = np.random.default_rng(1)
        host = (rng.standard_normal((3, 4)) * 10).astype(dtype)
        t = self.tensor(host)
        assert t.dtype == dtype and t.shape == (3, 4) and t.ndim == 2 and t.numel() == 12
        assert b.is_native(t.data)
        assert b.dtype_of(t.data) == dtype
        for back in (t.numpy(), b.to_numpy(t.data), np.asarray(t)):
            assert isinstance(back, np.ndarray)
            assert back.dtype == np.dtype(dtype)
            np.testing.assert_array_equal(back, host)
        np.testing.assert_array_equal(self.tensor(host.tolist(), dtype=dtype).numpy(), host)
        assert_close(lucid.zeros(2, 3, dtype=dtype, backend=b), np.zeros((2, 3)), dtype)
        assert_close(lucid.ones(2, 3, dtype=dtype, backend=b), np.ones((2, 3)), dtype)
        assert_close(lucid.zeros_like(t), np.zeros((3, 4)), dtype)
        assert_close(lucid.ones_like(t), np.ones((3, 4)), dtype)

    @pytest.mark.parametrize("src", ["float32", "float64", "int64", "bool"])
    @pytest.mark.parametrize("dst", ["float32", "float64", "int64", "bool"])
    def test_astype(self, src: str, dst: str) -> None:
        """Casting between dtypes follows NumPy (float to int truncates positives)."""
        host = np.array([0.0, 1.0, 2.75, 1.5, -3.0, 0.25]).astype(src)
        t = self.tensor(host)
        expected = host.astype(dst)
        assert_close(t.astype(dst), expected, dst)
        assert_close(t.to(dst), expected, dst)
        assert_close(t.to(dtype=getattr(lucid, dst if dst != "bool" else "bool_")), expected,
                     dst)

    def test_creation_values(self) -> None:
        """Creation functions give NumPy's values."""
        b = self.impl
        assert_close(lucid.full((2, 3), 7.5, backend=b), np.full((2, 3), 7.5), "float32")
        assert_close(lucid.full(4, -2, backend=b), np.full(4, -2), "int64")
        assert_close(lucid.arange(2, 11, 3, backend=b), np.arange(2, 11, 3), "int64")
        assert_close(lucid.arange(4, backend=b), np.arange(4), "int64")
        assert_close(lucid.arange(0.0, 1.0, 0.25, backend=b), np.arange(0, 1, 0.25), "float32")
        assert_close(lucid.arange(3, dtype="float64", backend=b), np.arange(3.0), "float64")
        assert_close(lucid.linspace(-1, 1, 5, backend=b), np.linspace(-1, 1, 5), "float32")
        assert_close(lucid.linspace(2, 3, 1, backend=b), np.array([2.0]), "float32")
        x = self.tensor(np.arange(6.0).reshape(2, 3))
        assert_close(lucid.full_like(x, 4.0), np.full((2, 3), 4.0), "float64")
        assert_close(lucid.zeros_like(x, dtype="int64"), np.zeros((2, 3)), "int64")
        assert_close(lucid.tensor([[1, 2], [3, 4]], dtype="float64", backend=b),
                     np.array([[1.0, 2.0], [3.0, 4.0]]), "float64")
        assert_close(lucid.from_numpy(np.arange(3.0), backend=b), np.arange(3.0), "float64")
        copy = lucid.tensor(x)
        assert copy is not x and copy.backend is b
        assert_close(copy, np.arange(6.0).reshape(2, 3), "float64")

    def test_shapes_as_varargs_or_tuple(self) -> None:
        """Creation functions take a shape as varargs, a tuple or a list."""
        b = self.impl
        for make in (lucid.zeros, lucid.ones, lucid.randn, lucid.rand):
            assert make(1, 1, 6, 6, backend=b).shape == (1, 1, 6, 6)
            assert make((1, 1, 6, 6), backend=b).shape == (1, 1, 6, 6)
            assert make([2, 3], backend=b).shape == (2, 3)
            assert make(5, backend=b).shape == (5,)
        assert lucid.zeros(0, 3, backend=b).shape == (0, 3)
        assert lucid.zeros((), backend=b).shape == ()

    def test_scalars_and_item(self) -> None:
        """0-d tensors hold one value that ``item()`` returns as a Python number."""
        f = self.tensor(np.float32(3.5))
        assert f.shape == () and f.ndim == 0 and f.item() == 3.5 and isinstance(f.item(), float)
        i = self.tensor(np.int64(7))
        assert i.item() == 7 and isinstance(i.item(), int)
        assert self.tensor(np.array([True])).item() is True
        assert self.tensor(np.ones((1, 1, 1))).item() == 1.0
        assert float(self.tensor(np.array([2.5]))) == 2.5

    def test_integer_arithmetic_stays_integer(self) -> None:
        """int64 operands give int64 results for + - * and sums."""
        a, c = np.array([[1, -2, 3], [4, 5, -6]]), np.array([2, 0, -1])
        ta, tc = self.tensor(a), self.tensor(c)
        assert_close(ta + tc, a + c, "int64")
        assert_close(ta - tc, a - c, "int64")
        assert_close(ta * tc, a * c, "int64")
        assert_close(ta * 3, a * 3, "int64")
        assert_close(ta.sum(), a.sum(), "int64")
        assert_close(ta.sum(axis=1), a.sum(axis=1), "int64")
        assert_close(ta.max(dim=0).values, a.max(axis=0), "int64")
        assert_close(ta.reshape(3, 2), a.reshape(3, 2), "int64")

    # ========================================================================= random
    def test_seeded_random_is_reproducible(self) -> None:
        """The same seed gives the same numbers; another seed gives others."""
        b = self.impl

        def draw() -> list[np.ndarray]:
            return [lucid.randn(3, 4, backend=b).numpy().copy(),
                    lucid.rand(5, backend=b).numpy().copy(),
                    lucid.randint(0, 100, (6,), backend=b).numpy().copy(),
                    lucid.randn(2, dtype="float64", backend=b).numpy().copy()]

        lucid.manual_seed(1234)
        first = draw()
        lucid.manual_seed(1234)
        second = draw()
        lucid.manual_seed(4321)
        third = draw()
        for a, c in zip(first, second):
            np.testing.assert_array_equal(a, c)
        assert not np.array_equal(first[0], third[0])
        b.seed(99)
        x = b.to_numpy(b.random_normal((4,), lucid.float64))
        b.seed(99)
        np.testing.assert_array_equal(b.to_numpy(b.random_normal((4,), lucid.float64)), x)

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_random_shapes_dtypes_and_ranges(self, dtype: str) -> None:
        """Random creators honour shape, dtype and range."""
        b = self.impl
        lucid.manual_seed(0)
        n = lucid.randn(2, 3, dtype=dtype, backend=b)
        assert n.shape == (2, 3) and n.dtype == dtype
        u = lucid.rand(4, 5, dtype=dtype, backend=b).numpy()
        assert u.shape == (4, 5) and u.dtype == np.dtype(dtype)
        assert u.min() >= 0.0 and u.max() < 1.0
        w = lucid.uniform(1000, low=-2.0, high=3.0, dtype=dtype, backend=b).numpy()
        assert w.dtype == np.dtype(dtype) and w.min() >= -2.0 and w.max() < 3.0
        assert w.min() < -1.5 and w.max() > 2.5  # the whole interval is used
        r = lucid.randint(3, 9, size=(40, 5), backend=b)
        assert r.dtype == lucid.int64 and r.shape == (40, 5)
        assert set(np.unique(r.numpy())) == set(range(3, 9))
        like = self.tensor(np.zeros((2, 2), dtype=dtype))
        assert lucid.randn_like(like).shape == (2, 2)
        assert lucid.randn_like(like).dtype == dtype
        assert lucid.rand_like(like).dtype == dtype

    def test_random_distributions(self) -> None:
        """Normal samples have mean 0 and std 1; uniform samples mean 1/2 (seeded, 20000)."""
        b = self.impl
        lucid.manual_seed(7)
        z = lucid.randn(20000, dtype="float64", backend=b).numpy()
        assert abs(z.mean()) < 0.05 and abs(z.std() - 1.0) < 0.05
        u = lucid.rand(20000, dtype="float64", backend=b).numpy()
        assert abs(u.mean() - 0.5) < 0.02 and abs(u.std() - np.sqrt(1 / 12)) < 0.02

    # ============================================== every differentiable op (table)
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    @pytest.mark.parametrize("case", CASES, ids=_case_id)
    def test_op_values(self, case: OpCase, dtype: str) -> None:
        """Forward values match NumPy; dtype is preserved; backward gives grads of that dtype."""
        hosts = [h.astype(dtype) for h in case.draw()]
        inputs = [self.tensor(h, requires_grad=True) for h in hosts]
        expected = case.ref(*[h.astype(np.float64) for h in hosts])
        out = case.fn(*inputs)
        assert_close(out, expected, dtype, loose=case.loose)
        assert out.requires_grad
        out.sum().backward()
        for t in inputs:
            assert t.grad is not None, f"no gradient reached an input of {case.name}"
            assert t.grad.shape == t.shape and t.grad.dtype == dtype
            assert np.isfinite(t.grad.numpy()).all()
        with lucid.no_grad():
            again = case.fn(*inputs)
        assert again.grad_fn is None, "an op recorded a graph node inside no_grad()"
        assert_close(again, expected, dtype, loose=case.loose)

    @pytest.mark.parametrize("case", CASES, ids=_case_id)
    def test_op_gradients(self, case: OpCase) -> None:
        """Autograd matches central finite differences in float64."""
        inputs = [self.tensor(h, requires_grad=True) for h in case.draw()]
        atol, rtol = self.gradient_tolerance
        assert gradcheck(case.fn, inputs, atol=atol, rtol=rtol)

    # ======================================================= comparisons, argmax
    @pytest.mark.parametrize("name,op", [
        ("eq", lambda a, c: a == c), ("ne", lambda a, c: a != c), ("lt", lambda a, c: a < c),
        ("le", lambda a, c: a <= c), ("gt", lambda a, c: a > c), ("ge", lambda a, c: a >= c),
    ])
    def test_comparisons(self, name: str, op: Any) -> None:
        """Comparison operators broadcast like NumPy and give bool tensors."""
        rng = np.random.default_rng(5)
        a = rng.integers(-2, 3, (2, 3, 4)).astype(np.float32)
        c = rng.integers(-2, 3, (3, 1)).astype(np.float32)
        ta, tc = self.tensor(a), self.tensor(c)
        assert_close(op(ta, tc), op(a, c), "bool")
        assert_close(op(ta, 1.0), op(a, 1.0), "bool")
        assert_close(op(1.0, ta), op(1.0, a), "bool")

    def test_logical_ops(self) -> None:
        """``&``, ``|`` and ``~`` on bool tensors."""
        p = np.array([[True, False, True, False]])
        q = np.array([[True], [False]])
        tp, tq = self.tensor(p), self.tensor(q)
        assert_close(tp & tq, p & q, "bool")
        assert_close(tp | tq, p | q, "bool")
        assert_close(~tp, ~p, "bool")

    @pytest.mark.parametrize("axis", [None, 0, 1, -1])
    @pytest.mark.parametrize("keepdims", [False, True])
    def test_argmax_argmin(self, axis: int | None, keepdims: bool) -> None:
        """Indices of extrema are int64 and match NumPy."""
        a = np.random.default_rng(2).permutation(24).reshape(2, 3, 4).astype(np.float32)
        t = self.tensor(a)
        assert_close(lucid.argmax(t, axis, keepdims), np.argmax(a, axis, keepdims=keepdims),
                     "int64")
        assert_close(t.argmin(axis=axis, keepdims=keepdims),
                     np.argmin(a, axis, keepdims=keepdims), "int64")

    # ============================================= bool reductions and host values
    @pytest.mark.parametrize("dtype", ["bool", "float32", "int64"])
    @pytest.mark.parametrize("keepdims", [False, True])
    @pytest.mark.parametrize("axis", [None, (0,), (1,), (0, 2), (-1,), (0, 1, 2)])
    def test_any_all(self, axis: tuple[int, ...] | None, keepdims: bool, dtype: str) -> None:
        """``any``/``all`` reduce like NumPy's over an axis tuple (or all) and give bools."""
        b = self.impl
        rng = np.random.default_rng(11)
        mask = rng.random((3, 4, 5)) < 0.5
        mask[0] = True  # rows that are all true and all false, so any and all differ
        mask[1, :2] = False
        host = (mask * rng.integers(1, 9, mask.shape)).astype(dtype)
        a = b.asarray(host)
        for name, ref in (("any", np.any), ("all", np.all)):
            got = getattr(b, name)(a, axis, keepdims)
            assert b.dtype_of(got) == "bool", f"{name} gave {b.dtype_of(got)}"
            back = b.to_numpy(got)
            want = ref(host, axis=axis, keepdims=keepdims)
            assert back.shape == want.shape, f"{name}: shape {back.shape} != {want.shape}"
            np.testing.assert_array_equal(back, want, err_msg=name)

    @pytest.mark.parametrize("host,kind", [
        (np.array([2.5], dtype=np.float32), float), (np.array([[-7]], dtype=np.int64), int),
        (np.array(True), bool), (np.array(3.25), float), (np.array([[[0]]], dtype=bool), bool),
        (np.array(5, dtype=np.int32), int),
    ], ids=["float32", "int64", "bool", "float64-0d", "bool-3d", "int32-0d"])
    def test_item(self, host: np.ndarray, kind: type) -> None:
        """``item`` gives the one value as a Python bool, int or float."""
        b = self.impl
        value = b.item(b.asarray(host))
        assert type(value) is kind, f"item() gave {type(value).__name__}, expected {kind}"
        assert value == host.reshape(()).item()

    def test_item_needs_exactly_one_element(self) -> None:
        """``item`` of an array with several (or no) elements raises ValueError."""
        b = self.impl
        for shape in ((3,), (2, 2), (0,)):
            with pytest.raises(ValueError):
                b.item(b.zeros(shape, lucid.float32))

    @pytest.mark.parametrize("dtype", ["float32", "float64", "int64", "bool"])
    def test_tolist(self, dtype: str) -> None:
        """``tolist`` gives nested Python lists of Python scalars, like NumPy's."""
        b = self.impl
        host = (np.random.default_rng(12).standard_normal((2, 3, 2)) * 4).astype(dtype)
        got = b.tolist(b.asarray(host))
        assert got == host.tolist()
        assert type(got) is list and type(got[0]) is list and type(got[0][0]) is list
        assert type(got[1][2][1]) is type(host.tolist()[1][2][1])
        assert b.tolist(b.asarray(host[0, 0, 0])) == host[0, 0, 0].item()
        assert b.tolist(b.zeros((0, 2), lucid.float32)) == []

    @pytest.mark.parametrize("case", ["float32", "float64-wide", "int64", "bool", "0d", "long",
                                      "empty"])
    def test_format_array(self, case: str) -> None:
        """``format_array`` prints values as ``numpy.array2string(..., precision=4)`` does."""
        b = self.impl
        rng = np.random.default_rng(13)
        host = {
            "float32": (rng.standard_normal((2, 3)) * 10).astype(np.float32),
            "float64-wide": np.array([[1e-6, 1.5, -2.0], [3e5, 0.0, np.inf]]),
            "int64": rng.integers(-100, 100, (3, 4)).astype(np.int64),
            "bool": rng.random((2, 5)) > 0.5,
            "0d": np.array(1.0 / 3.0),
            "long": np.arange(2000, dtype=np.float32).reshape(4, 500),  # summarised with ...
            "empty": np.zeros((0, 3), dtype=np.float32),
        }[case]
        for prefix in ("tensor(", ""):
            want = np.array2string(host, separator=", ", prefix=prefix, precision=4)
            assert b.format_array(b.asarray(host), prefix) == want

    # ==================================================== indexing and scatter-add
    @pytest.mark.parametrize("index", [
        [0, 2, 0, 0], ([0, 1, 0, 0], [1, 1, 1, 4]), (slice(None), [1, 1, 3]), slice(1, 3),
        (2, slice(None, None, 2)), "mask",
    ], ids=["repeated_ints", "repeated_pairs", "slice_then_repeated", "slice", "int_step",
            "bool_mask"])
    def test_scatter_add_accumulates_repeated_indices(self, index: Any) -> None:
        """``scatter_add`` adds every value, repeated targets included (like ``np.add.at``)."""
        b = self.impl
        rng = np.random.default_rng(4)
        base = rng.standard_normal((4, 5))
        if isinstance(index, str):
            index = base > 0
        host_index = tuple(np.asarray(i) if isinstance(i, list) else i for i in index) \
            if isinstance(index, tuple) else (np.asarray(index) if isinstance(index, list)
                                              else index)
        values = rng.standard_normal(base[host_index].shape)
        expected = base.copy()
        np.add.at(expected, host_index, values)

        def native(i: Any) -> Any:
            if isinstance(i, np.ndarray):
                return b.asarray(i)
            return tuple(native(j) for j in i) if isinstance(i, tuple) else i

        got = b.scatter_add(b.asarray(base.copy()), native(host_index), b.asarray(values))
        np.testing.assert_allclose(b.to_numpy(got), expected, rtol=1e-12, atol=1e-12)

    def test_getitem_gradient_accumulates_repeated_indices(self) -> None:
        """Reading one element three times gives it a gradient of three."""
        x = self.tensor(np.arange(5.0), requires_grad=True)
        x[[1, 1, 3, 1]].sum().backward()
        assert_close(x.grad, np.array([0.0, 3.0, 0.0, 1.0, 0.0]), "float64")

    # ==================================================================== softmax
    def test_softmax_is_stable_for_large_inputs(self) -> None:
        """Softmax and log-softmax stay finite for logits of magnitude 1000."""
        a = np.array([[1000.0, 1001.0, 1002.0], [-1000.0, -1000.0, -999.0]], dtype=np.float32)
        t = self.tensor(a)
        assert_close(lucid.softmax(t, -1), nm.softmax(a.astype(np.float64), -1), "float32")
        assert_close(lucid.log_softmax(t, -1), nm.log_softmax(a.astype(np.float64), -1),
                     "float32")

    # ============================================================= NN kernels
    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_nn_kernels_preserve_dtype(self, dtype: str) -> None:
        """Every backend NN kernel, forward and backward, returns arrays of its input dtype."""
        b = self.impl
        rng = np.random.default_rng(6)

        def arr(*shape: int) -> Any:
            return b.asarray(rng.standard_normal(shape).astype(dtype))

        def check(name: str, *arrays: Any) -> None:
            for a in arrays:
                assert b.dtype_of(a) == dtype, f"{name} returned {b.dtype_of(a)} for {dtype}"

        x, w = arr(2, 4, 5, 5), arr(4, 2, 3, 3)
        y = b.conv2d(x, w, (1, 1), (1, 1), (1, 1), 2)
        check("conv2d", y)
        check("conv2d_grad_input",
              b.conv2d_grad_input(y, w, (2, 4, 5, 5), (1, 1), (1, 1), (1, 1), 2))
        check("conv2d_grad_weight",
              b.conv2d_grad_weight(y, x, (4, 2, 3, 3), (1, 1), (1, 1), (1, 1), 2))
        pooled, argmax = b.max_pool2d(x, (3, 3), (2, 2), (1, 1))
        check("max_pool2d", pooled)
        check("max_pool2d_grad",
              b.max_pool2d_grad(pooled, argmax, (2, 4, 5, 5), (3, 3), (2, 2), (1, 1)))
        avg = b.avg_pool2d(x, (2, 2), (2, 2), (0, 0))
        check("avg_pool2d", avg)
        check("avg_pool2d_grad", b.avg_pool2d_grad(avg, (2, 4, 5, 5), (2, 2), (2, 2), (0, 0)))
        gamma, beta = arr(4), arr(4)
        yb, mean, invstd = b.batch_norm_train(x, gamma, beta, 1e-5)
        check("batch_norm_train", yb, mean, invstd)
        check("batch_norm_grad", *b.batch_norm_grad(yb, x, gamma, mean, invstd))
        check("softmax", b.softmax(x, 1))
        check("log_softmax", b.log_softmax(x, 1))

    def test_max_pool_gradient_goes_to_the_maximum(self) -> None:
        """Each window's gradient lands on its maximum; overlapping windows add up."""
        a = np.array([[[[1.0, 5.0, 2.0], [0.0, 3.0, 4.0], [9.0, 1.0, 0.5]]]])
        x = self.tensor(a, requires_grad=True)
        F.max_pool2d(x, 2, stride=1).sum().backward()
        # windows: max 5 (twice: top-left, top-right), 9 (bottom-left), 4 (bottom-right)
        expected = np.array([[[[0.0, 2.0, 0.0], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]]]])
        assert_close(x.grad, expected, "float64")

    @pytest.mark.parametrize("dtype", ["float32", "float64"])
    def test_batch_norm_running_statistics(self, dtype: str) -> None:
        """Training updates running mean/var (unbiased) with momentum; eval leaves them."""
        x, host = self.normal((4, 3, 2, 2), dtype, seed=8)
        rm0, rv0 = np.array([0.5, -1.0, 0.0]), np.array([1.0, 2.0, 0.5])
        rm, rv = self.tensor(rm0.astype(dtype)), self.tensor(rv0.astype(dtype))
        y = F.batch_norm(x, rm, rv, training=True, momentum=0.2, eps=1e-5)
        ref_y, mean, var = nm.batch_norm_train(host.astype(np.float64), None, None, 1e-5)
        assert_close(y, ref_y, dtype, loose=True)
        m = host.size // 3
        assert_close(rm, 0.8 * rm0 + 0.2 * mean, dtype, loose=True)
        assert_close(rv, 0.8 * rv0 + 0.2 * var * m / (m - 1), dtype, loose=True)
        before = rm.numpy().copy(), rv.numpy().copy()
        y_eval = F.batch_norm(x, rm, rv, training=False)
        np.testing.assert_array_equal(rm.numpy(), before[0])
        np.testing.assert_array_equal(rv.numpy(), before[1])
        ref_eval = nm.batch_norm_eval(host.astype(np.float64), before[0].astype(np.float64),
                                      before[1].astype(np.float64), None, None, 1e-5)
        assert_close(y_eval, ref_eval, dtype, loose=True)

    def test_dropout_in_training(self) -> None:
        """Training dropout zeroes about ``p`` of the elements and scales the rest by 1/(1-p)."""
        x, host = self.normal((40, 50), "float32", seed=9, requires_grad=True)
        lucid.manual_seed(3)
        y = F.dropout(x, p=0.25, training=True)
        out = y.numpy()
        kept = out != 0
        assert 0.70 < kept.mean() < 0.80
        np.testing.assert_allclose(out[kept], host[kept] / 0.75, rtol=1e-6)
        y.sum().backward()
        assert_close(x.grad, kept / 0.75, "float32")
        assert_close(F.dropout(x, p=1.0), np.zeros((40, 50)), "float32")

    # ================================================================ autograd odds
    def test_cast_gradient_returns_to_source_dtype(self) -> None:
        """A float32 -> float64 cast passes the gradient back as float32."""
        x = self.tensor(np.array([1.0, -2.0, 3.0], dtype=np.float32), requires_grad=True)
        (x.astype("float64") * 3.0).sum().backward()
        assert_close(x.grad, np.full(3, 3.0), "float32")
        z = self.tensor(np.array([1.5, 2.5]), requires_grad=True)
        assert not z.to("int64").requires_grad

    def test_tensor_to_another_backend(self, twin: Backend) -> None:
        """``t.to(name)`` copies values to another backend; the gradient flows back."""
        x = self.tensor(np.array([[1.0, -2.0], [0.5, 4.0]]), requires_grad=True)
        moved = x.to(twin.name)
        assert moved.backend is twin and moved.device == twin.name
        assert_close(moved, x.numpy(), "float64")
        (moved * moved).sum().backward()
        assert x.grad is not None and x.grad.backend is self.impl
        assert_close(x.grad, 2 * x.numpy(), "float64")
        assert x.to(self.impl.name) is x

    # ======================================================================= errors
    @pytest.mark.parametrize("name,op", [
        ("add", lambda a, c: a + c), ("mul", lambda a, c: a * c),
        ("matmul", lambda a, c: a @ c), ("maximum", lucid.maximum),
        ("where", lambda a, c: lucid.where(a > 0, a, c)),
        ("concatenate", lambda a, c: lucid.concatenate([a, c])),
        ("stack", lambda a, c: lucid.stack([a, c])),
        ("linear", lambda a, c: F.linear(a, c)),
        ("mse_loss", F.mse_loss),
    ])
    def test_mixing_backends_raises(self, twin: Backend, name: str, op: Any) -> None:
        """An op on tensors of two backends raises MixedBackendError naming both."""
        a = self.tensor(np.ones((2, 2)))
        c = lucid.tensor(np.ones((2, 2)), backend=twin)
        with pytest.raises(MixedBackendError) as info:
            op(a, c)
        assert self.impl.name in str(info.value) and twin.name in str(info.value)

    def test_mixing_backends_in_nn_ops_raises(self, twin: Backend) -> None:
        """Convolution weights and loss targets must live on the input's backend."""
        x = self.tensor(np.ones((1, 2, 4, 4)))
        with pytest.raises(MixedBackendError):
            F.conv2d(x, lucid.ones(3, 2, 3, 3, backend=twin))
        with pytest.raises(MixedBackendError):
            F.cross_entropy(self.tensor(np.ones((2, 3))),
                            lucid.tensor([0, 1], backend=twin))

    @pytest.mark.parametrize("name", sorted(_SHAPE_ERRORS))
    def test_wrong_shapes_raise_value_error_naming_the_shape(self, name: str) -> None:
        """Shape mistakes raise ValueError whose message names the offending shape(s)."""
        shapes, make = _SHAPE_ERRORS[name]

        def t(shape: tuple[int, ...]) -> lucid.Tensor:
            return self.tensor(np.ones(shape, dtype=np.float32))

        with pytest.raises(ValueError) as info:
            make(t)
        message = str(info.value)
        for shape in shapes:
            assert names_shape(message, shape), f"{message!r} does not name {shape}"

    def test_backward_gradient_shape_mismatch(self) -> None:
        """A gradient of the wrong shape passed to backward() is a ValueError naming both."""
        y = self.tensor(np.ones((2, 3)), requires_grad=True) * 2.0
        with pytest.raises(ValueError) as info:
            y.backward(self.tensor(np.ones(3)))
        assert names_shape(str(info.value), (3,)) and names_shape(str(info.value), (2, 3))

    def test_bad_hyper_parameters_raise(self) -> None:
        """Impossible convolution/pooling/loss settings raise ValueError."""
        x = self.tensor(np.ones((1, 4, 5, 5), dtype=np.float32))
        with pytest.raises(ValueError, match="groups"):
            F.conv2d(x, self.tensor(np.ones((3, 2, 3, 3), dtype=np.float32)), groups=2)
        with pytest.raises(ValueError, match="channels"):
            F.conv2d(x, self.tensor(np.ones((4, 3, 3, 3), dtype=np.float32)))
        with pytest.raises(ValueError, match="too small"):
            F.conv2d(x, self.tensor(np.ones((4, 4, 7, 7), dtype=np.float32)))
        with pytest.raises(ValueError, match="padding"):
            F.max_pool2d(x, 2, padding=2)
        with pytest.raises(ValueError, match="label_smoothing"):
            F.cross_entropy(self.tensor(np.ones((2, 3))), [0, 1], label_smoothing=1.5)
        with pytest.raises(ValueError, match="reduction"):
            F.mse_loss(x, x, reduction="avg")
