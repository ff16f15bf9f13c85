"""Anomaly mode (``lucid.autograd.detect_anomaly``) names the op, and the module, that made a NaN.

Each scenario is built so the first non-finite value is known by hand: ``log(-1)`` is NaN,
``1 / 0`` is inf, ``sqrt`` at 0 has an infinite slope (so ``0 * slope`` is NaN), a float32
convolution with weights near the float32 maximum overflows.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.autograd import (
    Function,
    anomaly_mode,
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)


@pytest.fixture(autouse=True)
def _quiet_numpy_and_restore_mode() -> Any:
    """NumPy warns about log(-1) and 1/0 (the point of these tests); the mode is restored."""
    before = (anomaly_mode.flags.enabled, anomaly_mode.flags.check_nan)
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=RuntimeWarning)
        yield
    anomaly_mode.flags.enabled, anomaly_mode.flags.check_nan = before


def test_off_by_default_and_nan_passes_silently() -> None:
    assert not is_anomaly_enabled()
    y = lucid.log(lucid.tensor([-1.0]))
    assert np.isnan(y.numpy()).all()


def test_forward_nan_from_log_names_the_op() -> None:
    x = lucid.tensor([-1.0, 2.0], requires_grad=True)
    with detect_anomaly(), pytest.raises(RuntimeError, match="Function 'Log' returned nan "
                                                             "values in its output"):
        lucid.log(x)


def test_forward_inf_from_division_by_zero_names_the_op() -> None:
    with detect_anomaly(), pytest.raises(RuntimeError, match="Function 'Div' returned inf"):
        lucid.tensor([1.0, 2.0]) / lucid.tensor([0.0, 1.0])


def test_a_nan_already_in_the_input_is_not_blamed_on_the_op() -> None:
    """The op that propagates a NaN did not make it: only the first op is named."""
    x = lucid.tensor([float("nan"), 1.0])
    with detect_anomaly():
        y = lucid.exp(x) * 2.0
    assert np.isnan(y.numpy()[0])


def test_an_infinity_asked_for_is_not_an_anomaly() -> None:
    """Max pooling pads with -inf (a number argument of its Pad op): no error, right values."""
    x = lucid.tensor(np.arange(25.0).reshape(1, 1, 5, 5), requires_grad=True)
    with detect_anomaly():
        y = lucid.nn.functional.max_pool2d(x, 2, 2, ceil_mode=True)
        y.sum().backward()
    np.testing.assert_array_equal(y.detach().numpy()[0, 0], [[6, 8, 9], [16, 18, 19],
                                                             [21, 23, 24]])


def test_moving_a_nan_to_another_backend_is_not_blamed() -> None:
    """``to()`` changes the output's backend: its input is checked on its own backend."""
    from lucid.backends import get_backend

    numpy_backend = type(get_backend("numpy"))
    asked: list[Any] = []

    class Source(numpy_backend):  # type: ignore[misc, valid-type]
        def isfinite(self, a: Any) -> Any:
            asked.append(a)
            return super().isfinite(a)

    x = lucid.tensor([float("nan"), 1.0]).to(Source())
    with detect_anomaly():
        y = x.to(numpy_backend())
    assert np.isnan(y.numpy()[0]) and asked  # the source backend read the input


def test_check_nan_false_checks_nothing() -> None:
    with detect_anomaly(check_nan=False):
        assert is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
        y = lucid.log(lucid.tensor([-1.0]))
    assert np.isnan(y.numpy()).all()
    assert is_anomaly_check_nan_enabled()


def test_backward_nan_from_sqrt_at_zero_names_the_backward_function() -> None:
    """sqrt(0) = 0 is fine; its slope 1/(2·0) times an incoming 0 is 0/0 = NaN."""
    x = lucid.tensor([0.0, 4.0], requires_grad=True)
    with detect_anomaly():
        loss = (lucid.sqrt(x) * 0.0).sum()  # forward: finite everywhere
        with pytest.warns(UserWarning, match="Error detected in SqrtBackward"), \
                pytest.raises(RuntimeError) as info:
            loss.backward()
    assert str(info.value) == "Function 'SqrtBackward' returned nan values in its 0th output."
    notes = "\n".join(getattr(info.value, "__notes__", []))
    # the forward traceback points at the line of this test that called sqrt
    assert "Traceback of forward call" in notes and "lucid.sqrt(x) * 0.0" in notes


