"""Fold eval-mode batch norm into the convolution before it, for faster inference.

In eval mode ``BatchNorm2d`` is an affine map per channel, ``y = (x - mean) * gamma /
sqrt(var + eps) + beta``, so a convolution followed by it is one convolution with scaled
weights and a bias (PyTorch's ``torch.nn.utils.fusion``). :func:`fuse_conv_bn` finds such
pairs in a whole model by watching one forward pass with module hooks, and folds a pair only
when the batch norm is the *only* consumer of the convolution's output (checked on the
autograd graph), so a model's outputs stay the same to float32 rounding.
"""

from __future__ import annotations

import copy
from typing import Any

from .._creation import zeros
from .._tensor import Tensor
from .conv import Conv2d
from .hooks import register_module_forward_hook
from .linear import Identity
from .module import Module, Parameter
from .normalization import BatchNorm2d

__all__ = ["fuse_conv_bn", "fuse_conv_bn_eval", "fuse_conv_bn_weights"]


def fuse_conv_bn_weights(conv_w: Tensor, conv_b: Tensor | None, bn_rm: Tensor, bn_rv: Tensor,
                         bn_eps: float, bn_w: Tensor | None, bn_b: Tensor | None
                         ) -> tuple[Parameter, Parameter]:
    """The weight and bias of one convolution equal to ``conv`` then eval-mode batch norm."""
    rm, rv = bn_rm.detach(), bn_rv.detach()
    scale = 1.0 / (rv + bn_eps).sqrt()
    if bn_w is not None:
        scale = scale * bn_w.detach()
    shift = -rm if conv_b is None else conv_b.detach() - rm
    bias = shift * scale
    if bn_b is not None:
        bias = bias + bn_b.detach()
    weight = conv_w.detach() * scale.reshape((-1,) + (1,) * (conv_w.ndim - 1))
    return (Parameter(weight, conv_w.requires_grad),
            Parameter(bias, conv_w.requires_grad if conv_b is None else conv_b.requires_grad))


def fuse_conv_bn_eval(conv: Conv2d, bn: BatchNorm2d) -> Conv2d:
    """A new ``Conv2d`` equal to ``bn(conv(x))`` with both modules in eval mode."""
    if conv.training or bn.training:
        raise ValueError("fuse_conv_bn_eval: conv and bn must be in eval mode (call .eval()); "
                         "training-mode batch norm uses batch statistics and cannot be folded")
    _check_foldable(conv, bn)
    fused = copy.deepcopy(conv)
    fused.weight, fused.bias = fuse_conv_bn_weights(
        conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
    return fused


def _check_foldable(conv: Conv2d, bn: BatchNorm2d) -> None:
    if not bn.track_running_stats or bn.running_mean is None:
        raise ValueError("fuse_conv_bn: a BatchNorm2d without running statistics "
                         "(track_running_stats=False) normalises with batch statistics even "
                         "in eval mode and cannot be folded into a convolution")
    if conv.out_channels != bn.num_features:
        raise ValueError(f"fuse_conv_bn: conv has {conv.out_channels} output channels but the "
                         f"batch norm after it has num_features={bn.num_features}")


def _first_conv_channels(model: Module) -> int:
    for m in model.modules():
        if isinstance(m, Conv2d):
            return m.in_channels
    raise ValueError("fuse_conv_bn: the model has no Conv2d")


def _foldable_pairs(model: Module, example_input: Tensor) -> list[tuple[Conv2d, BatchNorm2d]]:
    """``(conv, bn)`` pairs where ``bn``'s input is ``conv``'s output and nothing else's."""
    calls: dict[int, int] = {}
    conv_of_output: dict[int, Conv2d] = {}  # id(output tensor) -> the conv that made it
    outputs: list[Tensor] = []  # keeps the traced tensors alive, so ids stay unique
    candidates: list[tuple[Conv2d, BatchNorm2d, Tensor]] = []

    def hook(module: Module, args: tuple[Any, ...], output: Any) -> None:
        calls[id(module)] = calls.get(id(module), 0) + 1
        if isinstance(module, Conv2d) and isinstance(output, Tensor):
            conv_of_output[id(output)] = module
            outputs.append(output)
        elif isinstance(module, BatchNorm2d) and args and isinstance(args[0], Tensor):
            conv = conv_of_output.get(id(args[0]))
            if conv is not None:
                candidates.append((conv, module, args[0]))

    handle = register_module_forward_hook(hook)
    try:
        out = model(example_input)  # grad mode on: the graph tells who reads each output
    finally:
        handle.remove()
    # Count the consumers of every node in the graph, from the model's outputs down.
    results = [t for t in (out if isinstance(out, (tuple, list)) else (out,))
               if isinstance(t, Tensor)]
    uses: dict[int, int] = {}
    seen: set[int] = set()
    stack = [t.grad_fn for t in results if t.grad_fn is not None]
    for t in results:
        if t.grad_fn is not None:
            uses[id(t.grad_fn)] = uses.get(id(t.grad_fn), 0) + 1  # read by the caller
    while stack:
        node = stack.pop()
        if id(node) in seen:
            continue
        seen.add(id(node))
        for nxt in node.input_nodes:
            if nxt is not None:
                uses[id(nxt)] = uses.get(id(nxt), 0) + 1
                stack.append(nxt)
    pairs = []
    for conv, bn, t in candidates:
        made_by = t.grad_fn
        if (made_by is not None and uses.get(id(made_by), 0) == 1
                and calls.get(id(conv)) == 1 and calls.get(id(bn)) == 1):
            pairs.append((conv, bn))
    return pairs


def fuse_conv_bn(model: Module, example_input: Tensor | None = None, *,
                 inplace: bool = False) -> Module:
    """The model in eval mode with every batch norm that only follows a conv folded into it.

    ``example_input`` drives one forward pass that finds the pairs (default: zeros of shape
    ``(1, C, 32, 32)`` with ``C`` the first convolution's input channels). A folded batch
    norm is replaced by ``nn.Identity`` and its convolution gets the scaled weight and a bias.
    Returns a copy unless ``inplace``; the result is for inference (it stays in eval mode).
    """
    if not isinstance(model, Module):
        raise TypeError(f"fuse_conv_bn: model must be a lucid.nn.Module, got "
                        f"{type(model).__name__}")
    target = model if inplace else copy.deepcopy(model)
    target.eval()
    if example_input is None:
        example_input = zeros(1, _first_conv_channels(target), 32, 32)
    pairs = _foldable_pairs(target, example_input)
    parents = {id(child): (parent, name) for parent in target.modules()
               for name, child in parent.named_children()}
    for conv, bn in pairs:
        if not bn.track_running_stats or bn.running_mean is None:
            continue  # batch statistics in eval mode: nothing to fold
        _check_foldable(conv, bn)
        conv.weight, conv.bias = fuse_conv_bn_weights(
            conv.weight, conv.bias, bn.running_mean, bn.running_var, bn.eps, bn.weight, bn.bias)
        parent, name = parents[id(bn)]
        setattr(parent, name, Identity())
    return target
