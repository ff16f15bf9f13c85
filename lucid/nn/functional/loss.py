"""Loss functions, with PyTorch's signatures and semantics.

Every loss is a composition of differentiable ops (plus two small :class:`Function`\\ s where
a composition would lose accuracy at the edges: the log-sigmoid of the logits losses and
binary cross-entropy, whose logs PyTorch clamps at -100). Options after ``weight`` are
keyword-only: PyTorch's deprecated ``size_average``/``reduce`` sit between them positionally,
so a positional call written for PyTorch fails loudly here instead of meaning something else.
Class targets are checked: an index outside ``[0, C)`` that is not ``ignore_index`` raises.
"""

from __future__ import annotations

from typing import Any

from ... import _dtype
from ..._tensor import Tensor
from ...autograd import Function
from ...backends import MixedBackendError
from ...ops import abs as abs_
from ...ops import (
    add,
    exp,
    getitem,
    log,
    log_softmax,
    mean,
    mul,
    permute,
    reshape,
    sub,
    where,
)

_REDUCTIONS = ("mean", "sum", "none")


def _check_reduction(reduction: str, fn: str) -> None:
    if reduction not in _REDUCTIONS:
        raise ValueError(f"{fn}: reduction must be 'mean', 'sum' or 'none', got {reduction!r}")


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return mean(loss)
    if reduction == "sum":
        return loss.sum()
    return loss


def _tensor_arg(value: Any, like: Tensor, name: str, fn: str, dtype: Any = None) -> Tensor:
    """``value`` as a tensor on ``like``'s backend (lists and arrays are converted)."""
    if not isinstance(value, Tensor):
        return Tensor(value, dtype=dtype, backend=like.backend)
    if value.backend is not like.backend:
        raise MixedBackendError(
            f"{fn}: the input is on backend {like.backend.name!r} and the {name} on "
            f"{value.backend.name!r}; move one with .to({like.backend.name!r}) first")
    return value


def _check_float(x: Tensor, name: str, fn: str) -> None:
    if not isinstance(x, Tensor):
        raise TypeError(f"{fn}: {name} must be a lucid Tensor, got {type(x).__name__}")
    if not x.dtype.is_floating:
        raise TypeError(f"{fn}: {name} must be a floating tensor, got {x.dtype}")


def _same_shape(input: Tensor, target: Tensor, fn: str) -> None:
    """No silent broadcasting between input and target: stricter than PyTorch, which
    broadcasts with a warning, because a (N, 1) input against an (N,) target is almost always
    a bug whose (N, N) loss still trains, badly."""
    if input.shape != target.shape:
        raise ValueError(f"{fn}: target shape {target.shape} differs from input shape "
                         f"{input.shape}; they must match exactly (broadcasting them is "
                         "almost always a bug; lucid raises where PyTorch only warns)")


def _const(like: Tensor, array: Any) -> Tensor:
    return Tensor._wrap(array, like.backend)


# ------------------------------------------------------------- class-index losses
def _class_weight(weight: Any, input: Tensor, n_classes: int, fn: str) -> Tensor | None:
    if weight is None:
        return None
    w = _tensor_arg(weight, input, "weight", fn, input.dtype)
    if w.shape != (n_classes,):
        raise ValueError(f"{fn}: weight must have shape ({n_classes},) (one per class), got "
                         f"{w.shape}")
    return w


def _class_target(input: Tensor, target: Any, class_dim: int, fn: str) -> Tensor:
    """Integer class targets of shape ``input.shape`` without the class axis."""
    t = _tensor_arg(target, input, "target", fn)
    expected = input.shape[:class_dim] + input.shape[class_dim + 1:]
    if t.dtype.is_floating or t.dtype == _dtype.bool_ or t.shape != expected:
        raise ValueError(f"{fn}: for input of shape {input.shape} the target must be integer "
                         f"class indices of shape {expected}, got {t.dtype} {t.shape}")
    return t


