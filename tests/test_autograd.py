"""Reverse-mode autograd semantics: accumulation, graph freeing, grad modes, gradcheck.

Per-op gradients are checked by the conformance kit; these tests pin down how the
engine behaves around them, with hand-computed expected values.
"""

from __future__ import annotations

import numpy as np
import pytest

import lucid
from lucid.autograd import Function, GradcheckError, gradcheck


def test_doc_example_gives_two_x() -> None:
    """The README example: the gradient of sum(x * x) is 2x, as a Tensor on x's backend."""
    x = lucid.randn(2, 3, requires_grad=True)
    (x * x).sum().backward()
    assert isinstance(x.grad, lucid.Tensor)
    assert x.grad.shape == (2, 3) and x.grad.dtype == lucid.float32
    assert x.grad.backend is x.backend and not x.grad.requires_grad
    np.testing.assert_allclose(x.grad.numpy(), 2 * x.numpy(), rtol=1e-6)


def test_gradients_accumulate_across_backward_calls() -> None:
    """Two backward passes through two graphs add into the same leaf's ``.grad``."""
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    (x * x).sum().backward()  # 2x
    (3 * x).sum().backward()  # + 3
    np.testing.assert_allclose(x.grad.numpy(), [5.0, 7.0, 9.0])
    x.grad = None
    x.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [1.0, 1.0, 1.0])


def test_fan_in_within_one_graph_adds_up() -> None:
    """A tensor used several times gets the sum of all its gradient paths."""
    x = lucid.tensor([1.0, -2.0], requires_grad=True)
    y = x * x + x + x * 3.0  # dy/dx = 2x + 4
    y.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [6.0, 0.0])
    z = lucid.tensor([2.0], requires_grad=True)
    h = z * z  # a diamond: h feeds two branches that meet again
    (h * 3.0 + h.exp()).sum().backward()  # d/dz = (3 + e^{z^2}) * 2z
    np.testing.assert_allclose(z.grad.numpy(), [(3 + np.exp(4.0)) * 4.0], rtol=1e-6)


def test_graph_is_freed_after_backward() -> None:
    """A second backward through the same graph raises unless the first kept it."""
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    loss = (x.exp() * x).sum()
    loss.backward()
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_retain_graph_allows_a_second_backward() -> None:
    """With retain_graph=True the graph survives and the second pass accumulates."""
    x = lucid.tensor([1.0, 2.0], dtype="float64", requires_grad=True)
    loss = (x * x * x).sum()
    loss.backward(retain_graph=True)
    loss.backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * 3 * np.array([1.0, 4.0]))
    with pytest.raises(RuntimeError, match="retain_graph"):
        loss.backward()


def test_no_grad_records_nothing() -> None:
    """Inside ``no_grad`` results do not require grad and have no graph node."""
    x = lucid.ones(3, requires_grad=True)
    with lucid.no_grad():
        assert not lucid.is_grad_enabled()
        y = x * 2 + 1
        with lucid.enable_grad():
            assert lucid.is_grad_enabled()
            z = x * 2
        w = x.sum()
    assert lucid.is_grad_enabled()
    assert not y.requires_grad and y.grad_fn is None
    assert z.requires_grad and z.grad_fn is not None
    assert not w.requires_grad
    with pytest.raises(RuntimeError, match="does not require grad"):
        y.sum().backward()


def test_no_grad_and_enable_grad_as_decorators() -> None:
    """``no_grad`` and ``enable_grad`` also decorate functions, restoring the mode after."""
    x = lucid.ones(2, requires_grad=True)

    @lucid.no_grad()
    def infer(t: lucid.Tensor) -> lucid.Tensor:
        return t * 2

    @lucid.enable_grad()
    def train(t: lucid.Tensor) -> lucid.Tensor:
        return t * 2

    assert not infer(x).requires_grad and lucid.is_grad_enabled()
    with lucid.no_grad():
        assert train(x).requires_grad
        assert not lucid.is_grad_enabled()


def test_set_grad_enabled() -> None:
    """``set_grad_enabled`` works as a call and as a context manager."""
    x = lucid.ones(2, requires_grad=True)
    with lucid.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    assert (x * 2).requires_grad
    lucid.set_grad_enabled(False)
    try:
        assert not (x * 2).requires_grad
    finally:
        lucid.set_grad_enabled(True)
    assert (x * 2).requires_grad


def test_non_scalar_backward_needs_a_gradient() -> None:
    """backward() on a non-scalar output needs an explicit gradient of the output's shape."""
    x = lucid.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = x * x
    with pytest.raises(RuntimeError, match=r"scalar outputs.*\(3,\)"):
        y.backward()
    y.backward(lucid.tensor([1.0, 0.5, -1.0]))  # vector-Jacobian product
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, -6.0])
    x.grad = None
    (x * 2).backward([1.0, 1.0, 1.0])  # plain data is accepted too
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0, 2.0])
    with pytest.raises(ValueError, match=r"\(2,\)"):
        (x * 2).backward(lucid.ones(2))


