# ruff: noqa: B023  (each lambda runs inside its own loop iteration, before the loop moves on)
"""Convolution and pooling arguments against PyTorch: lucid raises exactly where torch raises.

Each test draws a few thousand argument combinations (seeded, so every run tries the same
ones), mixing valid values with the ones an adversarial review found: zero or negative
strides, kernels and dilations, negative or too-large padding, groups that do not divide the
channels, kernels larger than the padded input, wrong ranks, floats and bools. For every
combination:

- torch raises ``TypeError`` -> lucid raises ``TypeError``;
- torch raises another error -> lucid raises ``ValueError`` or ``RuntimeError`` (lucid's
  :class:`~lucid.backends.geometry.GeometryError` is both) whose message names an argument or
  the input, never a bare ``ZeroDivisionError`` or ``IndexError``;
- torch succeeds -> lucid succeeds with the same shape and values (float64) and, for the
  functional forms, the same input gradient.

Modules are built and run on one input in both frameworks: lucid may refuse a layer already
when it is built (a stride of 0 can never run), PyTorch only in forward; both count as an
error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
import lucid.nn as nn  # noqa: E402
import lucid.nn.functional as F  # noqa: E402
from lucid.backends.geometry import GeometryError  # noqa: E402

pytestmark = pytest.mark.parity

TF = torch.nn.functional
CASES = 1500
#: words one of which a lucid argument error must contain (it names what was wrong)
NAMES = ("stride", "padding", "dilation", "kernel", "groups", "channels", "output_size",
         "divisor", "input", "weight", "bias", "output_padding", "too small")


def _pick(rng: np.random.Generator, options: list[Any]) -> Any:
    return options[int(rng.integers(len(options)))]


def _run(fn: Callable[[], Any]) -> tuple[Any, BaseException | None]:
    try:
        return fn(), None
    except Exception as e:  # noqa: BLE001 - the error itself is what is compared
        return None, e


def _outputs(value: Any) -> tuple[Any, ...]:
    return tuple(value) if isinstance(value, tuple) else (value,)


class Mismatches:
    """Collects every disagreement, so one run reports all of them at once."""

    def __init__(self) -> None:
        self.found: list[str] = []
        self.tried = 0
        self.errors = 0
        self.stricter: list[str] = []

    def check(self, label: str, ours: Callable[[], Any], theirs: Callable[[], Any],
              inputs: tuple[tuple[Any, Any], ...] = (), any_error: bool = False) -> None:
        """Run both; ``inputs`` are (lucid, torch) tensors whose gradients must agree;
        ``any_error``: an error of any class matches torch's (a layer built and run)."""
        self.tried += 1
        ref, ref_err = _run(theirs)
        got, err = _run(ours)
        if ref_err is not None:
            self.errors += 1
            if err is None:
                self.found.append(f"{label}: torch raises {type(ref_err).__name__} "
                                  f"({str(ref_err).splitlines()[0][:90]}) but lucid returns")
                return
            want: tuple[type[Exception], ...] = (TypeError,) \
                if isinstance(ref_err, TypeError) else (ValueError, RuntimeError)
            if any_error or (isinstance(ref_err, TypeError) and WRONG_LENGTH in label):
                # torch checks tuple lengths after every argument's type; lucid, parsing one
                # argument at a time, may report the length first: either error is right
                want = (TypeError, ValueError, RuntimeError)
            if not isinstance(err, want) or isinstance(err, (ZeroDivisionError, IndexError)):
                self.found.append(f"{label}: torch raises {type(ref_err).__name__}, lucid "
                                  f"{type(err).__name__}: {err}")
            elif not any(n in str(err) for n in NAMES):
                self.found.append(f"{label}: lucid's message names no argument: {err}")
            return
        if err is not None:
            if (isinstance(err, GeometryError) and any(0 in r.shape for r in _outputs(ref))) \
                    or (label.startswith("adaptive_avg_pool2d")
                        and label.endswith((", 1)", ", (1, 1))"))) \
                    or (isinstance(err, TypeError) and "True" in label):
                # PyTorch skips its checks on empty tensors (conv2d with dilation 0 and an
                # empty batch) and in its output-size-1 shortcut of adaptive average pooling
                # (any rank, empty axes: NaN); its layers take True for 1. lucid refuses all.
                self.stricter.append(f"{label}: {err}")
                return
            self.found.append(f"{label}: torch succeeds but lucid raises "
                              f"{type(err).__name__}: {err}")
            return
        for i, (g, r) in enumerate(zip(_outputs(got), _outputs(ref), strict=True)):
            g_np, r_np = g.detach().numpy(), r.detach().numpy()
            if g_np.shape != r_np.shape:
                self.found.append(f"{label}: output {i} shape {g_np.shape} != {r_np.shape}")
                return
            if not np.allclose(g_np, r_np, rtol=1e-9, atol=1e-10):
                self.found.append(f"{label}: output {i} values differ")
                return
        if not inputs or _outputs(got)[0].detach().numpy().size == 0 \
                or np.isinf(_outputs(got)[0].detach().numpy()).any():
            # (a max-pooling window that lies entirely in the padding gives -inf; PyTorch
            # then sends its gradient to an arbitrary element, which is not worth copying)
            return
        y, ry = _outputs(got)[0], _outputs(ref)[0]
        proj = np.random.default_rng(0).standard_normal(ry.shape)
        (y * lucid.tensor(proj)).sum().backward()
        (ry * torch.tensor(proj)).sum().backward()
        for k, (a, ta) in enumerate(inputs):
            if not np.allclose(a.grad.numpy(), ta.grad.numpy(), rtol=1e-9, atol=1e-10):
                self.found.append(f"{label}: gradient of input {k} differs")

    def assert_none(self, least_errors: int) -> None:
        shown = "\n".join(self.found[:25])
        assert len(self.stricter) <= self.tried // 20, self.stricter[:10]
        assert not self.found, f"{len(self.found)} of {self.tried} cases disagree:\n{shown}"
        # the draw must reach both sides: many errors and many successes
        assert self.errors >= least_errors and self.tried - self.errors >= least_errors, \
            (self.tried, self.errors)