def _check_class_range(t: Any, b: Any, n_classes: int, ignore_index: int, fn: str) -> Any:
    """Return the mask of entries that count; raise on an index outside ``[0, C)``."""
    valid = b.not_equal(t, ignore_index)
    bad = b.logical_and(valid, b.logical_or(b.less(t, 0), b.greater_equal(t, n_classes)))
    if bool(b.item(b.any(bad, None, False))):
        flat = b.reshape(bad, (-1,))
        first = b.item(b.argmax(b.astype(flat, _dtype.int32), None, False))
        value = b.item(b.getitem(b.reshape(t, (-1,)), int(first)))
        raise IndexError(f"{fn}: target {value} is out of bounds for {n_classes} classes "
                         f"(valid: 0 to {n_classes - 1}, or ignore_index={ignore_index})")
    return valid


def _pick(input: Tensor, target: Any, class_dim: int) -> Tensor:
    """``input[..., target, ...]`` along the class axis: shaped like the target."""
    b = input.backend
    n_classes = input.shape[class_dim]
    if input.ndim == 1:
        return reshape(getitem(reshape(input, 1, n_classes),
                               (b.arange(0, 1, 1, _dtype.int64), b.reshape(target, (1,)))), ())
    order = (0,) + tuple(range(2, input.ndim)) + (1,)
    rows = reshape(permute(input, order) if input.ndim > 2 else input, -1, n_classes)
    m = rows.shape[0]
    picked = getitem(rows, (b.arange(0, m, 1, _dtype.int64), b.reshape(target, (m,))))
    return reshape(picked, b.shape(target))


def _nll(input: Tensor, target: Tensor, weight: Tensor | None, ignore_index: int,
         reduction: str, fn: str) -> tuple[Tensor, Any, Any]:
    """The NLL loss, the per-element weights (0 where ignored) and the 'counts' mask."""
    b = input.backend
    class_dim = 0 if input.ndim == 1 else 1
    t = target._data
    valid = _check_class_range(t, b, input.shape[class_dim], ignore_index, fn)
    safe = b.where(valid, t, b.zeros((), b.dtype_of(t)))
    mask = b.astype(valid, input.dtype)
    w = mask if weight is None else b.multiply(b.getitem(weight._data, safe), mask)
    loss = mul(_pick(input, safe, class_dim), _const(input, b.negative(w)))
    if reduction == "mean":
        out = loss.sum() / _const(input, b.sum(w, None, False))
    else:
        out = _reduce(loss, reduction)
    return out, w, mask


def nll_loss(input: Tensor, target: Any, weight: Tensor | None = None, *,
             ignore_index: int = -100, reduction: str = "mean") -> Tensor:
    """Negative log-likelihood of class targets given log-probabilities.

    ``input`` is ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)``; ``target`` holds class indices
    shaped like ``input`` without the class axis. Each term is weighted by
    ``weight[target]``; entries equal to ``ignore_index`` count for nothing, and ``"mean"``
    divides by the summed weights of the entries that count (PyTorch's definition).
    """
    fn = "nll_loss"
    _check_float(input, "input", fn)
    _check_reduction(reduction, fn)
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class axis, got shape {input.shape}")
    class_dim = 0 if input.ndim == 1 else 1
    w = _class_weight(weight, input, input.shape[class_dim], fn)
    t = _class_target(input, target, class_dim, fn)
    return _nll(input, t, w, ignore_index, reduction, fn)[0]


def cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None, *,
                  ignore_index: int = -100, reduction: str = "mean",
                  label_smoothing: float = 0.0) -> Tensor:
    """Softmax cross-entropy of logits against class indices or class probabilities.

    ``input``: ``(N, C)``, ``(N, C, d1, ...)`` or ``(C,)`` logits. ``target``: integer class
    indices shaped like ``input`` without the class axis (with ``weight`` and
    ``ignore_index`` as in :func:`nll_loss`), or a floating tensor of ``input``'s shape
    holding class probabilities ("soft" targets; ``"mean"`` then divides by the number of
    samples). ``label_smoothing`` ε mixes the target with the uniform distribution:
    ``(1-ε)·target + ε/C``.
    """
    fn = "cross_entropy"
    _check_float(input, "input", fn)
    _check_reduction(reduction, fn)
    if not 0.0 <= label_smoothing <= 1.0:
        raise ValueError(f"{fn}: label_smoothing must be in [0, 1], got {label_smoothing!r}")
    if input.ndim == 0:
        raise ValueError(f"{fn}: input must have a class axis, got shape {input.shape}")
    class_dim = 0 if input.ndim == 1 else 1
    n_classes = input.shape[class_dim]
    w = _class_weight(weight, input, n_classes, fn)
    t = _tensor_arg(target, input, "target", fn)
    logp = log_softmax(input, class_dim)
    w_b = None if w is None else reshape(
        w, *[n_classes if i == class_dim else 1 for i in range(input.ndim)])
    if t.dtype.is_floating:
        if t.shape != input.shape:
            raise ValueError(f"{fn}: a {t.dtype.name} target is read as probability targets "
                             f"(soft labels) and must have the input's shape {input.shape}, "
                             f"got {t.shape}; class indices must be an integer tensor (int64) "
                             f"of shape {input.shape[:class_dim] + input.shape[class_dim + 1:]}")
        if label_smoothing > 0.0:
            t = add(mul(t, 1.0 - label_smoothing), label_smoothing / n_classes)
        terms = mul(logp, t) if w_b is None else mul(mul(logp, t), w_b)
        if reduction == "none":
            return -terms.sum(class_dim)
        total = -terms.sum()
        return total / (input.numel() // n_classes) if reduction == "mean" else total
    t = _class_target(input, t, class_dim, fn)
    loss, w_t, mask = _nll(logp, t, w, ignore_index, reduction, fn)
    if label_smoothing == 0.0:
        return loss
    b = input.backend
    per_class = logp if w_b is None else mul(logp, w_b)
    smooth = mul(-per_class.sum(class_dim), _const(input, mask))
    if reduction == "mean":
        smooth = smooth.sum() / _const(input, b.sum(w_t, None, False))
    else:
        smooth = _reduce(smooth, reduction)
    return add(mul(loss, 1.0 - label_smoothing), mul(smooth, label_smoothing / n_classes))


# --------------------------------------------------------------------- binary losses
class _LogSigmoid(Function):
    """``log(sigmoid(x)) = min(x, 0) − log(1 + e^−|x|)``: no overflow for any ``x``."""

    @staticmethod
    def forward(ctx: Any, x: Any) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x)
        return b.subtract(b.minimum(x, 0.0), b.log(b.add(b.exp(b.negative(b.abs(x))), 1.0)))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        (x,) = ctx.saved_tensors
        b = ctx.backend
        return b.multiply(grad, b.sigmoid(b.negative(x)))


class _BinaryCrossEntropy(Function):
    """``−(t·log x + (1−t)·log(1−x))`` with each log clamped at −100, as in PyTorch."""

    @staticmethod
    def _clamped_log(b: Any, v: Any) -> Any:
        pos = b.greater(v, 0.0)
        logged = b.log(b.where(pos, v, b.ones((), b.dtype_of(v))))
        return b.maximum(b.where(pos, logged, -100.0), -100.0)

    @staticmethod
    def forward(ctx: Any, x: Any, t: Any) -> Any:
        b = ctx.backend
        ctx.save_for_backward(x, t)
        log_x = _BinaryCrossEntropy._clamped_log(b, x)
        log_1mx = _BinaryCrossEntropy._clamped_log(b, b.subtract(1.0, x))
        return b.negative(b.add(b.multiply(t, log_x),
                                b.multiply(b.subtract(1.0, t), log_1mx)))

    @staticmethod
    def backward(ctx: Any, grad: Any) -> Any:
        x, t = ctx.saved_tensors
        b = ctx.backend
        gx = gt = None
        if ctx.needs_input_grad[0]:  # PyTorch's: (x − t) / max(x·(1−x), 1e-12)
            denom = b.maximum(b.multiply(x, b.subtract(1.0, x)), 1e-12)
            gx = b.multiply(grad, b.divide(b.subtract(x, t), denom))
        if ctx.needs_input_grad[1]:
            log_x = _BinaryCrossEntropy._clamped_log(b, x)
            log_1mx = _BinaryCrossEntropy._clamped_log(b, b.subtract(1.0, x))
            gt = b.multiply(grad, b.subtract(log_1mx, log_x))
        return gx, gt


