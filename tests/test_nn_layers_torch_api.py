"""The PyTorch-named layers without PyTorch: shapes, state-dict names, gradients that must be
zero, running statistics, and the errors bad arguments raise (naming argument and value).

Values against PyTorch itself are in tests/parity/test_layers_parity.py; values and
gradients against NumPy on every backend are conformance-kit cases.
"""

from __future__ import annotations

import numpy as np
import pytest

import lucid
import lucid.nn as nn
import lucid.nn.functional as F


def test_new_modules_give_pytorch_shapes_and_parameter_names() -> None:
    x = lucid.randn(2, 4, 6, 6)
    cases = [
        (nn.Conv1d(4, 6, 3, padding=1), lucid.randn(2, 4, 9), (2, 6, 9), ["weight", "bias"]),
        (nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1, output_padding=1), x, (2, 3, 12, 12),
         ["weight", "bias"]),
        (nn.LayerNorm(6), x, (2, 4, 6, 6), ["weight", "bias"]),
        (nn.GroupNorm(2, 4), x, (2, 4, 6, 6), ["weight", "bias"]),
        (nn.InstanceNorm2d(4), x, (2, 4, 6, 6), []),
        (nn.PReLU(4), x, (2, 4, 6, 6), ["weight"]),
        (nn.Upsample(scale_factor=2, mode="bilinear"), x, (2, 4, 12, 12), []),
        (nn.AdaptiveMaxPool2d((None, 2)), x, (2, 4, 6, 2), []),
        (nn.AdaptiveAvgPool2d((3, None)), x, (2, 4, 3, 6), []),
        (nn.MaxPool2d(3, 2, ceil_mode=True), x, (2, 4, 3, 3), []),
        (nn.AvgPool2d(3, 2, 1, ceil_mode=True, count_include_pad=False), x, (2, 4, 4, 4), []),
        (nn.Unflatten(1, (2, 2)), x, (2, 2, 2, 6, 6), []),
        (nn.Dropout2d(0.5), x, (2, 4, 6, 6), []),
    ]
    for module, inp, shape, names in cases:
        assert module(inp).shape == shape, module
        assert [n for n, _ in module.named_parameters()] == names, module


def test_instance_norm_running_statistics() -> None:
    """Training blends the batch-averaged instance mean and unbiased variance; eval uses them."""
    layer = nn.InstanceNorm2d(3, momentum=0.5, track_running_stats=True)
    assert [n for n, _ in layer.named_buffers()] == ["running_mean", "running_var",
                                                     "num_batches_tracked"]
    x = np.random.default_rng(0).standard_normal((4, 3, 5, 5))
    layer(lucid.tensor(x, dtype="float32"))
    np.testing.assert_allclose(layer.running_mean.numpy(), 0.5 * x.mean(axis=(2, 3)).mean(0),
                               rtol=1e-5, atol=1e-6)
    np.testing.assert_allclose(layer.running_var.numpy(),
                               0.5 + 0.5 * x.var(axis=(2, 3), ddof=1).mean(0), rtol=1e-5)
    layer.eval()
    y = layer(lucid.tensor(x, dtype="float32")).numpy()
    rm, rv = layer.running_mean.numpy(), layer.running_var.numpy()
    expected = (x - rm[:, None, None]) / np.sqrt(rv[:, None, None] + 1e-5)
    np.testing.assert_allclose(y, expected, rtol=1e-4, atol=1e-5)


def test_embedding_gradient_reaches_only_used_rows_and_never_the_padding_row() -> None:
    emb = nn.Embedding(6, 2, padding_idx=1)
    assert emb.weight.numpy()[1].tolist() == [0.0, 0.0]
    emb(lucid.tensor([[0, 1, 1, 4], [4, 4, 1, 0]])).sum().backward()
    np.testing.assert_array_equal(emb.weight.grad.numpy()[:, 0], [2, 0, 0, 0, 3, 0])


def test_dropout2d_keeps_or_zeroes_whole_channels() -> None:
    lucid.manual_seed(1)
    y = F.dropout2d(lucid.ones(4, 8, 3, 3), 0.5).numpy().reshape(4, 8, 9)
    assert (y.min(-1) == y.max(-1)).all() and set(np.unique(y)) <= {0.0, 2.0}
    z = F.dropout2d(lucid.ones(6, 8, 5), 0.5).numpy()  # 3-D: (N, C, L), as PyTorch 2
    assert (z.min(-1) == z.max(-1)).all() and (z[:, :, 0].min(1) != z[:, :, 0].max(1)).any()


