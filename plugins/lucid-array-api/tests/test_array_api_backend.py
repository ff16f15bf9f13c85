"""The array API backend, found through its entry point, checked against NumPy's own results.

NumPy is the independent reference here: its indexing, ``np.add.at``, type promotion and
math define the behaviour lucid's op interface promises.
"""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

import lucid
from lucid.backends import get_backend

BACKEND = "array_api"


@pytest.fixture(scope="module")
def b():
    """The backend as lucid loads it: through the ``lucid.backends`` entry point."""
    return get_backend(BACKEND)


def test_found_through_its_entry_point_only():
    status = lucid.backends.available()[BACKEND]
    assert status.available, status.reason
    assert status.source == "entry point"
    assert status.value == "lucid_array_api:ArrayAPIBackend"
    assert status.distribution == "lucid-array-api"


def test_default_namespace_is_the_reference_implementation(b):
    if os.environ.get("LUCID_ARRAY_API_NAMESPACE", "array_api_strict") != "array_api_strict":
        pytest.skip("another array library was configured")
    import array_api_strict

    x = lucid.ones(2, 3, backend=BACKEND)
    assert type(x.data).__module__.startswith("array_api_strict")
    assert b.xp is array_api_strict


def test_runs_the_reference_nn_kernels(b):
    for name in lucid.backends.NN_KERNELS:
        assert getattr(type(b), name) is getattr(lucid.backends.ReferenceKernels, name), name
    assert lucid.backends.uses_reference_kernels(b)
    # already on the reference kernels: the switch has nothing to derive
    assert lucid.backends.with_reference_kernels(type(b)) is type(b)


# ------------------------------------------------------------------ indexing
A = np.arange(4 * 5 * 6, dtype=np.float32).reshape(4, 5, 6) * 0.5 - 7.0


def _index_cases():
    i = np.array
    return [
        ("int", 1), ("slice", slice(1, 3)), ("partial", (slice(None), 2)),
        ("none-ellipsis-step", (None, 1, Ellipsis, slice(None, None, 2))),
        ("negative-step", (slice(None, None, -1), 0)),
        ("repeated-ints", i([0, 2, 2, 0])), ("slice-then-array", (slice(None), i([0, 4, -1, 4]))),
        ("separated-arrays", (i([0, 1]), slice(None), i([2, 3]))),
        ("adjacent-arrays", (slice(None), i([0, 1, 1]), i([2, 3, 2]))),
        ("int-slice-array", (1, slice(None), i([2, 3]))),
        ("broadcast-arrays", (i([[0], [3]]), i([1, 2, 4]))),
        ("new-axis-and-array", (slice(None), None, i([1, 2]))),
        ("full-mask", A > 20), ("leading-mask", A[:, :, 0] > -4),
    ]


@pytest.mark.parametrize("index", [c[1] for c in _index_cases()],
                         ids=[c[0] for c in _index_cases()])
def test_getitem_and_scatter_add_match_numpy(b, index):
    native = tuple(b.asarray(i) if isinstance(i, np.ndarray) else i for i in index) \
        if isinstance(index, tuple) else (b.asarray(index) if isinstance(index, np.ndarray)
                                          else index)
    expected = A[index]
    got = b.to_numpy(b.getitem(b.asarray(A), native))
    assert got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)

    values = np.random.default_rng(0).standard_normal(expected.shape).astype(np.float32)
    reference = np.zeros_like(A)
    np.add.at(reference, index, values)
    out = b.scatter_add(b.zeros(A.shape, lucid.float32), native, b.asarray(values))
    np.testing.assert_allclose(b.to_numpy(out), reference, rtol=1e-6, atol=1e-6)


def test_scatter_add_accumulates_many_repeats_accurately(b):
    rng = np.random.default_rng(1)
    targets = rng.integers(0, 3, size=20000)
    values = rng.standard_normal(20000).astype(np.float32)
    reference = np.zeros(3)
    np.add.at(reference, targets, values.astype(np.float64))
    out = b.scatter_add(b.zeros((3,), lucid.float32), b.asarray(targets), b.asarray(values))
    np.testing.assert_allclose(b.to_numpy(out), reference, rtol=1e-6, atol=1e-4)


def test_scatter_add_broadcasts_values_into_a_basic_index(b):
    out = b.scatter_add(b.zeros((3, 4), lucid.float32), (slice(None), slice(1, 3)),
                        b.asarray(np.array([1.0, 2.0], dtype=np.float32)))
    expected = np.zeros((3, 4), np.float32)
    expected[:, 1:3] += [1.0, 2.0]
    np.testing.assert_array_equal(b.to_numpy(out), expected)


def test_out_of_bounds_index_array_is_an_index_error(b):
    with pytest.raises(IndexError, match="axis 1 with size 5"):
        b.getitem(b.asarray(A), (slice(None), b.asarray(np.array([0, 5]))))


def test_tensor_indexing_gradient_accumulates_repeats():
    x = lucid.tensor(np.arange(6.0).reshape(2, 3), backend=BACKEND, requires_grad=True)
    rows = lucid.tensor(np.array([0, 1, 0]), backend=BACKEND)
    cols = lucid.tensor(np.array([2, 0, 2]), backend=BACKEND)
    x[rows, cols].sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), [[0, 0, 2], [1, 0, 0]])


# ------------------------------------------------------ promotion and math
_DTYPES = ["bool", "uint8", "int32", "int64", "float32", "float64"]