def test_one_element_output_needs_no_gradient() -> None:
    """Any one-element output (not only 0-d) backpropagates an implicit gradient of one."""
    x = lucid.tensor([[3.0]], requires_grad=True)
    (x * 4.0).backward()
    np.testing.assert_allclose(x.grad.numpy(), [[4.0]])


@pytest.mark.parametrize("dtype", ["int64", "bool"])
def test_only_float_tensors_require_grad(dtype: str) -> None:
    """Integer and bool tensors refuse requires_grad with a TypeError naming the dtype."""
    with pytest.raises(TypeError, match=dtype):
        lucid.tensor([1, 0], dtype=dtype, requires_grad=True)
    with pytest.raises(TypeError, match=dtype):
        lucid.zeros(2, dtype=dtype).requires_grad_()


def test_integer_results_do_not_join_the_graph() -> None:
    """Comparisons, argmax and integer casts of a grad tensor are constants."""
    x = lucid.tensor([1.0, 3.0, 2.0], requires_grad=True)
    for t in (x > 1.5, x.argmax(), x.long()):
        assert not t.requires_grad and t.grad_fn is None


def test_detach_stops_the_gradient() -> None:
    """A detached branch contributes nothing to the gradient."""
    x = lucid.tensor([2.0], requires_grad=True)
    (x * x.detach()).sum().backward()  # d/dx of x * const = const
    np.testing.assert_allclose(x.grad.numpy(), [2.0])


def test_only_leaves_keep_grad_unless_retained() -> None:
    """Intermediate results get ``.grad`` only after ``retain_grad()``."""
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3.0
    k = x * 5.0
    k.retain_grad()
    (h * k).sum().backward()
    assert h.grad is None
    np.testing.assert_allclose(k.grad.numpy(), h.numpy())
    np.testing.assert_allclose(x.grad.numpy(), 30 * x.numpy())
    with pytest.raises(RuntimeError, match="non-leaf"):
        h.requires_grad_(False)


def test_max_ties_share_the_gradient() -> None:
    """Equal maxima split the gradient equally in amax and the all-element max (PyTorch);
    max(dim) sends it to the index it returns."""
    x = lucid.tensor([[1.0, 3.0, 3.0], [5.0, 0.0, 5.0]], requires_grad=True)
    x.amax(axis=1).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.5, 0.5], [0.5, 0.0, 0.5]])
    x.grad = None
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 0.0, 0.0], [0.5, 0.0, 0.5]])
    x.grad = None
    values, indices = x.max(dim=1)
    values.sum().backward()
    assert indices.tolist() == [1, 0]
    np.testing.assert_allclose(x.grad.numpy(), [[0.0, 1.0, 0.0], [1.0, 0.0, 0.0]])


def test_clone_is_differentiable_and_independent() -> None:
    """``clone`` copies values and passes gradients through."""
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert c.data is not x.data
    (c * c).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 4.0])


# ------------------------------------------------------------------ gradcheck
class _ScaledSquare(Function):
    """``x**2`` whose backward is off by ``scale`` (to test gradcheck)."""

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        return ctx.backend.multiply(x, x)

    @staticmethod
    def backward(ctx, g):
        (x,) = ctx.saved_tensors
        b = ctx.backend
        return b.multiply(g, b.multiply(x, 2.0 * ctx.scale)), None


def _scaled_square(x: lucid.Tensor, scale: float) -> lucid.Tensor:
    return _ScaledSquare.apply(x, scale)


def test_gradcheck_accepts_correct_gradients() -> None:
    """gradcheck passes a correct rule, on non-scalar outputs too."""
    x = lucid.tensor(np.linspace(-1, 1, 6).reshape(2, 3), dtype="float64", requires_grad=True)
    w = lucid.tensor([0.5, -1.0, 2.0], dtype="float64", requires_grad=True)
    assert gradcheck(lambda a, b: (a * b).tanh(), [x, w])
    assert gradcheck(lambda a: _scaled_square(a, 1.0), [x])


def test_gradcheck_catches_a_wrong_gradient() -> None:
    """A backward rule off by 1% is reported, naming the input."""
    x = lucid.tensor([0.5, 1.5, -2.0], dtype="float64", requires_grad=True)
    with pytest.raises(GradcheckError, match="input 0"):
        gradcheck(lambda a: _scaled_square(a, 1.01), [x])
    assert gradcheck(lambda a: _scaled_square(a, 1.01), [x], raise_exception=False) is False


def test_gradcheck_checks_its_arguments() -> None:
    """gradcheck needs float64 inputs and at least one that requires grad."""
    with pytest.raises(TypeError, match="float64"):
        gradcheck(lambda a: a * 2, [lucid.ones(2, requires_grad=True)])
    with pytest.raises(ValueError, match="requires_grad"):
        gradcheck(lambda a: a * 2, [lucid.ones(2, dtype="float64")])


