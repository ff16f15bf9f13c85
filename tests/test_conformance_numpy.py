"""The backend conformance kit run against the NumPy backend, fast and reference kernels."""

from __future__ import annotations

import inspect

import pytest

import lucid
import lucid.nn.functional
import lucid.ops
from lucid.backends import NN_KERNELS, ReferenceKernels, get_backend, uses_reference_kernels
from lucid.testing import BackendConformance, covered_ops, reference_kernels
from lucid.testing.cases import CASES


class TestNumPyBackend(BackendConformance):
    """The NumPy backend with its own kernels."""

    backend = "numpy"


class TestNumPyBackendReferenceKernels(BackendConformance):
    """The NumPy backend running lucid's reference NN kernels."""

    backend = "numpy"
    reference_kernels = True

    def test_reference_kernels_are_active(self) -> None:
        """In this class the backend under test is a separate instance on the reference kernels."""
        for name in NN_KERNELS:
            assert getattr(type(self.impl), name) is getattr(ReferenceKernels, name), name
        shared = get_backend("numpy")
        if not uses_reference_kernels(shared):  # else LUCID_REFERENCE_KERNELS=1 loaded it so
            assert self.impl is not shared and self.impl.name == "numpy+reference"
        assert get_backend() is self.impl  # selected as the current backend


def test_reference_kernels_leave_the_shared_instance_alone() -> None:
    """The kit's switch makes a separate, registered instance; the shared one is untouched."""
    b = get_backend("numpy")
    fast = uses_reference_kernels(b)  # False, unless LUCID_REFERENCE_KERNELS=1 made it so
    cls, own = type(b), dict(vars(b))
    with reference_kernels(b) as ref:
        assert uses_reference_kernels(ref)
        if not fast:
            assert ref is not b and ref.name == "numpy+reference"
            assert get_backend("numpy+reference") is ref
            assert isinstance(ref, cls) and type(ref) is not cls
        assert type(b) is cls and vars(b).keys() == own.keys()
        assert uses_reference_kernels(b) == fast
    assert type(b) is cls and uses_reference_kernels(b) == fast
    assert "numpy+reference" not in lucid.backends.names()


#: Public functions of lucid that are not differentiable (checked by value elsewhere).
_NOT_DIFFERENTIABLE = {
    "eq", "ne", "lt", "le", "gt", "ge", "equal", "not_equal", "less", "less_equal", "greater",
    "greater_equal", "logical_and", "logical_or", "logical_not", "argmax", "argmin",
    "get_backend_of", "isnan", "isinf", "isfinite", "argsort", "any", "all",
}
#: Differentiable functions covered by dedicated kit tests instead of the op table.
_COVERED_ELSEWHERE = {
    "to_backend": "test_tensor_to_another_backend",
    "astype": "test_cast_gradient_returns_to_source_dtype",
    "functional.dropout": "test_dropout_in_training",
}


def _functional_ops() -> set[str]:
    """``nn.functional``'s own functions (not the ops it re-exports), as ``functional.name``."""
    module = lucid.nn.functional
    return {f"functional.{name}" for name in module.__all__
            if inspect.isfunction(fn := getattr(module, name))
            and fn.__module__.startswith(module.__name__ + ".")}


def _op_table() -> set[str]:
    """The functions of lucid's op table (``lucid.ops``), aliases such as ``cat`` once."""
    names = set()
    for name in getattr(lucid.ops, "__all__", ()):
        fn = getattr(lucid.ops, name)
        if inspect.isfunction(fn) and fn.__name__ == name:
            names.add(name)
    return names


def test_every_differentiable_op_is_in_the_kit() -> None:
    """Adding an op to lucid without a conformance case fails here."""
    public = _op_table() | _functional_ops()
    differentiable = public - _NOT_DIFFERENTIABLE
    missing = differentiable - covered_ops() - set(_COVERED_ELSEWHERE)
    assert not missing, f"differentiable ops without a conformance case: {sorted(missing)}"
    unknown = covered_ops() - public
    assert not unknown, f"the op table names functions lucid does not have: {sorted(unknown)}"


def test_case_names_are_unique() -> None:
    """Every op case has its own pytest id."""
    names = [case.name for case in CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("name", sorted(_COVERED_ELSEWHERE))
def test_dedicated_tests_exist(name: str) -> None:
    """The tests named as covering ops outside the table exist in the kit."""
    assert callable(getattr(BackendConformance, _COVERED_ELSEWHERE[name]))


_BROKEN_SUITE = '''
from lucid.backends import register_backend
from lucid.testing import BackendConformance
from lucid_numpy import NumPyBackend


class WrongWeightGrad(NumPyBackend):
    """conv2d's weight gradient is 1% too large."""

    def conv2d_grad_weight(self, *args):
        return NumPyBackend.conv2d_grad_weight(self, *args) * 1.01


class NoDevice(NumPyBackend):
    @classmethod
    def unavailable_reason(cls):
        return "no test device here"


register_backend("wrongweightgrad", WrongWeightGrad)
register_backend("nodevice", NoDevice)


class TestWrongWeightGrad(BackendConformance):
    backend = "wrongweightgrad"
    reference_kernels = False
    expected_failures = {"test_op_gradients[conv2d-basic]": "known: weight gradient"}


class TestNoDevice(BackendConformance):
    backend = "nodevice"
'''


def test_kit_catches_a_broken_backend(tmp_path) -> None:
    """Run the kit on a backend with a wrong conv2d weight gradient: the kit must fail it.

    Also shows ``expected_failures`` turning one failure into an xfail and an unavailable
    backend being skipped with its reason.
    """
    import os
    import subprocess
    import sys

    (tmp_path / "test_broken_backend.py").write_text(_BROKEN_SUITE)
    # the broken kernel must be the one under test, not swapped for the reference one
    env = {k: v for k, v in os.environ.items() if k != "LUCID_REFERENCE_KERNELS"}
    done = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-rfs", "-p", "no:cacheprovider",
         "-k", "test_op_gradients and conv2d", str(tmp_path)],
        capture_output=True, text=True, cwd=tmp_path, timeout=300, env=env)
    out = done.stdout
    assert done.returncode == 1, out
    n_conv = sum(case.op == "functional.conv2d" for case in CASES)
    assert f"{n_conv - 1} failed" in out and "1 xfailed" in out, out
    assert f"{n_conv} skipped" in out and "no test device here" in out, out
    assert "TestWrongWeightGrad::test_op_gradients[conv2d-pointwise]" in out
