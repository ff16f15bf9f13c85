"""Independent NumPy references for lucid's layers beyond the core kit (activations,
normalisations, embedding, 1-D and transposed convolution, padding modes, PyTorch's pooling
options, interpolation).

Like :mod:`lucid.testing.numpy_math` they favour plain loops over speed and share no code
with lucid's implementations.
"""

from __future__ import annotations

import math

import numpy as np

Pair = tuple[int, int]

_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


# ------------------------------------------------------------------ activations
def gelu(x: np.ndarray, approximate: str = "none") -> np.ndarray:
    """``x * Phi(x)``, through ``math.erf``, or the tanh approximation."""
    if approximate == "tanh":
        return 0.5 * x * (1 + np.tanh(math.sqrt(2 / math.pi) * (x + 0.044715 * x ** 3)))
    return x * 0.5 * (1 + np.vectorize(math.erf)(x / math.sqrt(2)))


def softplus(x: np.ndarray, beta: float = 1.0, threshold: float = 20.0) -> np.ndarray:
    """``log1p(exp(beta x)) / beta``, linear above the threshold."""
    return np.where(beta * x > threshold, x, np.log1p(np.exp(beta * x)) / beta)


def silu(x: np.ndarray) -> np.ndarray:
    return x / (1 + np.exp(-x))


def mish(x: np.ndarray) -> np.ndarray:
    return x * np.tanh(np.log1p(np.exp(x)))


def leaky_relu(x: np.ndarray, slope: float = 0.01) -> np.ndarray:
    return np.where(x > 0, x, slope * x)


def elu(x: np.ndarray, alpha: float = 1.0) -> np.ndarray:
    return np.where(x > 0, x, alpha * np.expm1(x))


def selu(x: np.ndarray) -> np.ndarray:
    return _SELU_SCALE * elu(x, _SELU_ALPHA)


def hardswish(x: np.ndarray) -> np.ndarray:
    return x * np.minimum(np.maximum(x + 3, 0), 6) / 6


def hardsigmoid(x: np.ndarray) -> np.ndarray:
    return np.minimum(np.maximum(x + 3, 0), 6) / 6