def test_parameter_containers() -> None:
    plist = nn.ParameterList([lucid.zeros(2), nn.Parameter(lucid.ones(3))])
    plist.append(lucid.zeros(1))
    assert len(plist) == 3 and isinstance(plist[0], nn.Parameter) and plist[-1].shape == (1,)
    assert list(plist.state_dict()) == ["0", "1", "2"]
    pdict = nn.ParameterDict({"scale": lucid.ones(2)})
    pdict["shift"] = nn.Parameter(lucid.zeros(2))
    assert list(pdict.keys()) == ["scale", "shift"] and "shift" in pdict
    assert list(pdict.state_dict()) == ["scale", "shift"]
    assert pdict.pop("scale").shape == (2,) and list(pdict) == ["shift"]
    with pytest.raises(TypeError, match="ParameterList holds"):
        plist.append(3.0)
    with pytest.raises(KeyError, match="'missing'"):
        pdict["missing"]


def test_modules_have_pytorch_defaults() -> None:
    assert nn.InstanceNorm2d(3).weight is None and nn.InstanceNorm2d(3).running_mean is None
    assert nn.LeakyReLU().negative_slope == 0.01
    assert nn.Softplus().beta == 1.0 and nn.Softplus().threshold == 20.0
    assert nn.ELU().alpha == 1.0 and nn.GELU().approximate == "none"
    assert nn.PReLU().weight.tolist() == [0.25]
    assert nn.Conv2d(1, 1, 3).padding_mode == "zeros"


@pytest.mark.parametrize("call, error, match", [
    (lambda: nn.Conv2d(1, 1, 3, padding_mode="mirror"), ValueError, "padding_mode.*'mirror'"),
    (lambda: nn.ConvTranspose2d(1, 1, 3, stride=2, output_padding=2), ValueError,
     "output_padding"),
    (lambda: F.pad(lucid.zeros(1, 2, 3), (3, 0), "reflect"), ValueError,
     "less than the axis length 3"),
    (lambda: F.pad(lucid.zeros(1, 2, 3), (1, 0), "wrap"), ValueError, "mode.*'wrap'"),
    (lambda: F.embedding(lucid.tensor([0, 7]), lucid.zeros(5, 2)), IndexError,
     "index 7 is out of range for 5"),
    (lambda: F.interpolate(lucid.zeros(1, 1, 2, 2), size=3, scale_factor=2), ValueError,
     "exactly one of size and scale_factor"),
    (lambda: F.interpolate(lucid.zeros(1, 1, 2, 2), size=3, mode="bicubic"), ValueError,
     "'bicubic'"),
    (lambda: nn.GroupNorm(3, 4), ValueError, "num_channels=4 must be divisible by num_groups=3"),
    (lambda: F.layer_norm(lucid.zeros(2, 3), (4,)), ValueError, r"normalized_shape \(4,\)"),
    (lambda: F.batch_norm(lucid.zeros(1, 3), None, None, training=True), ValueError,
     r"more than 1 value per channel when training, got input size \(1, 3\)"),
    (lambda: F.instance_norm(lucid.zeros(2, 3, 1, 1)), ValueError,
     "more than 1 spatial element"),
    (lambda: F.avg_pool2d(lucid.zeros(1, 1, 5, 5), 2, padding=2), ValueError,
     r"padding \(2, 2\) must be at most half the kernel size \(2, 2\)"),
    (lambda: F.max_pool2d(lucid.zeros(1, 1, 5, 5), 3, padding=2), ValueError,
     r"padding \(2, 2\) must be at most half"),
    (lambda: nn.AdaptiveMaxPool2d((-1, 2)), ValueError, "output_size"),
    (lambda: nn.Unflatten(1, (2, 2))(lucid.zeros(2, 5)), ValueError, "axis 1 of size 5"),
    (lambda: F.prelu(lucid.zeros(2, 3), lucid.zeros(4)), ValueError, "weight has 4 entries"),
    (lambda: F.gelu(lucid.zeros(2), approximate="fast"), ValueError, "approximate.*'fast'"),
])
def test_bad_arguments_name_the_argument_and_the_value(call, error, match) -> None:
    with pytest.raises(error, match=match):
        call()