def test_backward_inf_gradient_is_refused_too() -> None:
    """lucid also refuses an infinite gradient (PyTorch waits until it becomes a NaN)."""
    x = lucid.tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), pytest.warns(UserWarning), \
            pytest.raises(RuntimeError, match="'SqrtBackward' returned inf values in its 0th"):
        lucid.sqrt(x).sum().backward()


def test_any_backward_error_gets_the_forward_traceback() -> None:
    class Broken(Function):
        @staticmethod
        def forward(ctx: Any, x: Any) -> Any:
            return x

        @staticmethod
        def backward(ctx: Any, grad: Any) -> Any:
            raise ValueError("backward broke")

    x = lucid.tensor([1.0], requires_grad=True)
    with detect_anomaly():
        y = Broken.apply(x)
        with pytest.warns(UserWarning, match="Error detected in BrokenBackward"), \
                pytest.raises(ValueError, match="backward broke") as info:
            y.sum().backward()
    assert "Broken.apply(x)" in "\n".join(info.value.__notes__)


class Block(nn.Module):
    def __init__(self, weight: float) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(1, 1, 1, bias=False)
        with lucid.no_grad():
            self.conv1.weight.fill_(weight)

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.conv1(x)


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.layer1 = nn.Sequential(Block(1.0))
        self.layer2 = nn.Sequential(Block(3e38), Block(1.0))

    def forward(self, x: lucid.Tensor) -> lucid.Tensor:
        return self.layer2(self.layer1(x))


def test_forward_error_names_the_module() -> None:
    """3e38 · 10 overflows float32 inside layer2.0.conv1 (the inputs are finite)."""
    net = Net()
    x = lucid.full((1, 1, 2, 2), 10.0)
    assert np.isfinite(net.layer1(x).detach().numpy()).all()
    with detect_anomaly(), pytest.raises(
            RuntimeError, match=r"returned inf values in its output in module "
                                r"layer2\.0\.conv1 \(Conv2d\)"):
        net(x)
    assert anomaly_mode._modules.get() == ()  # the stack unwound with the error


def test_backward_error_names_the_module_of_the_forward() -> None:
    class Root(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.act = Sqrt()

        def forward(self, x: lucid.Tensor) -> lucid.Tensor:
            return self.act(x) * 0.0

    class Sqrt(nn.Module):
        def forward(self, x: lucid.Tensor) -> lucid.Tensor:
            return lucid.sqrt(x)

    x = lucid.zeros(3, requires_grad=True)
    with detect_anomaly():
        out = Root()(x).sum()
        with pytest.warns(UserWarning, match=r"SqrtBackward \(in module act \(Sqrt\)\)"), \
                pytest.raises(RuntimeError, match="SqrtBackward"):
            out.backward()


def test_the_top_level_module_is_named_by_its_class() -> None:
    class Logger(nn.Module):
        def forward(self, x: lucid.Tensor) -> lucid.Tensor:
            return lucid.log(x)

    with detect_anomaly(), pytest.raises(RuntimeError,
                                         match=r"in module the top-level module \(Logger\)"):
        Logger()(lucid.tensor([-1.0]))


def test_no_module_stack_or_forward_record_when_off() -> None:
    x = lucid.tensor([1.0], requires_grad=True)
    y = lucid.exp(x)
    assert "_anomaly_forward" not in y.grad_fn.__dict__
    with detect_anomaly():
        z = lucid.exp(x)
    assert "_anomaly_forward" in z.grad_fn.__dict__


def test_decorator_and_setter_restore_the_previous_mode() -> None:
    @detect_anomaly()
    def inside() -> bool:
        return is_anomaly_enabled()

    assert inside() and not is_anomaly_enabled()
    set_detect_anomaly(True)
    assert is_anomaly_enabled()
    with set_detect_anomaly(False, check_nan=False):
        assert not is_anomaly_enabled() and not is_anomaly_check_nan_enabled()
    assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
    set_detect_anomaly(False)
    with detect_anomaly():
        with detect_anomaly(check_nan=False):
            assert not is_anomaly_check_nan_enabled()
        assert is_anomaly_enabled() and is_anomaly_check_nan_enabled()
    assert not is_anomaly_enabled()


@pytest.mark.parametrize("make", [lambda: set_detect_anomaly(1), lambda: detect_anomaly("yes"),
                                  lambda: set_detect_anomaly(True, check_nan=None)])
def test_non_bool_switches_are_refused(make: Any) -> None:
    with pytest.raises(TypeError, match="must be a bool"):
        make()
    assert not is_anomaly_enabled()