def _pair_or_int(rng: np.random.Generator, values: list[Any]) -> Any:
    if rng.random() < 0.25:
        return (_pick(rng, values), _pick(rng, values))
    return _pick(rng, values)


WRONG_LENGTH = "(1, 1, 1)"
ODD = [1.5, 2.0, True, (1, 1, 1), (2,), [1, 2]]


def _arg(rng: np.random.Generator, values: list[Any], odd: float = 0.05) -> Any:
    return _pick(rng, ODD) if rng.random() < odd else _pair_or_int(rng, values)


def _tensors(rng: np.random.Generator, shape: tuple[int, ...], grad: bool = True
             ) -> tuple[Any, Any]:
    a = rng.standard_normal(shape)
    return (lucid.tensor(a, requires_grad=grad),
            torch.tensor(a, requires_grad=grad))


def test_conv2d_errors_where_torch_errors() -> None:
    rng = np.random.default_rng(2026)
    m = Mismatches()
    for _ in range(CASES):
        rank = _pick(rng, [4] * 8 + [3, 5])
        n, c, h, w = int(rng.integers(0, 3)), int(rng.integers(1, 5)), \
            int(rng.integers(1, 7)), int(rng.integers(1, 7))
        groups = _pick(rng, [1] * 6 + [2, 3, 0, -1, 1.0])
        g_ok = groups if isinstance(groups, int) and groups > 0 else 1
        cg = c // g_ok if rng.random() < 0.85 and c % g_ok == 0 else int(rng.integers(1, 4))
        o = g_ok * int(rng.integers(1, 3)) if rng.random() < 0.9 else int(rng.integers(1, 5))
        kh, kw = int(rng.integers(0, 5)) if rng.random() < 0.1 else int(rng.integers(1, 4)), \
            int(rng.integers(1, 4))
        shape = {4: (n, c, h, w), 3: (c, h, w), 5: (1, n, c, h, w)}[rank]
        stride = _arg(rng, [1, 1, 2, 3, 0, -1])
        padding = _pick(rng, ["same", "valid"]) if rng.random() < 0.1 \
            else _arg(rng, [0, 0, 1, 2, -1])
        dilation = _arg(rng, [1, 1, 1, 2, 0])
        bias = rng.random() < 0.5
        x, tx = _tensors(rng, shape)
        wt, twt = _tensors(rng, (o, cg, kh, kw))
        b, tb = _tensors(rng, (o if rng.random() < 0.95 else o + 1,)) if bias else (None, None)
        label = (f"conv2d(x{shape}, w{(o, cg, kh, kw)}, bias={bias}, stride={stride!r}, "
                 f"padding={padding!r}, dilation={dilation!r}, groups={groups!r})")
        m.check(label,
                lambda: F.conv2d(x, wt, b, stride, padding, dilation, groups),
                lambda: TF.conv2d(tx, twt, tb, stride, padding, dilation, groups),
                ((x, tx), (wt, twt)))
    m.assert_none(200)


