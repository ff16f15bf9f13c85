"""The ``lucid.Tensor`` API: attributes, conversion, creation functions and operators.

Op values for every backend are checked by the conformance kit (test_conformance_numpy);
these tests pin down the user-facing semantics on the default backend.
"""

from __future__ import annotations

import numpy as np
import pytest

import lucid


# ------------------------------------------------------------------- attributes
def test_attributes_of_a_new_tensor() -> None:
    """shape, dtype, ndim, size, backend and the autograd fields of a fresh tensor."""
    t = lucid.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and isinstance(t.shape, tuple)
    assert t.dtype == lucid.float32 and t.dtype == "float32"
    assert t.ndim == 2 and t.dim() == 2
    assert t.size() == (2, 3) and t.size(1) == 3 and t.size(-2) == 2 and t.numel() == 6
    assert len(t) == 2
    assert t.backend.name == "numpy" and t.device == "numpy"
    assert t.requires_grad is False and t.grad is None
    assert t.is_leaf and t.grad_fn is None


def test_numpy_returns_host_values() -> None:
    """``.numpy()`` gives an ndarray with the tensor's values and dtype, even with grad on."""
    host = np.arange(6, dtype=np.float64).reshape(2, 3)
    t = lucid.tensor(host, requires_grad=True)
    out = t.numpy()
    assert isinstance(out, np.ndarray) and out.dtype == np.float64
    np.testing.assert_array_equal(out, host)
    np.testing.assert_array_equal(np.asarray(t), host)
    assert t.tolist() == host.tolist()


def test_item_and_python_conversions() -> None:
    """``item()`` works on any one-element tensor and refuses larger ones, naming the shape."""
    assert lucid.tensor(2.5).item() == 2.5
    assert lucid.tensor([[7]]).item() == 7 and isinstance(lucid.tensor([[7]]).item(), int)
    assert float(lucid.tensor([1.5])) == 1.5 and int(lucid.tensor([3])) == 3
    assert bool(lucid.tensor([1.0])) is True
    with pytest.raises(ValueError, match=r"\(2, 2\)"):
        lucid.zeros(2, 2).item()
    with pytest.raises(ValueError, match="ambiguous"):
        bool(lucid.ones(3))
    assert [1, 2, 3][lucid.tensor(1)] == 2  # an int tensor of one element is an index


def test_to_dtype_and_backend() -> None:
    """``.to()`` takes a backend name, a dtype, or both; the same backend returns self."""
    t = lucid.tensor([1.5, -2.5])
    assert t.to("numpy") is t
    assert t.to(lucid.float64).dtype == lucid.float64
    assert t.to("float64").dtype == lucid.float64
    assert t.to(np.float64).dtype == lucid.float64
    assert t.to("numpy", dtype="int64").dtype == lucid.int64
    np.testing.assert_array_equal(t.to(dtype="int64").numpy(), [1, -2])
    assert t.double().dtype == lucid.float64 and t.double().float().dtype == lucid.float32
    assert t.long().dtype == lucid.int64


def test_requires_grad_flag_and_detach() -> None:
    """requires_grad is set at creation or by ``requires_grad_``; detach shares the values."""
    x = lucid.ones(2, 3, requires_grad=True)
    assert x.requires_grad and x.is_leaf
    y = x * 2
    assert y.requires_grad and not y.is_leaf and y.grad_fn is not None
    d = y.detach()
    assert not d.requires_grad and d.is_leaf and d.grad_fn is None
    np.testing.assert_array_equal(d.numpy(), y.numpy())
    assert d.data is y.data  # no copy
    z = lucid.zeros(3)
    assert z.requires_grad_() is z and z.requires_grad
    z.requires_grad_(False)
    assert not z.requires_grad