def _weighted(loss: Tensor, weight: Any, like: Tensor, fn: str) -> Tensor:
    if weight is None:
        return loss
    return mul(loss, _tensor_arg(weight, like, "weight", fn, like.dtype))


def binary_cross_entropy(input: Tensor, target: Any, weight: Tensor | None = None, *,
                         reduction: str = "mean") -> Tensor:
    """Binary cross-entropy of probabilities ``input`` in ``[0, 1]`` against ``target``.

    ``weight`` (broadcast to the input) rescales each element's loss. For logits use the
    numerically safer :func:`binary_cross_entropy_with_logits`.
    """
    fn = "binary_cross_entropy"
    _check_float(input, "input", fn)
    _check_reduction(reduction, fn)
    t = _tensor_arg(target, input, "target", fn, input.dtype)
    _same_shape(input, t, fn)
    b = input.backend
    x = input._data
    outside = b.logical_or(b.less(x, 0.0), b.greater(x, 1.0))
    if bool(b.item(b.any(b.logical_or(outside, b.not_equal(x, x)), None, False))):
        raise ValueError(f"{fn}: every input element must be a probability in [0, 1], got "
                         f"values from {b.item(b.min(x, None, False))} to "
                         f"{b.item(b.max(x, None, False))}; pass logits to "
                         "binary_cross_entropy_with_logits instead")
    loss = _weighted(_BinaryCrossEntropy.apply(input, t), weight, input, fn)
    return _reduce(loss, reduction)


def binary_cross_entropy_with_logits(input: Tensor, target: Any, weight: Tensor | None = None,
                                     *, reduction: str = "mean",
                                     pos_weight: Tensor | None = None) -> Tensor:
    """Binary cross-entropy of ``sigmoid(input)`` against ``target``, computed stably.

    ``(1−t)·x − (1 + (pos_weight−1)·t)·log σ(x)``, times ``weight``. ``pos_weight``
    (broadcast along the last axis, one per class) weighs the positive term: > 1 raises
    recall, < 1 precision.
    """
    fn = "binary_cross_entropy_with_logits"
    _check_float(input, "input", fn)
    _check_reduction(reduction, fn)
    t = _tensor_arg(target, input, "target", fn, input.dtype)
    _same_shape(input, t, fn)
    log_sig = _LogSigmoid.apply(input)
    if pos_weight is None:
        coef: Any = 1.0
    else:
        pw = _tensor_arg(pos_weight, input, "pos_weight", fn, input.dtype)
        coef = add(mul(sub(pw, 1.0), t), 1.0)
    loss = sub(mul(sub(1.0, t), input), mul(log_sig, coef))
    return _reduce(_weighted(loss, weight, input, fn), reduction)


# ------------------------------------------------------------------ regression losses
def _difference(input: Tensor, target: Any, fn: str, reduction: str) -> Tensor:
    _check_float(input, "input", fn)
    _check_reduction(reduction, fn)
    t = _tensor_arg(target, input, "target", fn, input.dtype)
    _same_shape(input, t, fn)
    return sub(input, t)


def _elementwise_weight(loss: Tensor, weight: Any, input: Tensor, reduction: str, fn: str,
                        mean_by_weight: bool) -> Tensor:
    """PyTorch 2.14's per-element ``weight`` (same shape as the input): ``"mean"`` divides
    by the summed weights for MSE and L1, by the element count for Huber (as PyTorch does).
    """
    if weight is None:
        return _reduce(loss, reduction)
    w = _tensor_arg(weight, input, "weight", fn, input.dtype)
    if w.shape != input.shape:
        raise ValueError(f"{fn}: weight shape {w.shape} differs from input shape "
                         f"{input.shape}; give one weight per element")
    weighted = mul(loss, w)
    if reduction == "mean" and mean_by_weight:
        return weighted.sum() / w.sum()
    return _reduce(weighted, reduction)


