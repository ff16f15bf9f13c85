"""Mermaid flowcharts of a model (its modules, as one forward pass ran them) and of the
autograd graph behind a tensor.

Everything on the chart comes from the model: the names and nesting from
``named_modules``, the order and the shapes from a forward pass traced with module hooks,
the edges from the data flow (functional ops between modules are followed through the
autograd graph the pass records). No table of known layer classes is involved, so plugin
models draw like built-in ones; colours are chosen from the class name (``Conv``, ``Norm``,
``Pool``, ``Linear``, activation names). Edges off the longest input→output path — the
shortcuts of residual blocks — are dashed.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from .._tensor import Tensor
from ..nn import Module
from ..profiling.trace import Call, tensors_in, trace

_DIRECTIONS = ("LR", "RL", "TB", "TD", "BT")
_ACTIVATIONS = ("ReLU", "Sigmoid", "Tanh", "Softmax", "GELU", "SiLU", "ELU", "Mish", "Swish",
                "Hardswish", "Hardsigmoid", "Softplus", "SELU")
#: classDef lines, one per kind of node.
_STYLES = {
    "conv": "fill:#dbeafe,stroke:#2563eb,color:#1e3a8a",
    "norm": "fill:#fef3c7,stroke:#d97706,color:#78350f",
    "act": "fill:#dcfce7,stroke:#16a34a,color:#14532d",
    "pool": "fill:#fce7f3,stroke:#db2777,color:#831843",
    "linear": "fill:#ede9fe,stroke:#7c3aed,color:#4c1d95",
    "block": "fill:#f3f4f6,stroke:#4b5563,color:#111827",
    "repeat": "fill:#e5e7eb,stroke:#374151,stroke-width:2px,color:#111827",
    "io": "fill:#ffffff,stroke:#111827,color:#111827",
    "op": "fill:#f3f4f6,stroke:#6b7280,color:#111827",
    "leaf": "fill:#dcfce7,stroke:#16a34a,color:#14532d",
}


def _kind(module: Module) -> str:
    """A colour class from the class name (works for any module, plugins' included)."""
    name = type(module).__name__
    for needle, kind in (("Conv", "conv"), ("Norm", "norm"), ("Pool", "pool"),
                         ("Linear", "linear")):
        if needle in name:
            return kind
    if any(a.lower() in name.lower() for a in _ACTIVATIONS):
        return "act"
    return "block"


def _shape(shapes: list[tuple[int, ...]]) -> str:
    return ", ".join("(" + ",".join(str(d) for d in s) + ")" for s in shapes)


def _text(s: str) -> str:
    """Label text safe inside Mermaid's ``"..."`` quotes."""
    return s.replace("&", "&amp;").replace('"', "#quot;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(eq=False)
class _Node:
    calls: list[Call]
    id: str = ""

    @property
    def first(self) -> Call:
        return self.calls[0]


@dataclass(eq=False)
class _Group:
    call: Call
    items: list[Any] = field(default_factory=list)
    id: str = ""
    junction: str = ""          # a node for the ops that merge the group's output, if any
    junction_label: str = ""


def _signature(call: Call) -> Any:
    """What two calls must share to be drawn as one repeated node."""
    m = call.module
    params = tuple((n, p.shape) for n, p in m.named_parameters())
    kids = tuple((n, type(c).__name__) for n, c in m.named_modules())
    return (type(m), params, kids, tuple(call.input_shapes), tuple(call.output_shapes))


def _layout(calls: list[Call], depth: int, collapse: bool, repeat_min: int) -> list[Any]:
    items: list[Any] = []
    i = 0
    while i < len(calls):
        c = calls[i]
        j = i + 1
        if collapse:
            sig = _signature(c)
            while j < len(calls) and _signature(calls[j]) == sig:
                j += 1
        if collapse and j - i >= repeat_min:
            items.append(_Node(calls[i:j]))
        else:
            j = i + 1
            if c.children and c.depth < depth:
                items.append(_Group(c, _layout(c.children, depth, collapse, repeat_min)))
            else:
                items.append(_Node([c]))
        i = j
    return items


def _events(items: list[Any]) -> list[Any]:
    """Drawn nodes in call order, each group after its contents (to close its junction)."""
    out: list[Any] = []
    for it in items:
        if isinstance(it, _Group):
            out.extend(_events(it.items))
        out.append(it)
    return out


def _op_chain(t: Any, stop: set[int]) -> list[str]:
    """Names of the functional ops from the tensors in ``stop`` up to ``t`` (first op first)."""
    names: list[str] = []
    while t is not None and id(t) not in stop and t.grad_fn is not None:
        names.append(t.grad_fn.name)
        nxt = [p for p in t.grad_fn.inputs if p is not None]
        t = nxt[0] if len(nxt) == 1 else None
    return names[::-1]


def _main_path_edges(order: list[str], edges: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """Edges on a longest path from the input to the output (the rest are shortcuts)."""
    pos = {n: i for i, n in enumerate(order)}
    succ: dict[str, list[str]] = {n: [] for n in order}
    pred: dict[str, list[str]] = {n: [] for n in order}
    for u, v in edges:
        succ[u].append(v)
        pred[v].append(u)
    down = {n: 0 for n in order}
    for n in sorted(order, key=pos.__getitem__):
        for u in pred[n]:
            down[n] = max(down[n], down[u] + 1)
    up = {n: 0 for n in order}
    for n in sorted(order, key=pos.__getitem__, reverse=True):
        for v in succ[n]:
            up[n] = max(up[n], up[v] + 1)
    longest = max(down[n] + up[n] for n in order)
    return {(u, v) for u, v in edges if down[u] + 1 + up[v] == longest}


def build_module_mermaid_chart(model: Module, input_shape: Any, depth: int = 3,
                               direction: str = "LR", show_shapes: bool = True,
                               show_params: bool = False, collapse_repeats: bool = True,
                               repeat_min: int = 2, *, dtype: Any = None,
                               colors: bool = True) -> str:
    """Mermaid ``flowchart`` source drawing ``model`` as it runs on zeros of ``input_shape``.

    Modules down to ``depth`` levels below the model become subgraphs, deeper ones nodes;
    with ``collapse_repeats``, ``repeat_min`` or more consecutive sibling calls of the same
    structure and shapes become one node labelled "× N". ``show_shapes`` writes
    ``input → output`` shapes on nodes whose shape changes; ``show_params`` their parameter
    counts. The model runs once in eval mode; its modes are restored.
    """
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction={direction!r}: expected one of {', '.join(_DIRECTIONS)}")
    if isinstance(depth, bool) or not isinstance(depth, int) or depth < 1:
        raise ValueError(f"depth={depth!r}: expected a positive int")
    if isinstance(repeat_min, bool) or not isinstance(repeat_min, int) or repeat_min < 2:
        raise ValueError(f"repeat_min={repeat_min!r}: expected an int of at least 2")
    root, x, out = trace(model, input_shape, dtype=dtype, record_graph=True)
    top = root.children if root.children else [root]
    items = _layout(top, depth, collapse_repeats, repeat_min)
    events = _events(items)
    nodes = [e for e in events if isinstance(e, _Node)]
    for k, n in enumerate(nodes):
        n.id = f"n{k}"

    producer: dict[int, str] = {id(x): "input"}
    memo: dict[int, set[str]] = {}

    def sources(t: Any) -> set[str]:
        """The drawn nodes whose outputs ``t`` was computed from."""
        found: set[str] = set()
        stack = [t]
        seen: set[int] = set()
        while stack:
            u = stack.pop()
            if id(u) in seen:
                continue
            seen.add(id(u))
            if id(u) in producer:
                found.add(producer[id(u)])
            elif id(u) in memo:
                found |= memo[id(u)]
            elif u.grad_fn is not None:
                stack.extend(p for p in u.grad_fn.inputs if p is not None)
        if id(t) not in producer:
            memo[id(t)] = found
        return found

    edges: list[tuple[str, str]] = []
    order = ["input"]

    def connect(t: Any, target: str) -> None:
        for s in sorted(sources(t)):
            if s != target and (s, target) not in edges:
                edges.append((s, target))

    junctions = 0
    for e in events:
        if isinstance(e, _Node):
            order.append(e.id)
            for t in e.first.inputs:
                if isinstance(t, Tensor):
                    connect(t, e.id)
            for c in e.calls:
                for t in tensors_in(c.output):
                    producer[id(t)] = e.id
                    memo.pop(id(t), None)
            continue
        outs = [t for t in tensors_in(e.call.output) if id(t) not in producer]
        if not outs or len(sources(outs[0])) < 2:
            continue
        # the group merges branches with functional ops (a residual add): draw that merge
        e.junction = f"j{junctions}"
        junctions += 1
        order.append(e.junction)
        stop = {k for k in producer}
        e.junction_label = " · ".join(_op_chain(outs[0], stop)) or "merge"
        for t in outs:
            connect(t, e.junction)
            producer[id(t)] = e.junction
            memo.pop(id(t), None)
    for t in tensors_in(out):
        connect(t, "output")
    order.append("output")
    main = _main_path_edges(order, edges)

    lines = [f"flowchart {direction}"]
    lines.append(f'  input(["input<br/>{_shape([tuple(x.shape)])}"])')
    kinds: dict[str, list[str]] = {"io": ["input", "output"]}
    counter = [0]

    def node_line(n: _Node, indent: str) -> str:
        c, last = n.first, n.calls[-1]
        label = c.type_name + (f" × {len(n.calls)}" if len(n.calls) > 1 else "")
        ins, outs = c.input_shapes, last.output_shapes
        if show_shapes and ins != outs:
            label += f"<br/>{_shape(ins)} → {_shape(outs)}"
        if show_params:
            count = sum(call.module.num_parameters() for call in n.calls)
            label += f"<br/>{count:,} params"
        kind = "repeat" if len(n.calls) > 1 else _kind(c.module)
        kinds.setdefault(kind, []).append(n.id)
        return f'{indent}{n.id}["{_text(label).replace("&lt;br/&gt;", "<br/>")}"]'

    def emit(its: list[Any], indent: str) -> None:
        for it in its:
            if isinstance(it, _Group):
                gid = f"g{counter[0]}"
                counter[0] += 1
                title = f"{it.call.name}: {it.call.type_name}"
                lines.append(f'{indent}subgraph {gid}["{_text(title)}"]')
                lines.append(f"{indent}  direction {direction}")
                emit(it.items, indent + "  ")
                if it.junction:
                    lines.append(f'{indent}  {it.junction}(("{_text(it.junction_label)}"))')
                    kinds.setdefault("op", []).append(it.junction)
                lines.append(f"{indent}end")
            else:
                lines.append(node_line(it, indent))

    emit(items, "  ")
    lines.append(f'  output(["output<br/>{_shape([t.shape for t in tensors_in(out)])}"])')
    for u, v in edges:
        lines.append(f"  {u} {'-->' if (u, v) in main else '-.->'} {v}")
    if colors:
        for kind, ids in kinds.items():
            lines.append(f"  classDef {kind} {_STYLES[kind]}")
            lines.append(f"  class {','.join(ids)} {kind}")
    return "\n".join(lines) + "\n"


def build_tensor_mermaid_chart(tensor: Tensor, names: Mapping[str, Tensor] | None = None,
                               direction: str = "BT", max_nodes: int = 2000) -> str:
    """Mermaid ``flowchart`` source of the autograd graph that produced ``tensor``.

    One node per recorded operation (its ``grad_fn``, with the shape it produced) and per
    leaf tensor that requires grad; ``names`` (e.g. ``dict(model.named_parameters())``)
    labels leaves. Edges run from inputs to the operation that used them.
    """
    if not isinstance(tensor, Tensor):
        raise TypeError(f"tensor must be a lucid.Tensor, got {type(tensor).__name__}")
    if direction not in _DIRECTIONS:
        raise ValueError(f"direction={direction!r}: expected one of {', '.join(_DIRECTIONS)}")
    label_of = {id(t): n for n, t in (names or {}).items()}
    ids: dict[int, str] = {}
    decl: list[str] = []
    edges: list[str] = []
    kinds: dict[str, list[str]] = {}

    def node_id(t: Any) -> str:
        key = id(t.grad_fn) if t.grad_fn is not None else id(t)
        if key in ids:
            return ids[key]
        if len(ids) >= max_nodes:
            raise ValueError(f"the graph has more than max_nodes={max_nodes} nodes; raise "
                             f"max_nodes to draw it")
        nid = f"t{len(ids)}"
        ids[key] = nid
        shape = _shape([tuple(t.shape)])
        if t.grad_fn is not None:
            decl.append(f'  {nid}["{_text(t.grad_fn.name)}<br/>{shape}"]')
            kinds.setdefault("op", []).append(nid)
            for p in t.grad_fn.inputs:
                if p is not None and p.requires_grad:
                    edges.append(f"  {node_id(p)} --> {nid}")
        else:
            name = label_of.get(id(t), "tensor")
            decl.append(f'  {nid}(["{_text(name)}<br/>{shape}"])')
            kinds.setdefault("leaf", []).append(nid)
        return nid

    if tensor.requires_grad:
        node_id(tensor)
    else:
        decl.append(f'  t0(["tensor<br/>{_shape([tuple(tensor.shape)])}"])')
        kinds["leaf"] = ["t0"]
    lines = [f"flowchart {direction}", *decl, *edges]
    for kind, members in kinds.items():
        lines.append(f"  classDef {kind} {_STYLES[kind]}")
        lines.append(f"  class {','.join(members)} {kind}")
    return "\n".join(lines) + "\n"


__all__ = ["build_module_mermaid_chart", "build_tensor_mermaid_chart"]
