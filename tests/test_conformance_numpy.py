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
