"""Independent NumPy implementations of lucid's neural-network operations.

The conformance kit compares every backend against these. They are written for clarity, not
speed (explicit loops over output positions), and share no code with lucid's own kernels, so
an error in a kernel cannot hide behind the same error in its reference.
"""

from __future__ import annotations

import math

import numpy as np

Pair = tuple[int, int]


def _out_len(size: int, k: int, s: int, p: int, d: int = 1) -> int:
    """Length of a sliding-window output along one axis."""
    return (size + 2 * p - d * (k - 1) - 1) // s + 1


def conv2d(x: np.ndarray, w: np.ndarray, bias: np.ndarray | None = None,
           stride: Pair = (1, 1), padding: Pair = (0, 0), dilation: Pair = (1, 1),
           groups: int = 1) -> np.ndarray:
    """Direct 2-D cross-correlation, NCHW input, ``(O, C/groups, kh, kw)`` weight."""
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    (sh, sw), (ph, pw), (dh, dw) = stride, padding, dilation
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = _out_len(h, kh, sh, ph, dh), _out_len(wd, kw, sw, pw, dw)
    out = np.zeros((n, o, ho, wo), dtype=np.float64)
    per_group = o // groups
    for oc in range(o):
        g = oc // per_group
        xs = xp[:, g * cg:(g + 1) * cg]
        for i in range(ho):
            for j in range(wo):
                patch = xs[:, :, i * sh:i * sh + dh * (kh - 1) + 1:dh,
                           j * sw:j * sw + dw * (kw - 1) + 1:dw]
                out[:, oc, i, j] = np.sum(patch * w[oc], axis=(1, 2, 3))
    if bias is not None:
        out += bias.reshape(1, -1, 1, 1)
    return out