def prelu(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Per-channel (axis 1) slopes, or one shared."""
    if w.size > 1:
        w = w.reshape((1, -1) + (1,) * (x.ndim - 2))
    return np.where(x > 0, x, w * x)


# ---------------------------------------------------------------- normalisation
def layer_norm(x: np.ndarray, k: int, w: np.ndarray | None, b: np.ndarray | None,
               eps: float = 1e-5) -> np.ndarray:
    """Normalise over the last ``k`` axes."""
    axes = tuple(range(x.ndim - k, x.ndim))
    y = (x - x.mean(axis=axes, keepdims=True)) / np.sqrt(x.var(axis=axes, keepdims=True) + eps)
    if w is not None:
        y = y * w
    if b is not None:
        y = y + b
    return y


def group_norm(x: np.ndarray, groups: int, w: np.ndarray | None, b: np.ndarray | None,
               eps: float = 1e-5) -> np.ndarray:
    """Normalise each group of channels of each sample."""
    n, c = x.shape[:2]
    out = np.empty_like(x)
    per = c // groups
    for i in range(n):
        for g in range(groups):
            block = x[i, g * per:(g + 1) * per]
            out[i, g * per:(g + 1) * per] = (block - block.mean()) / np.sqrt(block.var() + eps)
    shape = (1, c) + (1,) * (x.ndim - 2)
    if w is not None:
        out = out * w.reshape(shape)
    if b is not None:
        out = out + b.reshape(shape)
    return out


def instance_norm(x: np.ndarray, w: np.ndarray | None, b: np.ndarray | None,
                  eps: float = 1e-5) -> np.ndarray:
    """Group norm with one channel per group."""
    return group_norm(x, x.shape[1], w, b, eps)


# ----------------------------------------------------------------- convolution
def conv1d(x: np.ndarray, w: np.ndarray, stride: int = 1, padding: int = 0,
           dilation: int = 1, groups: int = 1) -> np.ndarray:
    """Direct 1-D cross-correlation."""
    n, c, length = x.shape
    o, cg, k = w.shape
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding)))
    lo = (length + 2 * padding - dilation * (k - 1) - 1) // stride + 1
    out = np.zeros((n, o, lo))
    per = o // groups
    for oc in range(o):
        g = oc // per
        for i in range(lo):
            start = i * stride
            taps = xp[:, g * cg:(g + 1) * cg, start:start + dilation * (k - 1) + 1:dilation]
            out[:, oc, i] = (taps * w[oc]).sum(axis=(1, 2))
    return out


def conv_transpose2d(x: np.ndarray, w: np.ndarray, stride: Pair, padding: Pair,
                     output_padding: Pair, dilation: Pair, groups: int) -> np.ndarray:
    """Scatter each input pixel times the kernel into the (cropped) output."""
    n, c, h, wd = x.shape
    _, og, kh, kw = w.shape
    (sh, sw), (ph, pw), (oph, opw), (dh, dw) = stride, padding, output_padding, dilation
    full_h = (h - 1) * sh + dh * (kh - 1) + 1 + oph
    full_w = (wd - 1) * sw + dw * (kw - 1) + 1 + opw
    out = np.zeros((n, og * groups, full_h, full_w))
    cg = c // groups
    for ci in range(c):
        g = ci // cg
        for i in range(h):
            for j in range(wd):
                for a in range(kh):
                    for bb in range(kw):
                        out[:, g * og:(g + 1) * og, i * sh + a * dh, j * sw + bb * dw] += \
                            x[:, ci, i, j][:, None] * w[ci, :, a, bb][None, :]
    return out[:, :, ph:full_h - ph, pw:full_w - pw]


def pad(x: np.ndarray, amounts: tuple[int, ...], mode: str, value: float = 0.0) -> np.ndarray:
    """PyTorch's ``pad`` (last axis first) through ``np.pad``'s modes."""
    widths = [(0, 0)] * x.ndim
    for k in range(len(amounts) // 2):
        widths[x.ndim - 1 - k] = (amounts[2 * k], amounts[2 * k + 1])
    if mode == "constant":
        return np.pad(x, widths, constant_values=value)
    if mode == "reflect":
        return np.pad(x, widths, mode="reflect")
    return np.pad(x, widths, mode="edge" if mode == "replicate" else "wrap")


# --------------------------------------------------------------------- pooling
def _pool_out(size: int, k: int, s: int, p: int, d: int, ceil_mode: bool) -> int:
    span = d * (k - 1) + 1
    if ceil_mode:
        o = math.ceil((size + 2 * p - span) / s) + 1
        if (o - 1) * s >= size + p:
            o -= 1
        return o
    return (size + 2 * p - span) // s + 1


def max_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, dilation: Pair,
               ceil_mode: bool) -> tuple[np.ndarray, np.ndarray]:
    """Max over each (dilated) window inside the input, and its flat index ``row * W + col``."""
    n, c, h, w = x.shape
    ho = _pool_out(h, kernel[0], stride[0], padding[0], dilation[0], ceil_mode)
    wo = _pool_out(w, kernel[1], stride[1], padding[1], dilation[1], ceil_mode)
    out = np.full((n, c, ho, wo), -np.inf)
    idx = np.zeros((n, c, ho, wo), dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            for a in range(kernel[0]):
                r = i * stride[0] - padding[0] + a * dilation[0]
                if not 0 <= r < h:
                    continue
                for b in range(kernel[1]):
                    col = j * stride[1] - padding[1] + b * dilation[1]
                    if not 0 <= col < w:
                        continue
                    v = x[:, :, r, col]
                    better = v > out[:, :, i, j]
                    out[:, :, i, j] = np.where(better, v, out[:, :, i, j])
                    idx[:, :, i, j] = np.where(better, r * w + col, idx[:, :, i, j])
    return out, idx


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair, ceil_mode: bool,
               count_include_pad: bool, divisor_override: int | None) -> np.ndarray:
    """PyTorch's average pooling: windows clipped to the padded input, its divisor rules."""
    n, c, h, w = x.shape
    ho = _pool_out(h, kernel[0], stride[0], padding[0], 1, ceil_mode)
    wo = _pool_out(w, kernel[1], stride[1], padding[1], 1, ceil_mode)
    out = np.zeros((n, c, ho, wo))
    for i in range(ho):
        for j in range(wo):
            h0, w0 = i * stride[0] - padding[0], j * stride[1] - padding[1]
            h1, w1 = min(h0 + kernel[0], h + padding[0]), min(w0 + kernel[1], w + padding[1])
            size = (h1 - h0) * (w1 - w0)
            h0, w0, h1, w1 = max(h0, 0), max(w0, 0), min(h1, h), min(w1, w)
            total = x[:, :, h0:h1, w0:w1].sum(axis=(2, 3))
            if divisor_override is not None:
                div = divisor_override
            elif count_include_pad:
                div = size
            else:
                div = (h1 - h0) * (w1 - w0)
            out[:, :, i, j] = total / div
    return out


def adaptive_max_pool2d(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """Max over PyTorch's adaptive bins."""
    oh, ow = output_size
    h, w = x.shape[2:]
    out = np.empty(x.shape[:2] + (oh, ow))
    for i in range(oh):
        for j in range(ow):
            out[:, :, i, j] = x[:, :, (i * h) // oh:math.ceil((i + 1) * h / oh),
                                (j * w) // ow:math.ceil((j + 1) * w / ow)].max(axis=(2, 3))
    return out


# ------------------------------------------------------------------- sampling
def interpolate(x: np.ndarray, size: Pair, mode: str, align_corners: bool = False,
                scale: tuple[float, float] | None = None) -> np.ndarray:
    """Nearest, nearest-exact or bilinear resize of ``(N, C, H, W)`` to ``size``, one output
    pixel at a time (``linear`` on ``(N, C, L)`` is bilinear on ``(N, C, 1, L)``).

    ``scale`` is the given scale factor per axis (sampling step ``1/scale``), else in/out.
    """
    n, c, h, w = x.shape
    out = np.zeros((n, c) + tuple(size))

    def source(o: int, n_in: int, n_out: int, given: float | None) -> float:
        if mode == "bilinear" and align_corners:
            return o * (n_in - 1) / (n_out - 1) if n_out > 1 else 0.0
        step = 1 / given if given is not None else n_in / n_out
        if mode == "nearest":
            return float(min(math.floor(o * step), n_in - 1))
        if mode == "nearest-exact":
            return float(min(math.floor((o + 0.5) * step), n_in - 1))
        return max((o + 0.5) * step - 0.5, 0.0)

    for i in range(size[0]):
        si = source(i, h, size[0], None if scale is None else scale[0])
        for j in range(size[1]):
            sj = source(j, w, size[1], None if scale is None else scale[1])
            if mode in ("nearest", "nearest-exact"):
                out[:, :, i, j] = x[:, :, int(si), int(sj)]
                continue
            i0, j0 = min(int(math.floor(si)), h - 1), min(int(math.floor(sj)), w - 1)
            i1, j1 = min(i0 + 1, h - 1), min(j0 + 1, w - 1)
            a, b = si - i0, sj - j0
            out[:, :, i, j] = ((1 - a) * (1 - b) * x[:, :, i0, j0] + (1 - a) * b * x[:, :, i0, j1]
                               + a * (1 - b) * x[:, :, i1, j0] + a * b * x[:, :, i1, j1])
    return out
