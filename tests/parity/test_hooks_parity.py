"""Hooks behave as PyTorch's: the same model, the same hooks, the same events and values.

Each scenario is written once against a namespace (``lucid`` or ``torch``) and run in both;
the recorded event logs (which hook, on which module, with what shapes) and the resulting
values and gradients must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest

torch = pytest.importorskip("torch")

import lucid  # noqa: E402
import lucid.nn as lnn  # noqa: E402

pytestmark = pytest.mark.parity

RNG = np.random.default_rng(0)
W1, B1 = RNG.standard_normal((4, 3)), RNG.standard_normal(4)
W2, B2 = RNG.standard_normal((2, 4)), RNG.standard_normal(2)
X = RNG.standard_normal((5, 3))


class Kit:
    """What a scenario needs from a framework."""

    def __init__(self, name: str) -> None:
        self.name = name
        if name == "torch":
            self.nn = torch.nn
            self.tensor = lambda a, rg=False: torch.tensor(a, dtype=torch.float64,
                                                           requires_grad=rg)
            self.global_pre = torch.nn.modules.module.register_module_forward_pre_hook
            self.global_fwd = torch.nn.modules.module.register_module_forward_hook
            self.global_bw = torch.nn.modules.module.register_module_full_backward_hook
        else:
            self.nn = lnn
            self.tensor = lambda a, rg=False: lucid.tensor(a, dtype=lucid.float64,
                                                           requires_grad=rg)
            self.global_pre = lnn.register_module_forward_pre_hook
            self.global_fwd = lnn.register_module_forward_hook
            self.global_bw = lnn.register_module_full_backward_hook

    def model(self) -> Any:
        nn = self.nn
        m = nn.Sequential(nn.Linear(3, 4), nn.ReLU(), nn.Linear(4, 2))
        m = m.double() if self.name == "torch" else m
        with (torch.no_grad() if self.name == "torch" else lucid.no_grad()):
            for lin, w, b in ((m[0], W1, B1), (m[2], W2, B2)):
                if self.name == "torch":
                    lin.weight.copy_(torch.tensor(w, dtype=torch.float64))
                    lin.bias.copy_(torch.tensor(b, dtype=torch.float64))
                else:
                    lin.weight.data = lucid.tensor(w, dtype=lucid.float64).data
                    lin.bias.data = lucid.tensor(b, dtype=lucid.float64).data
        return m


def _np(t: Any) -> np.ndarray:
    return t.detach().numpy() if hasattr(t, "detach") else np.asarray(t)


def _shapes(values: Any) -> list[Any]:
    return [None if v is None else tuple(v.shape) for v in values]


def _both(scenario: Callable[[Kit], Any]) -> None:
    got, want = scenario(Kit("lucid")), scenario(Kit("torch"))
    assert len(got) == len(want), (got, want)
    for g, w in zip(got, want):
        if isinstance(w, np.ndarray) or hasattr(w, "detach"):
            np.testing.assert_allclose(_np(g), _np(w), rtol=1e-10, atol=1e-12)
        else:
            assert g == w


def _order(k: Kit) -> list[Any]:
    m = k.model()
    log: list[Any] = []
    names = {id(mod): n or "root" for n, mod in m.named_modules()}
    for mod in m.modules():
        n = names[id(mod)]
        mod.register_forward_pre_hook(lambda mm, a, n=n: log.append(("pre", n, _shapes(a))))
        mod.register_forward_hook(lambda mm, a, o, n=n: log.append(("fwd", n, tuple(o.shape))))
        mod.register_full_backward_pre_hook(
            lambda mm, go, n=n: log.append(("bw_pre", n, _shapes(go))))
        mod.register_full_backward_hook(
            lambda mm, gi, go, n=n: log.append(("bw", n, _shapes(gi), _shapes(go))))
    x = k.tensor(X, rg=True)
    x.register_hook(lambda g: log.append(("x", tuple(g.shape))))
    out = m(x)
    out.register_hook(lambda g: log.append(("out", tuple(g.shape))))
    out.sum().backward()
    return log + [x.grad]


def test_call_order_matches_pytorch() -> None:
    """Pre/forward hooks parent-first/children-in-order; backward hooks in reverse."""
    _both(_order)


def _order_no_input_grad(k: Kit) -> list[Any]:
    m = k.model()
    log: list[Any] = []
    m[0].register_full_backward_hook(
        lambda mm, gi, go: log.append(("bw", _shapes(gi), _shapes(go))))
    m(k.tensor(X)).sum().backward()
    return log + [m[0].weight.grad]


def test_backward_hook_without_input_grad_matches_pytorch() -> None:
    """A first layer whose input needs no grad gets grad_input=(None,) right away."""
    _both(_order_no_input_grad)


def _replacements(k: Kit) -> list[Any]:
    m = k.model()
    m[0].register_forward_pre_hook(lambda mm, a: (a[0] * 2,))
    m[0].register_forward_pre_hook(lambda mm, a: a[0] + 1)         # a bare value: wrapped
    m[2].register_forward_hook(lambda mm, a, o: o * 3)
    m[1].register_full_backward_hook(lambda mm, gi, go: (gi[0] * 0.5,))
    m[2].register_full_backward_pre_hook(lambda mm, go: (go[0] - 1,))
    x = k.tensor(X, rg=True)
    x.register_hook(lambda g: g * 10)
    h = k.tensor(X, rg=True)
    y = h * 2
    y.register_hook(lambda g: g + 7)
    y.retain_grad()
    out = m(x)
    (out.sum() + (y * y).sum()).backward()
    return [out, x.grad, m[0].weight.grad, m[2].bias.grad, y.grad, h.grad]


def test_replacing_inputs_outputs_and_gradients_matches_pytorch() -> None:
    """Each kind of hook may replace what it is given, with PyTorch's results."""
    _both(_replacements)


def _removal(k: Kit) -> list[Any]:
    m = k.model()
    log: list[Any] = []
    hs = [m[0].register_forward_pre_hook(lambda mm, a: log.append("pre")),
          m[0].register_forward_hook(lambda mm, a, o: log.append("fwd")),
          m[0].register_full_backward_hook(lambda mm, gi, go: log.append("bw")),
          k.global_pre(lambda mm, a: log.append(("gpre", type(mm).__name__))),
          k.global_fwd(lambda mm, a, o: log.append(("gfwd", type(mm).__name__))),
          k.global_bw(lambda mm, gi, go: log.append(("gbw", type(mm).__name__)))]
    x = k.tensor(X, rg=True)
    th = x.register_hook(lambda g: g * 0)
    m(x).sum().backward()
    first = list(log)
    for h in hs:
        h.remove()
    th.remove()
    log.clear()
    x.grad = None
    m(x).sum().backward()
    return [first, log, x.grad]


def test_removed_hooks_are_not_called_and_global_hooks_run_for_every_module() -> None:
    _both(_removal)


def _prepend_and_kwargs(k: Kit) -> list[Any]:
    m = k.model()
    log: list[Any] = []
    m.register_forward_hook(lambda mm, a, o: log.append("second"))
    m.register_forward_hook(lambda mm, a, o: log.append("first"), prepend=True)
    m.register_forward_pre_hook(lambda mm, a, kw: log.append(("kw", sorted(kw))) or None,
                                with_kwargs=True)
    m.register_forward_hook(lambda mm, a, kw, o: log.append(("kwout", tuple(o.shape))),
                            with_kwargs=True)
    m(k.tensor(X))
    return log


def test_prepend_and_with_kwargs_match_pytorch() -> None:
    _both(_prepend_and_kwargs)