def conv2d_same(x: np.ndarray, w: np.ndarray, dilation: Pair = (1, 1)) -> np.ndarray:
    """Stride-1 convolution whose output keeps the input size (extra padding bottom/right)."""
    pads = []
    for k, d in zip(w.shape[2:], dilation):
        total = d * (k - 1)
        pads.append((total // 2, total - total // 2))
    xp = np.pad(x, ((0, 0), (0, 0), pads[0], pads[1]))
    return conv2d(xp, w, dilation=dilation)


def max_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """Max over each window; padding never wins (it is minus infinity)."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)), constant_values=-np.inf)
    ho, wo = _out_len(x.shape[2], kh, sh, ph), _out_len(x.shape[3], kw, sw, pw)
    out = np.empty(x.shape[:2] + (ho, wo), dtype=np.float64)
    for i in range(ho):
        for j in range(wo):
            out[:, :, i, j] = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw].max(axis=(2, 3))
    return out


def avg_pool2d(x: np.ndarray, kernel: Pair, stride: Pair, padding: Pair) -> np.ndarray:
    """Mean over each window, zero padding counted in the divisor."""
    (kh, kw), (sh, sw), (ph, pw) = kernel, stride, padding
    xp = np.pad(x, ((0, 0), (0, 0), (ph, ph), (pw, pw)))
    ho, wo = _out_len(x.shape[2], kh, sh, ph), _out_len(x.shape[3], kw, sw, pw)
    out = np.empty(x.shape[:2] + (ho, wo), dtype=np.float64)
    for i in range(ho):
        for j in range(wo):
            window = xp[:, :, i * sh:i * sh + kh, j * sw:j * sw + kw]
            out[:, :, i, j] = window.sum(axis=(2, 3)) / (kh * kw)
    return out


def adaptive_avg_pool2d(x: np.ndarray, output_size: Pair) -> np.ndarray:
    """Average over bins ``[floor(i*H/oh), ceil((i+1)*H/oh))`` (PyTorch's bin boundaries)."""
    oh, ow = output_size
    h, w = x.shape[2:]
    out = np.empty(x.shape[:2] + (oh, ow), dtype=np.float64)
    for i in range(oh):
        h0, h1 = (i * h) // oh, math.ceil((i + 1) * h / oh)
        for j in range(ow):
            w0, w1 = (j * w) // ow, math.ceil((j + 1) * w / ow)
            out[:, :, i, j] = x[:, :, h0:h1, w0:w1].mean(axis=(2, 3))
    return out


def batch_norm_train(x: np.ndarray, weight: np.ndarray | None, bias: np.ndarray | None,
                     eps: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Normalise with batch statistics; returns ``(y, mean, biased variance)`` per channel."""
    axes = (0,) + tuple(range(2, x.ndim))
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    mean = x.mean(axis=axes)
    var = x.var(axis=axes)
    y = (x - mean.reshape(shape)) / np.sqrt(var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y, mean, var


def batch_norm_eval(x: np.ndarray, running_mean: np.ndarray, running_var: np.ndarray,
                    weight: np.ndarray | None, bias: np.ndarray | None,
                    eps: float) -> np.ndarray:
    """Normalise with fixed running statistics."""
    shape = (1, x.shape[1]) + (1,) * (x.ndim - 2)
    y = (x - running_mean.reshape(shape)) / np.sqrt(running_var.reshape(shape) + eps)
    if weight is not None:
        y = y * weight.reshape(shape)
    if bias is not None:
        y = y + bias.reshape(shape)
    return y


def log_softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``x - logsumexp(x)`` along ``axis``, shifted by the maximum for stability."""
    shifted = x - x.max(axis=axis, keepdims=True)
    return shifted - np.log(np.exp(shifted).sum(axis=axis, keepdims=True))


def softmax(x: np.ndarray, axis: int) -> np.ndarray:
    """``exp(x) / sum(exp(x))`` along ``axis``, shifted by the maximum for stability."""
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def reduce(loss: np.ndarray, reduction: str) -> np.ndarray:
    """Apply a loss reduction: ``"mean"``, ``"sum"`` or ``"none"``."""
    if reduction == "mean":
        return np.asarray(loss.mean())
    if reduction == "sum":
        return np.asarray(loss.sum())
    return loss


def cross_entropy(logits: np.ndarray, target: np.ndarray, label_smoothing: float = 0.0,
                  reduction: str = "mean") -> np.ndarray:
    """Cross-entropy against the smoothed target ``(1-eps)*onehot + eps/C``."""
    n, c = logits.shape
    onehot = np.zeros((n, c))
    onehot[np.arange(n), target] = 1.0
    q = (1.0 - label_smoothing) * onehot + label_smoothing / c
    return reduce(-(q * log_softmax(logits, 1)).sum(axis=1), reduction)


def nll_loss(log_probs: np.ndarray, target: np.ndarray, reduction: str = "mean") -> np.ndarray:
    """Negative log-likelihood of the target classes."""
    return reduce(-log_probs[np.arange(log_probs.shape[0]), target], reduction)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Logistic function."""
    return 1.0 / (1.0 + np.exp(-x))


def erf(x: np.ndarray) -> np.ndarray:
    """The error function, element by element with Python's ``math.erf``."""
    return np.vectorize(math.erf, otypes=[np.float64])(x)


# ------------------------------------------------------------------------- losses
def _class_last(x: np.ndarray) -> np.ndarray:
    """Move the class axis (1, or 0 for an unbatched input) to the end."""
    return x if x.ndim == 1 else np.moveaxis(x, 1, -1)


def nll_loss_full(log_probs: np.ndarray, target: np.ndarray, weight: np.ndarray | None = None,
                  ignore_index: int = -100, reduction: str = "mean") -> np.ndarray:
    """NLL over ``(N, C, d...)``/``(C,)`` inputs, one loop per element, PyTorch's weighting."""
    lp = _class_last(log_probs)
    c = lp.shape[-1]
    w = np.ones(c) if weight is None else weight
    losses = np.zeros(target.shape)
    weights = np.zeros(target.shape)
    for idx in np.ndindex(target.shape):
        k = int(target[idx])
        if k != ignore_index:
            weights[idx] = w[k]
            losses[idx] = -w[k] * lp[idx + (k,)]
    if reduction == "mean":
        return np.asarray(losses.sum() / weights.sum())
    return reduce(losses, reduction)


def cross_entropy_full(logits: np.ndarray, target: np.ndarray,
                       weight: np.ndarray | None = None, ignore_index: int = -100,
                       reduction: str = "mean", label_smoothing: float = 0.0) -> np.ndarray:
    """Cross-entropy against class indices or probabilities (PyTorch's definition)."""
    axis = 0 if logits.ndim == 1 else 1
    c = logits.shape[axis]
    lp = log_softmax(logits, axis)
    w = np.ones(c) if weight is None else weight
    wshape = [1] * logits.ndim
    wshape[axis] = c
    if target.dtype.kind == "f":  # probabilities
        q = target * (1 - label_smoothing) + label_smoothing / c
        per = -(lp * q * w.reshape(wshape)).sum(axis=axis)
        if reduction == "mean":
            return np.asarray(per.sum() / (logits.size / c))
        return reduce(per, reduction)
    nll = nll_loss_full(lp, target, weight, ignore_index, reduction)
    if label_smoothing == 0:
        return nll
    keep = target != ignore_index
    smooth = -(lp * w.reshape(wshape)).sum(axis=axis) * keep
    if reduction == "mean":
        denom = sum(w[int(k)] for k in target[keep].ravel())
        smooth = np.asarray(smooth.sum() / denom)
    else:
        smooth = reduce(smooth, reduction)
    return (1 - label_smoothing) * nll + label_smoothing / c * smooth


def binary_cross_entropy(p: np.ndarray, t: np.ndarray, weight: np.ndarray | None = None,
                         reduction: str = "mean") -> np.ndarray:
    """``-(t log p + (1-t) log(1-p))`` with each log floored at -100."""
    with np.errstate(divide="ignore"):
        loss = -(t * np.maximum(np.log(p), -100) + (1 - t) * np.maximum(np.log(1 - p), -100))
    return reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(x: np.ndarray, t: np.ndarray,
                                     weight: np.ndarray | None = None,
                                     reduction: str = "mean",
                                     pos_weight: np.ndarray | None = None) -> np.ndarray:
    """``-(pw·t·log σ(x) + (1-t)·log(1-σ(x)))``, via ``logaddexp`` for stability."""
    log_sig, log_one_minus = -np.logaddexp(0, -x), -np.logaddexp(0, x)
    pw = 1.0 if pos_weight is None else pos_weight
    loss = -(pw * t * log_sig + (1 - t) * log_one_minus)
    return reduce(loss if weight is None else loss * weight, reduction)


def smooth_l1(a: np.ndarray, b: np.ndarray, beta: float, reduction: str) -> np.ndarray:
    """Quadratic below ``beta``, linear above."""
    d = np.abs(a - b)
    loss = d if beta == 0 else np.where(d < beta, 0.5 * d * d / beta, d - 0.5 * beta)
    return reduce(loss, reduction)


def huber(a: np.ndarray, b: np.ndarray, delta: float, reduction: str) -> np.ndarray:
    """Quadratic below ``delta``, ``delta``-scaled linear above."""
    d = np.abs(a - b)
    return reduce(np.where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta)), reduction)


def kl_div(x: np.ndarray, t: np.ndarray, reduction: str, log_target: bool) -> np.ndarray:
    """Pointwise KL terms of log-probabilities ``x`` against ``t``; ``batchmean`` too."""
    if log_target:
        loss = np.exp(t) * (t - x)
    else:
        loss = np.where(t > 0, t * np.log(np.where(t > 0, t, 1.0)), 0.0) - t * x
    if reduction == "batchmean":
        return np.asarray(loss.sum() / x.shape[0])
    return reduce(loss, reduction)


def weighted_reduce(loss: np.ndarray, weight: np.ndarray, reduction: str,
                    mean_by_weight: bool) -> np.ndarray:
    """Per-element weights; ``"mean"`` divides by the weights' sum or by the element count."""
    weighted = loss * weight
    if reduction == "mean" and mean_by_weight:
        return np.asarray(weighted.sum() / weight.sum())
    return reduce(weighted, reduction)