def test_repr_shows_values_and_grad_state() -> None:
    """The repr names the values, a non-default dtype and the autograd state."""
    assert repr(lucid.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert "dtype=lucid.float64" in repr(lucid.tensor([1.0], dtype="float64"))
    assert "requires_grad=True" in repr(lucid.ones(1, requires_grad=True))
    assert "grad_fn" in repr(lucid.ones(1, requires_grad=True) * 2)


# -------------------------------------------------------------------- creation
def test_shape_as_varargs_or_tuple() -> None:
    """The seed's ``lucid.zeros(1, 1, 224, 224)`` works, and so does the tuple form."""
    a = lucid.zeros(1, 1, 224, 224)
    b = lucid.zeros((1, 1, 224, 224))
    assert a.shape == b.shape == (1, 1, 224, 224)
    assert a.dtype == lucid.float32 and not a.numpy().any()
    assert lucid.ones([2, 3]).shape == (2, 3)
    assert lucid.randn(2, 3).shape == lucid.randn((2, 3)).shape == (2, 3)
    assert lucid.rand(4).shape == (4,)
    assert lucid.full((2, 2), 3.0).shape == (2, 2) and lucid.full(3, 1.0).shape == (3,)
    assert lucid.zeros(2, 3).reshape(3, 2).shape == lucid.zeros(2, 3).reshape((3, 2)).shape


def test_negative_dimension_is_an_error() -> None:
    """A negative size is refused with the shape in the message."""
    with pytest.raises(ValueError, match=r"\(2, -1\)"):
        lucid.zeros(2, -1)


def test_tensor_copies_its_input() -> None:
    """``lucid.tensor`` copies NumPy data and tensors; ``from_numpy`` shares memory."""
    host = np.array([1.0, 2.0, 3.0])
    t = lucid.tensor(host)
    host[0] = 100.0
    assert t.numpy()[0] == 1.0
    shared = lucid.from_numpy(host)
    host[1] = -5.0
    assert shared.numpy()[1] == -5.0
    src = lucid.ones(2, requires_grad=True)
    copy = lucid.tensor(src)
    assert copy is not src and not copy.requires_grad and copy.data is not src.data
    assert lucid.tensor(src, requires_grad=True).requires_grad


def test_creation_function_values_and_dtypes() -> None:
    """Creation functions against NumPy, with the dtype and requires_grad keywords."""
    np.testing.assert_array_equal(lucid.arange(5).numpy(), np.arange(5))
    np.testing.assert_allclose(lucid.arange(1.0, 2.0, 0.25).numpy(), [1.0, 1.25, 1.5, 1.75])
    np.testing.assert_allclose(lucid.linspace(0, 1, 5).numpy(), np.linspace(0, 1, 5))
    assert lucid.zeros(2, dtype="float64").dtype == lucid.float64
    assert lucid.ones(2, dtype=lucid.int64).dtype == lucid.int64
    assert lucid.zeros(2, dtype=bool).dtype == lucid.bool_
    assert lucid.randn(3, requires_grad=True).requires_grad
    x = lucid.tensor([[1, 2], [3, 4]])
    assert lucid.zeros_like(x).dtype == lucid.int64 and lucid.zeros_like(x).shape == (2, 2)
    assert lucid.ones_like(x, dtype="float32").dtype == lucid.float32
    np.testing.assert_array_equal(lucid.full_like(x, 9).numpy(), np.full((2, 2), 9))
    assert lucid.randn_like(lucid.zeros(3, dtype="float64")).dtype == lucid.float64
    assert lucid.rand_like(lucid.zeros(2, 5)).shape == (2, 5)
    r = lucid.randint(10, size=(100,))
    assert r.dtype == lucid.int64 and 0 <= r.numpy().min() and r.numpy().max() < 10


def test_manual_seed_reproducibility() -> None:
    """Seeding twice with the same value replays the same random tensors."""
    lucid.manual_seed(42)
    a, b = lucid.randn(4, 5).numpy().copy(), lucid.rand(3).numpy().copy()
    lucid.manual_seed(42)
    np.testing.assert_array_equal(lucid.randn(4, 5).numpy(), a)
    np.testing.assert_array_equal(lucid.rand(3).numpy(), b)
    lucid.manual_seed(43)
    assert not np.array_equal(lucid.randn(4, 5).numpy(), a)


# ------------------------------------------------------------------- operators
@pytest.mark.parametrize("op,b_shape", [
    (lambda a, b: a + b, (3, 1)), (lambda a, b: a - b, (4,)), (lambda a, b: a * b, (3, 1)),
    (lambda a, b: a / b, (1, 3, 4)), (lambda a, b: a ** b, (3, 1)),
    (lambda a, b: a @ b, (4, 5)),
], ids=["add", "sub", "mul", "div", "pow", "matmul"])
def test_operators_broadcast_like_numpy(op, b_shape: tuple[int, ...]) -> None:
    """Binary operators follow NumPy broadcasting, with a tensor or an ndarray on either side."""
    rng = np.random.default_rng(0)
    a = rng.uniform(0.5, 2.0, (2, 3, 4))
    b = rng.uniform(0.5, 2.0, b_shape)
    ta, tb = lucid.tensor(a, dtype="float64"), lucid.tensor(b, dtype="float64")
    np.testing.assert_allclose(op(ta, tb).numpy(), op(a, b), rtol=1e-12)
    np.testing.assert_allclose(op(ta, b).numpy(), op(a, b), rtol=1e-12)  # ndarray operand
    result = op(a, tb)  # ndarray on the left: the tensor's reflected operator wins
    assert isinstance(result, lucid.Tensor)
    np.testing.assert_allclose(result.numpy(), op(a, b), rtol=1e-12)


def test_scalar_operands_and_negation() -> None:
    """Python scalars on either side keep the tensor's dtype."""
    x = lucid.tensor([1.0, 2.0, 4.0])
    cases = {
        "x + 1": (x + 1, [2, 3, 5]), "1 + x": (1 + x, [2, 3, 5]), "x - 1": (x - 1, [0, 1, 3]),
        "1 - x": (1 - x, [0, -1, -3]), "2 * x": (2 * x, [2, 4, 8]),
        "x / 2": (x / 2, [0.5, 1, 2]), "4 / x": (4 / x, [4, 2, 1]),
        "x ** 2": (x ** 2, [1, 4, 16]), "2 ** x": (2 ** x, [2, 4, 16]), "-x": (-x, [-1, -2, -4]),
        "abs(-x)": (abs(-x), [1, 2, 4]),
    }
    for label, (got, want) in cases.items():
        assert got.dtype == lucid.float32, label
        np.testing.assert_allclose(got.numpy(), want, err_msg=label)


def test_comparisons_give_bool_tensors() -> None:
    """Comparisons broadcast and return bool tensors usable as masks."""
    x = lucid.tensor([[1.0, 5.0], [3.0, 2.0]])
    mask = x > lucid.tensor([2.0, 2.0])
    assert mask.dtype == lucid.bool_
    np.testing.assert_array_equal(mask.numpy(), [[False, True], [True, False]])
    np.testing.assert_array_equal((x == 2.0).numpy(), [[False, False], [False, True]])
    np.testing.assert_array_equal(x[mask].numpy(), [5.0, 3.0])
    np.testing.assert_array_equal(((x >= 2) & (x < 5)).numpy(), [[False, False], [True, True]])


def test_indexing_and_slicing() -> None:
    """Basic and advanced indexing follow NumPy."""
    host = np.arange(24.0).reshape(2, 3, 4)
    x = lucid.tensor(host)
    for index in (1, (0, 2), (slice(None), 1), (Ellipsis, -1), (slice(None, None, -1), 0),
                  ([1, 0, 1],), (None, 1, slice(1, 3))):
        np.testing.assert_array_equal(x[index].numpy(), host[index], err_msg=str(index))
    index = lucid.tensor([2, 0])
    np.testing.assert_array_equal(x[:, index].numpy(), host[:, [2, 0]])
    np.testing.assert_array_equal(x[index > 1].numpy(), host[[True, False]])
    assert [t.shape for t in x] == [(3, 4), (3, 4)]


def test_methods_match_functions() -> None:
    """Tensor methods and lucid functions are the same operations."""
    rng = np.random.default_rng(1)
    host = rng.standard_normal((2, 3, 4))
    x = lucid.tensor(host, dtype="float64")
    pairs = [
        (x.sum(axis=1, keepdims=True), lucid.sum(x, 1, True), host.sum(1, keepdims=True)),
        (x.mean(dim=(0, 2)), lucid.mean(x, (0, 2)), host.mean((0, 2))),
        (x.max(-1).values, lucid.max(x, -1)[0], host.max(-1)),
        (x.amax(-1), lucid.amax(x, dim=-1), host.max(-1)),
        (x.min(), lucid.min(x), host.min()),
        (x.exp(), lucid.exp(x), np.exp(host)),
        (x.tanh(), lucid.tanh(x), np.tanh(host)),
        (x.relu(), lucid.relu(x), np.maximum(host, 0)),
        (x.clip(-0.5, 0.5), lucid.clip(x, -0.5, 0.5), np.clip(host, -0.5, 0.5)),
        (x.transpose(0, 2), lucid.transpose(x, 0, 2), host.swapaxes(0, 2)),
        (x.permute(1, 0, 2), lucid.permute(x, (1, 0, 2)), host.transpose(1, 0, 2)),
        (x.flatten(1), lucid.flatten(x, 1), host.reshape(2, 12)),
        (x.unsqueeze(0), lucid.unsqueeze(x, 0), host[None]),
        (x.argmax(axis=2), lucid.argmax(x, 2), host.argmax(2)),
    ]
    for method, function, expected in pairs:
        np.testing.assert_allclose(method.numpy(), expected, rtol=1e-12)
        np.testing.assert_allclose(function.numpy(), expected, rtol=1e-12)


def test_stack_and_concatenate() -> None:
    """``lucid.stack`` adds an axis, ``lucid.concatenate``/``cat`` joins along one."""
    a, b = np.ones((2, 3)), np.zeros((2, 3))
    ta, tb = lucid.tensor(a), lucid.tensor(b)
    np.testing.assert_array_equal(lucid.stack([ta, tb], 1).numpy(), np.stack([a, b], 1))
    np.testing.assert_array_equal(lucid.concatenate([ta, tb]).numpy(), np.concatenate([a, b]))
    np.testing.assert_array_equal(lucid.cat((ta, tb), -1).numpy(), np.concatenate([a, b], -1))


def test_reduction_axis_errors_name_the_axis() -> None:
    """An axis outside the tensor's rank raises IndexError naming it."""
    with pytest.raises(IndexError, match=r"range of \[-2, 1\], but got 3"):
        lucid.zeros(2, 3).sum(axis=3)


def test_foreign_arrays_are_not_silently_copied_across_backends():
    """A raw array of another library (here NumPy, on a non-NumPy backend) is refused."""
    import numpy as np
    from lucid_numpy import NumPyBackend

    class Wrapped:  # a minimal array type that is not NumPy's
        def __init__(self, a):
            self.a, self.shape, self.dtype = a, a.shape, a.dtype

    class WrappedBackend(NumPyBackend):
        def is_native(self, a):
            return isinstance(a, Wrapped)

    lucid.backends.register_backend("wrapped", WrappedBackend)
    t = lucid.ones(2, backend="numpy")
    wb = lucid.get_backend("wrapped")
    other = lucid.Tensor._wrap(np.ones(2, np.float32), wb)
    with pytest.raises(lucid.backends.MixedBackendError, match="without a copy"):
        lucid.ops.add(other, np.ones(2))
    assert (t + [1.0, 2.0]).tolist() == [2.0, 3.0]  # Python data is still accepted