def test_conv_transpose2d_errors_where_torch_errors() -> None:
    rng = np.random.default_rng(7)
    m = Mismatches()
    for _ in range(CASES // 2):
        n, c, h, w = int(rng.integers(1, 3)), _pick(rng, [1, 2, 4]), \
            int(rng.integers(1, 5)), int(rng.integers(1, 5))
        groups = _pick(rng, [1] * 5 + [2, 0])
        g_ok = groups if groups > 0 else 1
        og = int(rng.integers(1, 3))
        cin = c if rng.random() < 0.9 else c + 1
        k = (int(rng.integers(1, 4)), int(rng.integers(1, 4)))
        stride = _arg(rng, [1, 2, 2, 3, 0])
        padding = _arg(rng, [0, 0, 1, 2, -1])
        output_padding = _arg(rng, [0, 0, 0, 1, 2])
        dilation = _arg(rng, [1, 1, 1, 2, 0])
        x, tx = _tensors(rng, (n, c, h, w))
        wt, twt = _tensors(rng, (cin, og, *k))
        label = (f"conv_transpose2d(x{(n, c, h, w)}, w{(cin, og, *k)}, stride={stride!r}, "
                 f"padding={padding!r}, output_padding={output_padding!r}, "
                 f"dilation={dilation!r}, groups={groups!r}) [groups ok: {g_ok}]")
        m.check(label,
                lambda: F.conv_transpose2d(x, wt, None, stride, padding, output_padding,
                                           groups, dilation),
                lambda: TF.conv_transpose2d(tx, twt, None, stride, padding, output_padding,
                                            groups, dilation),
                ((x, tx), (wt, twt)))
    m.assert_none(100)


def _pool_input(rng: np.random.Generator) -> tuple[tuple[int, ...], Any, Any]:
    rank = _pick(rng, [4] * 8 + [3, 2])
    n, c, h, w = int(rng.integers(0, 3)), int(rng.integers(1, 3)), int(rng.integers(1, 8)), \
        int(rng.integers(1, 8))
    shape = {4: (n, c, h, w), 3: (c, h, w), 2: (h, w)}[rank]
    # distinct values: max pooling's argmax (and so its gradient) is then unique
    a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
    return shape, lucid.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)


def test_max_pool2d_errors_where_torch_errors() -> None:
    rng = np.random.default_rng(11)
    m = Mismatches()
    for _ in range(CASES):
        shape, x, tx = _pool_input(rng)
        kernel = _arg(rng, [1, 2, 3, 3, 4, 0])
        stride = None if rng.random() < 0.3 else _arg(rng, [1, 2, 3, 0])
        padding = _arg(rng, [0, 0, 1, 2, -1])
        dilation = _arg(rng, [1, 1, 2, 0])
        ceil_mode, indices = bool(rng.random() < 0.4), bool(rng.random() < 0.3)
        label = (f"max_pool2d(x{shape}, kernel_size={kernel!r}, stride={stride!r}, "
                 f"padding={padding!r}, dilation={dilation!r}, ceil_mode={ceil_mode}, "
                 f"return_indices={indices})")
        m.check(label,
                lambda: F.max_pool2d(x, kernel, stride, padding, dilation, ceil_mode, indices),
                lambda: TF.max_pool2d(tx, kernel, stride, padding, dilation, ceil_mode,
                                      indices),
                ((x, tx),))
    m.assert_none(200)


def test_avg_pool2d_errors_where_torch_errors() -> None:
    rng = np.random.default_rng(13)
    m = Mismatches()
    for _ in range(CASES):
        shape, x, tx = _pool_input(rng)
        kernel = _arg(rng, [1, 2, 3, 3, 4, 0])
        stride = None if rng.random() < 0.3 else _arg(rng, [1, 2, 3, 0])
        padding = _arg(rng, [0, 0, 1, 2, -1])
        ceil_mode, include = bool(rng.random() < 0.4), bool(rng.random() < 0.7)
        divisor = _pick(rng, [None] * 8 + [0, 1, 3, -2])
        label = (f"avg_pool2d(x{shape}, kernel_size={kernel!r}, stride={stride!r}, "
                 f"padding={padding!r}, ceil_mode={ceil_mode}, count_include_pad={include}, "
                 f"divisor_override={divisor!r})")
        m.check(label,
                lambda: F.avg_pool2d(x, kernel, stride, padding, ceil_mode, include, divisor),
                lambda: TF.avg_pool2d(tx, kernel, stride, padding, ceil_mode, include,
                                      divisor),
                ((x, tx),))
    m.assert_none(200)