def mse_loss(input: Tensor, target: Any, *, reduction: str = "mean",
             weight: Tensor | None = None) -> Tensor:
    """Mean (or summed) squared error; ``input`` and ``target`` must have one shape.

    ``weight`` scales each element's error; ``"mean"`` is then the weighted average.
    """
    diff = _difference(input, target, "mse_loss", reduction)
    return _elementwise_weight(mul(diff, diff), weight, input, reduction, "mse_loss", True)


def l1_loss(input: Tensor, target: Any, *, reduction: str = "mean",
            weight: Tensor | None = None) -> Tensor:
    """Mean (or summed) absolute error; ``input`` and ``target`` must have one shape.

    ``weight`` scales each element's error; ``"mean"`` is then the weighted average.
    """
    loss = abs_(_difference(input, target, "l1_loss", reduction))
    return _elementwise_weight(loss, weight, input, reduction, "l1_loss", True)


def smooth_l1_loss(input: Tensor, target: Any, *, reduction: str = "mean",
                   beta: float = 1.0) -> Tensor:
    """``0.5·d²/beta`` where ``|d| < beta``, else ``|d| − 0.5·beta`` (``beta = 0``: L1)."""
    if not beta >= 0:
        raise ValueError(f"smooth_l1_loss: beta must be >= 0, got {beta!r}")
    d = abs_(_difference(input, target, "smooth_l1_loss", reduction))
    if beta == 0:
        return _reduce(d, reduction)
    loss = where(d < beta, mul(mul(d, d), 0.5 / beta), sub(d, 0.5 * beta))
    return _reduce(loss, reduction)


def huber_loss(input: Tensor, target: Any, *, reduction: str = "mean", delta: float = 1.0,
               weight: Tensor | None = None) -> Tensor:
    """``0.5·d²`` where ``|d| < delta``, else ``delta·(|d| − 0.5·delta)``: smooth L1 × delta.

    ``weight`` scales each element's loss; ``"mean"`` then averages over the elements (not
    over the weights, unlike ``mse_loss``/``l1_loss``: PyTorch's definition).
    """
    if not delta > 0:
        raise ValueError(f"huber_loss: delta must be > 0, got {delta!r}")
    d = abs_(_difference(input, target, "huber_loss", reduction))
    loss = where(d < delta, mul(mul(d, d), 0.5), mul(sub(d, 0.5 * delta), delta))
    return _elementwise_weight(loss, weight, input, reduction, "huber_loss", False)


def kl_div(input: Tensor, target: Any, *, reduction: str = "mean",
           log_target: bool = False) -> Tensor:
    """Kullback-Leibler divergence ``KL(target ‖ exp(input))``; ``input`` is log-probabilities.

    Pointwise ``target·(log target − input)`` (0 where ``target`` is 0), or with
    ``log_target`` ``exp(target)·(target − input)``. ``reduction="batchmean"`` divides the
    sum by the batch size (the true KL divergence); ``"mean"`` divides by the element count,
    as PyTorch does.
    """
    fn = "kl_div"
    _check_float(input, "input", fn)
    if reduction not in _REDUCTIONS + ("batchmean",):
        raise ValueError(f"{fn}: reduction must be 'mean', 'batchmean', 'sum' or 'none', got "
                         f"{reduction!r}")
    t = _tensor_arg(target, input, "target", fn, input.dtype)
    _same_shape(input, t, fn)
    if log_target:
        loss = mul(exp(t), sub(t, input))
    else:
        pos = t > 0.0
        safe = where(pos, t, 1.0)
        loss = sub(where(pos, mul(t, log(safe)), 0.0), mul(t, input))
    if reduction == "batchmean":
        return loss.sum() / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


__all__ = ["binary_cross_entropy", "binary_cross_entropy_with_logits", "cross_entropy",
           "huber_loss", "kl_div", "l1_loss", "mse_loss", "nll_loss", "smooth_l1_loss"]
