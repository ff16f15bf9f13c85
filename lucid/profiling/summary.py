"""``lucid.summary``: torchinfo's per-layer table (layer, type, output shape, parameters,
MACs) and totals, built from one traced forward pass.

``str(summary(...))`` is the plain-text table; the returned :class:`ModelSummary` holds the
figures (``total_params``, ``trainable_params``, ``total_macs``, ``rows``) for programs,
and :meth:`ModelSummary.to_dict` a JSON-ready form.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from math import prod
from typing import Any

from ..nn import Module
from .macs import flop_count_of, subtree_macs
from .trace import Call, tensors_in, trace


@dataclass
class LayerRow:
    """One row of the table: one module call down to the requested depth."""

    name: str                             # dotted path ("" for the model)
    type_name: str
    depth: int
    output_shape: list[tuple[int, ...]]
    num_params: int | None                # None: shown as "--" (counted in the rows below)
    macs: int | None                      # None: shown as "--"
    recursive: bool = False               # a module already listed (called again)

    def to_dict(self) -> dict[str, Any]:
        """The row as JSON-ready values."""
        return {"name": self.name, "type": self.type_name, "depth": self.depth,
                "output_shape": [list(s) for s in self.output_shape],
                "num_params": self.num_params, "macs": self.macs, "recursive": self.recursive}


@dataclass
class ModelSummary:
    """The result of :func:`summary`; ``str()`` of it is the table."""

    model_name: str
    input_size: tuple[int, ...]
    depth: int
    rows: list[LayerRow]
    total_params: int
    trainable_params: int
    total_macs: int
    input_bytes: int
    activation_bytes: int                 # forward/backward pass size: 2 × leaf outputs
    param_bytes: int
    uncounted: list[str] = field(default_factory=list)

    @property
    def non_trainable_params(self) -> int:
        """Parameters that do not require grad."""
        return self.total_params - self.trainable_params

    @property
    def total_bytes(self) -> int:
        """Estimated memory of one training step: input + activations + parameters."""
        return self.input_bytes + self.activation_bytes + self.param_bytes

    def to_dict(self) -> dict[str, Any]:
        """Every figure as JSON-ready values."""
        return {"model": self.model_name, "input_size": list(self.input_size),
                "depth": self.depth, "total_params": self.total_params,
                "trainable_params": self.trainable_params,
                "non_trainable_params": self.non_trainable_params,
                "total_macs": self.total_macs, "input_bytes": self.input_bytes,
                "activation_bytes": self.activation_bytes, "param_bytes": self.param_bytes,
                "total_bytes": self.total_bytes, "uncounted": list(self.uncounted),
                "rows": [r.to_dict() for r in self.rows]}

    def table_cells(self) -> tuple[list[str], list[list[str]]]:
        """Header and row cells of the table (also what the CLI hands to ``rich``)."""
        header = ["Layer", "Type", "Output Shape", "Param #", "MACs"]
        cells = []
        for r in self.rows:
            label = "  " * r.depth + (r.name.rsplit(".", 1)[-1] if r.name else self.model_name)
            cells.append([label, r.type_name, _shapes(r.output_shape),
                          "(recursive)" if r.recursive else _num(r.num_params), _num(r.macs)])
        return header, cells

    def totals_lines(self) -> list[str]:
        """The totals under the table."""
        mb = 1024 ** 2
        lines = [f"Total params: {self.total_params:,}",
                 f"Trainable params: {self.trainable_params:,}",
                 f"Non-trainable params: {self.non_trainable_params:,}",
                 f"Total MACs: {self.total_macs:,} ({self.total_macs / 1e9:.2f} G)",
                 f"Input size (MB): {self.input_bytes / mb:.2f}",
                 f"Forward/backward pass size (MB): {self.activation_bytes / mb:.2f}",
                 f"Params size (MB): {self.param_bytes / mb:.2f}",
                 f"Estimated total size (MB): {self.total_bytes / mb:.2f}"]
        if self.uncounted:
            lines.append(f"No MAC formula (counted as 0): {', '.join(self.uncounted)}")
        return lines

    def __str__(self) -> str:
        header, cells = self.table_cells()
        widths = [max(len(h), *(len(c[i]) for c in cells)) for i, h in enumerate(header)]
        right = {3, 4}

        def line(values: list[str]) -> str:
            return "  ".join(v.rjust(w) if i in right else v.ljust(w)
                             for i, (v, w) in enumerate(zip(values, widths))).rstrip()

        rule = "=" * len(line(header))
        body = [rule, line(header), rule, *(line(c) for c in cells), rule,
                *self.totals_lines(), rule]
        return "\n".join(body)


def _num(n: int | None) -> str:
    return "--" if n is None else f"{n:,}"


def _shapes(shapes: list[tuple[int, ...]]) -> str:
    if not shapes:
        return "--"
    text = [f"[{', '.join(str(d) for d in s)}]" for s in shapes]
    return text[0] if len(text) == 1 else ", ".join(text)


def _own_params(m: Module) -> int:
    return sum(p.numel() for p in m.parameters(recurse=False))


def summary(model: Module, input_size: Any, depth: int = 3, *, dtype: Any = None,
            ) -> ModelSummary:
    """A torchinfo-style summary of ``model`` run once on zeros of ``input_size``.

    ``input_size`` is the full input shape, batch included (``(1, 3, 224, 224)`` or
    ``"1,3,224,224"``); ``depth`` is how many levels of submodules get rows. The model runs
    in eval mode without recording gradients, and its modes are restored afterwards.
    """
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 0:
        raise ValueError(f"depth={depth!r}: expected a non-negative int")
    root, x, out = trace(model, input_size, dtype=dtype)
    del out
    rows: list[LayerRow] = []
    seen: set[int] = set()

    def visit(call: Call) -> None:
        expanded = bool(call.children) and call.depth < depth
        again = id(call.module) in seen
        seen.add(id(call.module))
        if expanded:
            own = _own_params(call.module)
            n_params: int | None = own if own else None
            macs: int | None = None
        else:
            n_params = call.module.num_parameters()
            macs = subtree_macs(call)
        rows.append(LayerRow(call.name, call.type_name, call.depth, call.output_shapes,
                             n_params, macs, again))
        if expanded:
            for c in call.children:
                visit(c)

    visit(root)
    count = flop_count_of(root)
    leaf_out = sum(t.numel() * t.dtype.itemsize for c in root.walk() if not c.children
                   for t in tensors_in(c.output))
    params = list(model.parameters())
    return ModelSummary(
        model_name=type(model).__name__, input_size=tuple(x.shape), depth=depth, rows=rows,
        total_params=sum(p.numel() for p in params),
        trainable_params=sum(p.numel() for p in params if p.requires_grad),
        total_macs=count.macs, input_bytes=prod(x.shape) * x.dtype.itemsize,
        activation_bytes=2 * leaf_out,
        param_bytes=sum(p.numel() * p.dtype.itemsize for p in params),
        uncounted=count.uncounted)


__all__ = ["LayerRow", "ModelSummary", "summary"]