def _output_size(rng: np.random.Generator) -> Any:
    r = rng.random()
    if r < 0.6:
        return _pick(rng, [0, 1, 2, 3, 4, 7, -1])
    if r < 0.95:
        return (_pick(rng, [0, 1, 2, 3, 5, None, -1]), _pick(rng, [1, 2, 4, 6, None]))
    return _pick(rng, [2.0, (1, 1, 1)])


@pytest.mark.parametrize("name", ["adaptive_avg_pool2d", "adaptive_max_pool2d"])
def test_adaptive_pool2d_errors_where_torch_errors(name: str) -> None:
    rng = np.random.default_rng(17)
    m = Mismatches()
    for _ in range(CASES // 3):
        rank = _pick(rng, [4] * 6 + [3, 2])
        n, c, h, w = int(rng.integers(0, 3)), int(rng.integers(0, 3)), int(rng.integers(0, 7)), \
            int(rng.integers(1, 7))
        shape = {4: (n, c, h, w), 3: (c, h, w), 2: (h, w)}[rank]
        a = rng.permutation(int(np.prod(shape))).reshape(shape).astype(np.float64)
        x, tx = lucid.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
        size = _output_size(rng)
        extra: tuple[Any, ...] = (bool(rng.random() < 0.3),) if "max" in name else ()
        label = f"{name}(x{shape}, {size!r}{', ' if extra else ''}{extra[0] if extra else ''})"
        m.check(label,
                lambda: getattr(F, name)(x, size, *extra),
                lambda: getattr(TF, name)(tx, size, *extra),
                ((x, tx),))
    m.assert_none(50)


def _module_case(m: Mismatches, label: str, build: Callable[[Any], Any], shape: tuple[int, ...]
                 ) -> None:
    a = np.random.default_rng(len(label)).standard_normal(shape)
    built: dict[str, Any] = {}

    def theirs() -> Any:
        built["torch"] = layer = build(torch.nn).double()
        return layer(torch.tensor(a))

    def ours() -> Any:  # (runs second: it copies the parameters of torch's layer)
        layer = build(nn)
        ref = built.get("torch")
        for name in ("weight", "bias"):
            if getattr(ref, name, None) is not None:
                setattr(layer, name, nn.Parameter(lucid.tensor(
                    getattr(ref, name).detach().numpy())))
        return layer(lucid.tensor(a))

    m.check(label, ours, theirs, any_error=True)


def test_layers_error_where_torch_errors() -> None:
    """Conv2d, MaxPool2d, AvgPool2d and AdaptiveAvgPool2d built and run on one input."""
    rng = np.random.default_rng(19)
    m = Mismatches()
    for _ in range(CASES // 3):
        shape = (1, 2, int(rng.integers(1, 7)), int(rng.integers(1, 7)))
        k = _arg(rng, [1, 2, 3, 0])
        s = _arg(rng, [1, 2, 0])
        p = _arg(rng, [0, 1, 2, -1])
        d = _arg(rng, [1, 2, 0])
        g = _pick(rng, [1, 1, 2, 3])
        out = _output_size(rng)
        _module_case(m, f"Conv2d(2, 4, {k!r}, {s!r}, {p!r}, {d!r}, groups={g}) on {shape}",
                     lambda mod: mod.Conv2d(2, 4, k, s, p, d, g), shape)
        _module_case(m, f"MaxPool2d({k!r}, {s!r}, {p!r}, {d!r}) on {shape}",
                     lambda mod: mod.MaxPool2d(k, s, p, d), shape)
        _module_case(m, f"AvgPool2d({k!r}, {s!r}, {p!r}) on {shape}",
                     lambda mod: mod.AvgPool2d(k, s, p), shape)
        _module_case(m, f"AdaptiveAvgPool2d({out!r}) on {shape}",
                     lambda mod: mod.AdaptiveAvgPool2d(out), shape)
    m.assert_none(100)
