"""The backend conformance kit run against the NumPy backend, fast and reference kernels."""

from __future__ import annotations

import inspect

import pytest

import lucid
import lucid._ops
import lucid.nn.functional
from lucid.backends import NN_KERNELS, Backend, get_backend
from lucid.testing import BackendConformance, covered_ops, reference_kernels
from lucid.testing.cases import CASES


class TestNumPyBackend(BackendConformance):
    """The NumPy backend with its own kernels."""

    backend = "numpy"


class TestNumPyBackendReferenceKernels(BackendConformance):
    """The NumPy backend running the interface's reference NN kernels."""

    backend = "numpy"
    reference_kernels = True

    def test_reference_kernels_are_active(self) -> None:
        """Inside this class every NN kernel is the interface's default implementation."""
        for name in NN_KERNELS:
            assert getattr(self.impl, name).__func__ is getattr(Backend, name), name


def test_reference_kernels_are_restored_afterwards() -> None:
    """The reference-kernel switch undoes itself, so other tests see the fast kernels."""
    b = get_backend("numpy")
    before = {name: getattr(b, name) for name in NN_KERNELS}
    with reference_kernels(b):
        assert all(getattr(b, n).__func__ is getattr(Backend, n) for n in NN_KERNELS)
    assert {name: getattr(b, name) for name in NN_KERNELS} == before


#: Public functions of lucid that are not differentiable (checked by value elsewhere).
_NOT_DIFFERENTIABLE = {
    "equal", "not_equal", "less", "less_equal", "greater", "greater_equal", "logical_and",
    "logical_or", "logical_not", "argmax", "argmin", "get_backend_of",
}
#: Differentiable functions covered by dedicated kit tests instead of the op table.
_COVERED_ELSEWHERE = {
    "to_backend": "test_tensor_to_another_backend",
    "astype": "test_cast_gradient_returns_to_source_dtype",
    "functional.dropout": "test_dropout_in_training",
}


def _public_functions(module: object, prefix: str) -> set[str]:
    names = set()
    for _, fn in inspect.getmembers(module, inspect.isfunction):
        if fn.__module__ == module.__name__ and not fn.__name__.startswith("_"):
            names.add(prefix + fn.__name__)
    return names


def test_every_differentiable_op_is_in_the_kit() -> None:
    """Adding an op to lucid without a conformance case fails here."""
    public = (_public_functions(lucid._ops, "")
              | _public_functions(lucid.nn.functional, "functional."))
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