@pytest.mark.parametrize("left", _DTYPES)
@pytest.mark.parametrize("right", _DTYPES + ["py-bool", "py-int", "py-float"])
def test_binary_promotion_matches_numpy(b, left, right):
    x = np.array([1, 0, 3], dtype=left)
    if right.startswith("py-"):
        y = {"py-bool": True, "py-int": 2, "py-float": 0.5}[right]
        y_native = y
    else:
        y = np.array([2, 1, 1], dtype=right)
        y_native = b.asarray(y)
    expected = np.multiply(x, y)
    got = b.multiply(b.asarray(x), y_native)
    assert b.dtype_of(got).name == expected.dtype.name
    np.testing.assert_array_equal(b.to_numpy(got), expected)


def test_scalar_first_operands_and_integer_division(b):
    x = np.array([1.0, 2.0, 4.0], dtype=np.float32)
    np.testing.assert_allclose(b.to_numpy(b.divide(1.0, b.asarray(x))), 1.0 / x)
    ints = np.array([1, 2, 7])
    got = b.divide(b.asarray(ints), 2)
    assert b.dtype_of(got) == lucid.float64
    np.testing.assert_allclose(b.to_numpy(got), ints / 2)
    np.testing.assert_allclose(b.to_numpy(b.subtract(3, b.asarray(x))), 3 - x)


@pytest.mark.parametrize("fn", ["exp", "log", "sqrt", "tanh"])
def test_float_only_functions_promote_integers_like_numpy(b, fn):
    ints = np.array([1, 2, 3], dtype=np.int64)
    got = getattr(b, fn)(b.asarray(ints))
    expected = getattr(np, fn)(ints)
    assert b.dtype_of(got).name == expected.dtype.name
    np.testing.assert_allclose(b.to_numpy(got), expected, rtol=1e-12)


def test_reductions_of_bools_and_argmax_keepdims(b):
    mask = np.array([[True, False, True], [False, False, True]])
    assert int(b.to_numpy(b.sum(b.asarray(mask), None, False))) == 3
    np.testing.assert_array_equal(b.to_numpy(b.max(b.asarray(mask), (1,), False)), [True, True])
    x = np.array([[3.0, 9.0, 1.0], [7.0, 2.0, 8.0]])
    got = b.argmax(b.asarray(x), 1, True)
    assert b.dtype_of(got) == lucid.int64
    np.testing.assert_array_equal(b.to_numpy(got), np.argmax(x, axis=1)[:, None])


def test_pad_matches_numpy(b):
    x = np.arange(12, dtype=np.float32).reshape(1, 3, 4)
    widths = ((0, 0), (2, 1), (0, 3))
    got = b.to_numpy(b.pad(b.asarray(x), widths, -1.5))
    np.testing.assert_array_equal(got, np.pad(x, widths, constant_values=-1.5))


# ----------------------------------------------------- host transfer, dtypes
def test_host_round_trip_copies(b):
    host = np.arange(6, dtype=np.float32).reshape(2, 3)
    native = b.asarray(host)
    host[0, 0] = 100.0  # the backend array must not alias the caller's NumPy array
    back = b.to_numpy(native)
    assert back[0, 0] == 0.0
    back[1, 1] = -1.0  # nor may the returned NumPy array alias the backend array
    assert b.to_numpy(native)[1, 1] == 4.0
    assert b.to_numpy(b.asarray([[1, 2]])).dtype == np.int64
    assert b.to_numpy(b.asarray([True])).dtype == np.bool_


def test_missing_dtype_is_refused_with_a_clear_error(b):
    if "float16" in b._native:
        pytest.skip("this array library provides float16")
    with pytest.raises(TypeError, match="float16"):
        b.zeros((2,), lucid.float16)
    with pytest.raises(TypeError, match="float16"):
        b.asarray(np.zeros(2, dtype=np.float16))


def test_random_numbers_are_seeded(b):
    b.seed(3)
    first = b.to_numpy(b.random_normal((4,), lucid.float32))
    b.seed(3)
    np.testing.assert_array_equal(b.to_numpy(b.random_normal((4,), lucid.float32)), first)
    u = b.to_numpy(b.random_uniform((1000,), -2.0, 3.0, lucid.float64))
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.2


# ------------------------------------------------------------ configuration
def test_another_namespace_in_process():
    from lucid_array_api import ArrayAPIBackend

    lucid.backends.register_backend("numpy_via_array_api", lambda: ArrayAPIBackend("numpy"))
    try:
        x = lucid.tensor([[1.0, -2.0], [3.0, 4.0]], backend="numpy_via_array_api",
                         requires_grad=True)
        assert isinstance(x.data, np.ndarray)
        (x.relu() * x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), [[2.0, 0.0], [6.0, 8.0]])
    finally:
        lucid.backends.unregister_backend("numpy_via_array_api")


def test_unimportable_namespace_is_reported_and_isolated():
    code = (
        "import lucid\n"
        "s = lucid.backends.available()\n"
        "assert not s['array_api'].available\n"
        "assert 'no_such_array_lib' in s['array_api'].reason, s['array_api'].reason\n"
        "assert s['numpy'].available\n"
        "print(lucid.ones(2).sum().item())\n"
    )
    env = dict(os.environ, LUCID_ARRAY_API_NAMESPACE="no_such_array_lib")
    env.pop("LUCID_RAISE_PLUGIN_ERRORS", None)
    done = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "2.0"


def test_declares_the_interface_version_it_implements():
    from lucid_array_api import ArrayAPIBackend

    assert ArrayAPIBackend.api_version == 2 == lucid.backends.API_VERSION