# ------------------------------------------------------- the Function mechanism
class _Cube(Function):
    """``x**3 * scale`` with a hand-written backward (a user's custom op)."""

    calls: list[tuple[bool, ...]] = []

    @staticmethod
    def forward(ctx, x, scale):
        ctx.save_for_backward(x)
        ctx.scale = scale
        b = ctx.backend
        return b.multiply(b.multiply(b.multiply(x, x), x), scale)

    @staticmethod
    def backward(ctx, g):
        _Cube.calls.append(ctx.needs_input_grad)
        (x,) = ctx.saved_tensors
        b = ctx.backend
        return b.multiply(g, b.multiply(b.multiply(x, x), 3.0 * ctx.scale)), None


def test_a_custom_function_is_differentiable_like_a_builtin() -> None:
    """A user's Function records a node named after it and passes gradcheck."""
    x = lucid.tensor([[0.5, -1.0], [2.0, 0.25]], dtype="float64", requires_grad=True)
    y = _Cube.apply(x, 2.0)
    assert repr(y.grad_fn) == "<_CubeBackward>" and y.grad_fn.name == "_Cube"
    np.testing.assert_allclose(y.numpy(), 2.0 * x.numpy() ** 3)
    assert gradcheck(lambda t: _Cube.apply(t, 2.0) * t, [x])


def test_needs_input_grad_says_which_arguments_want_a_gradient() -> None:
    """Only tensor arguments that require grad are flagged; numbers never are."""
    _Cube.calls.clear()
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    _Cube.apply(x, 1.0).sum().backward()
    assert _Cube.calls == [(True, False)]
    np.testing.assert_allclose(x.grad.numpy(), [3.0, 12.0])


def test_function_results_record_nothing_without_grad() -> None:
    """Inside no_grad(), or with no input requiring grad, the result is a plain leaf."""
    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    with lucid.no_grad():
        y = _Cube.apply(x, 1.0)
    assert y.grad_fn is None and not y.requires_grad
    z = _Cube.apply(lucid.tensor([1.0, 2.0]), 1.0)
    assert z.grad_fn is None and not z.requires_grad


def test_function_apply_checks_its_tensor_arguments() -> None:
    """apply() needs a tensor and refuses tensors of two backends, naming both."""
    with pytest.raises(TypeError, match="at least one lucid.Tensor"):
        _Cube.apply(2.0, 1.0)
    numpy_backend = type(lucid.get_backend("numpy"))
    lucid.backends.register_backend("autograd-twin", numpy_backend, exist_ok=True)
    try:
        a = lucid.ones(2, backend="numpy")
        b = lucid.ones(2, backend="autograd-twin")
        with pytest.raises(lucid.backends.MixedBackendError, match="numpy.*autograd-twin"):
            lucid.ops.arithmetic.Add.apply(a, b)
    finally:
        lucid.backends.unregister_backend("autograd-twin")


def test_a_function_without_backward_fails_when_differentiated() -> None:
    """Forward-only Functions run, and say what is missing if asked for a gradient."""

    class ForwardOnly(Function):
        @staticmethod
        def forward(ctx, x):
            return ctx.backend.negative(x)

    x = lucid.tensor([1.0], requires_grad=True)
    y = ForwardOnly.apply(x)
    np.testing.assert_allclose(y.numpy(), [-1.0])
    with pytest.raises(NotImplementedError, match="backward"):
        y.sum().backward()


def test_ctx_names_an_attribute_forward_never_set() -> None:
    """A typo in backward gives an error naming the Function and the attribute."""

    class Typo(Function):
        @staticmethod
        def forward(ctx, x):
            ctx.factor = 2.0
            return ctx.backend.multiply(x, 2.0)

        @staticmethod
        def backward(ctx, g):
            return ctx.backend.multiply(g, ctx.facter)

    y = Typo.apply(lucid.tensor([1.0], requires_grad=True))
    with pytest.raises(AttributeError, match="Typo.*'facter'"):
        y.sum().backward()


# ------------------------------------------------------------------- pickling
def test_tensors_pickle_by_value_and_backend_name() -> None:
    """A leaf (and a Parameter) round-trips through pickle with its grad; a node refuses."""
    import pickle

    x = lucid.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    y = pickle.loads(pickle.dumps(x))
    assert y.backend is x.backend and y.requires_grad and y.data is not x.data
    np.testing.assert_allclose(y.numpy(), x.numpy())
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 4.0])
    p = pickle.loads(pickle.dumps(lucid.nn.Parameter(lucid.ones(3))))
    assert isinstance(p, lucid.nn.Parameter) and p.requires_grad
    with pytest.raises(RuntimeError, match="detach"):
        pickle.dumps(x * 2)
