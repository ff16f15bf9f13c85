"""Differential tests of lucid's ops against PyTorch (values and gradients, seeded inputs).

Each case names the expression once per framework and lets :func:`compare` run both on
the same inputs; float64 is compared tightly, float32 loosely.
"""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")

import lucid.nn.functional as F  # noqa: E402

from .compare import compare  # noqa: E402

pytestmark = pytest.mark.parity

TF = torch.nn.functional


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("name, ours, theirs, shapes, domain", [
    ("add", lambda a, b: a + b, lambda a, b: a + b, [(3, 4), (4,)], None),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, [(3, 1), (1, 4)], None),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, [(2, 3, 4), (3, 1)], None),
    ("div", lambda a, b: a / b, lambda a, b: a / b, [(3, 4), (3, 4)], (0.5, 2.0)),
    ("pow", lambda a, b: a ** b, lambda a, b: a ** b, [(3, 4), (3, 4)], (0.5, 2.0)),
    ("matmul", lambda a, b: a @ b, lambda a, b: a @ b, [(2, 3, 4), (4, 5)], None),
    ("exp", lambda a: a.exp(), lambda a: a.exp(), [(3, 4)], None),
    ("log", lambda a: a.log(), lambda a: a.log(), [(3, 4)], (0.1, 3.0)),
    ("sqrt", lambda a: a.sqrt(), lambda a: a.sqrt(), [(3, 4)], (0.1, 3.0)),
    ("tanh", lambda a: a.tanh(), lambda a: a.tanh(), [(3, 4)], None),
    ("sigmoid", lambda a: a.sigmoid(), lambda a: a.sigmoid(), [(3, 4)], None),
    ("relu", lambda a: a.relu(), lambda a: a.relu(), [(3, 4)], None),
    ("sum", lambda a: a.sum(1), lambda a: a.sum(1), [(3, 4)], None),
    ("mean_keepdim", lambda a: a.mean(0, keepdim=True), lambda a: a.mean(0, keepdim=True),
     [(3, 4)], None),
    ("max_all", lambda a: a.max(), lambda a: a.max(), [(3, 4)], None),
    ("softmax", lambda a: a.softmax(1), lambda a: a.softmax(1), [(3, 4)], None),
    ("log_softmax", lambda a: a.log_softmax(-1), lambda a: a.log_softmax(-1), [(3, 4)], None),
    ("transpose", lambda a: a.transpose(0, 1), lambda a: a.transpose(0, 1), [(3, 4)], None),
    ("reshape", lambda a: a.reshape(4, 3), lambda a: a.reshape(4, 3), [(3, 4)], None),
    ("getitem", lambda a: a[1:, ::2], lambda a: a[1:, ::2], [(3, 4)], None),
    ("linear", F.linear, TF.linear, [(2, 3), (4, 3), (4,)], None),
    ("conv2d", lambda x, w: F.conv2d(x, w, padding=1, stride=2),
     lambda x, w: TF.conv2d(x, w, padding=1, stride=2), [(2, 3, 7, 6), (4, 3, 3, 3)], None),
])
def test_op_matches_pytorch(name, ours, theirs, shapes, domain, dtype) -> None:
    """The op's values and gradients equal PyTorch's on the same seeded inputs."""
    low, high = domain if domain else (None, None)
    compare(ours, theirs, shapes, dtype=dtype, low=low, high=high)


@pytest.mark.parametrize("dtype", ["float64", "float32"])
@pytest.mark.parametrize("x_shape, w_shape, kw", [
    ((2, 512, 7, 7), (512, 512, 3, 3), dict(padding=1)),
    ((2, 1024, 8, 8), (2048, 512, 1, 1), dict(stride=2, groups=2)),
], ids=["3x3", "1x1-strided-grouped"])
def test_deep_layer_conv_matches_pytorch(x_shape, w_shape, kw, dtype) -> None:
    """Deep-layer convolutions, whose weight is larger than the NumPy backend's cache block
    (its weight gradient is then blocked by input channels): values and gradients equal
    PyTorch's. Sums of 4608 products: float32 within 1e-4 of the outputs' scale."""
    loose = {} if dtype == "float64" else dict(rtol=1e-4, atol=1e-3)
    compare(lambda x, w: F.conv2d(x, w, **kw), lambda x, w: TF.conv2d(x, w, **kw),
            [x_shape, w_shape], dtype=dtype, **loose)
