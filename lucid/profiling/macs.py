"""Multiply-accumulate counts per layer, from the shapes one traced forward pass saw.

Convolution and linear layers are counted as PyTorch's ``torch.utils.flop_counter`` counts
them (one MAC = one multiply and one add, so FLOPs = 2 × MACs; biases are not counted),
which makes ``count_flops(...).flops`` comparable with it. Layers it does not count are
counted here as the work per output element: normalisation 1 (a folded scale and
shift), activations, dropout and upsampling 1, pooling the window size, adaptive pooling one
per input element; lookups and reshapes 0. A layer class of another package gets a formula
with :func:`register_macs`; a leaf layer without one counts 0 and is listed in
``FlopCount.uncounted``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from math import prod
from typing import Any

from .. import nn
from ..nn import Module
from .trace import Call, tensors_in, trace

#: ``formula(module, input_shapes, output_shapes) -> MACs``, looked up along the class MRO.
MacFormula = Callable[[Any, list[tuple[int, ...]], list[tuple[int, ...]]], int]
_FORMULAS: dict[type, MacFormula] = {}


def register_macs(module_class: type) -> Callable[[MacFormula], MacFormula]:
    """Decorator: count ``module_class`` (and its subclasses) with the decorated formula."""
    if not isinstance(module_class, type) or not issubclass(module_class, Module):
        raise TypeError(f"register_macs(module_class): expected a lucid.nn.Module subclass, "
                        f"got {module_class!r}")

    def add(formula: MacFormula) -> MacFormula:
        _FORMULAS[module_class] = formula
        return formula
    return add


def formula_for(module: Module) -> MacFormula | None:
    """The MAC formula of ``module``'s class or nearest base class, or None."""
    for cls in type(module).__mro__:
        f = _FORMULAS.get(cls)
        if f is not None:
            return f
    return None


def _out_numel(outs: list[tuple[int, ...]]) -> int:
    return sum(prod(s) for s in outs)


@register_macs(nn.Conv1d)
@register_macs(nn.Conv2d)
def _conv(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    # every output element is a dot product over (C_in / groups) × kernel inputs; the
    # weight is (C_out, C_in / groups, *kernel)
    return _out_numel(outs) * prod(int(d) for d in m.weight.shape[1:])


@register_macs(nn.ConvTranspose2d)
def _conv_transpose(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    # every input element is scattered through (C_out / groups) × kernel weights; the
    # weight is (C_in, C_out / groups, *kernel) (PyTorch's count for transposed convolution)
    return ins[0][0] * prod(ins[0][2:]) * prod(int(d) for d in m.weight.shape)


@register_macs(nn.Linear)
def _linear(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    return _out_numel(outs) * int(m.weight.shape[1])


def _per_element(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    return _out_numel(outs)


for _elementwise in (nn.BatchNorm1d, nn.BatchNorm2d, nn.InstanceNorm2d, nn.LayerNorm,
                    nn.GroupNorm, nn.ReLU, nn.Sigmoid, nn.Tanh, nn.Softmax, nn.LogSoftmax,
                    nn.GELU, nn.SiLU, nn.Mish, nn.ELU, nn.SELU, nn.LeakyReLU, nn.PReLU,
                    nn.Softplus, nn.Hardswish, nn.Hardsigmoid, nn.Dropout, nn.Upsample):
    register_macs(_elementwise)(_per_element)


def _window(m: Any) -> int:
    k = m.kernel_size
    return prod(k) if isinstance(k, (tuple, list)) else int(k) ** 2


@register_macs(nn.MaxPool2d)
@register_macs(nn.AvgPool2d)
def _pool(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    return _out_numel(outs) * _window(m)


@register_macs(nn.AdaptiveAvgPool2d)
@register_macs(nn.AdaptiveMaxPool2d)
def _adaptive_pool(m: Any, ins: list[tuple[int, ...]], outs: list[tuple[int, ...]]) -> int:
    return sum(prod(s) for s in ins)


for _free in (nn.Identity, nn.Flatten, nn.Unflatten, nn.Embedding):
    register_macs(_free)(lambda m, ins, outs: 0)


def call_macs(call: Call) -> int | None:
    """MACs of one leaf call (None when no formula covers its class)."""
    f = formula_for(call.module)
    if f is None:
        return None
    return int(f(call.module, call.input_shapes, call.output_shapes))


def subtree_macs(call: Call) -> int:
    """MACs of a call and everything inside it (leaf calls only carry work)."""
    if not call.children:
        return call_macs(call) or 0
    return sum(subtree_macs(c) for c in call.children)


def leaf_calls(root: Call) -> list[Call]:
    """Calls of modules without recorded sub-calls, in call order."""
    return [c for c in root.walk() if not c.children]


@dataclass
class FlopCount:
    """What :func:`count_flops` found: totals, and MACs per leaf layer and per layer type."""

    macs: int
    by_layer: dict[str, int] = field(default_factory=dict)
    by_type: dict[str, int] = field(default_factory=dict)
    uncounted: list[str] = field(default_factory=list)

    @property
    def flops(self) -> int:
        """Floating-point operations, 2 per MAC (``torch.utils.flop_counter``'s unit)."""
        return 2 * self.macs

    @property
    def gmacs(self) -> float:
        """MACs in billions."""
        return self.macs / 1e9

    def __str__(self) -> str:
        return f"{self.macs:,} MACs ({self.gmacs:.3f} GMACs, {self.flops:,} FLOPs)"


def flop_count_of(root: Call) -> FlopCount:
    """Tally the MACs of a traced forward pass."""
    result = FlopCount(0)
    for c in leaf_calls(root):
        n = call_macs(c)
        key = c.name or c.type_name
        if n is None:
            result.uncounted.append(f"{key} ({c.type_name})")
            continue
        result.macs += n
        result.by_layer[key] = result.by_layer.get(key, 0) + n
        result.by_type[c.type_name] = result.by_type.get(c.type_name, 0) + n
    return result


def count_flops(model: Module, input_size: Any, *, dtype: Any = None) -> FlopCount:
    """MACs (and FLOPs = 2 × MACs) of one forward pass of ``model`` on ``input_size``.

    ``input_size`` is the full input shape, batch included: ``(1, 3, 224, 224)``.
    """
    root, _, out = trace(model, input_size, dtype=dtype)
    del out
    return flop_count_of(root)


__all__ = ["FlopCount", "MacFormula", "call_macs", "count_flops", "flop_count_of",
           "formula_for", "leaf_calls", "register_macs", "subtree_macs", "tensors_in"]
