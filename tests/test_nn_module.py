"""Module semantics: registration, naming, modes, gradients, state dicts, conversion, repr."""

from __future__ import annotations

from collections import OrderedDict

import numpy as np
import pytest

import lucid
import lucid.nn as nn
from lucid.nn import Module, Parameter


class Tiny(Module):
    """Two parameters, one persistent and one non-persistent buffer, one child."""

    def __init__(self) -> None:
        super().__init__()
        self.w = Parameter(lucid.ones(2, 3))
        self.b = Parameter(lucid.zeros(3))
        self.register_buffer("count", lucid.zeros((), dtype=lucid.int64))
        self.register_buffer("scratch", lucid.zeros(4), persistent=False)
        self.child = nn.Linear(3, 2)
        self.plain = 5  # a plain attribute is not registered

    def forward(self, x):
        return self.child(x @ self.w + self.b)


# ---------------------------------------------------------------------- registration
def test_attribute_assignment_registers_params_buffers_and_children():
    m = Tiny()
    assert [n for n, _ in m.named_parameters()] == ["w", "b", "child.weight", "child.bias"]
    assert [n for n, _ in m.named_buffers()] == ["count", "scratch"]
    assert [n for n, _ in m.named_children()] == ["child"]
    assert m.w is m._parameters["w"]
    assert m.plain == 5 and "plain" not in m._parameters
    assert m.num_parameters() == 6 + 3 + 3 * 2 + 2


def test_parameter_always_requires_grad_and_shares_tensor_data():
    t = lucid.tensor([1.0, 2.0])
    p = Parameter(t)
    assert p.requires_grad and p.is_leaf and isinstance(p, lucid.Tensor)
    assert p.data is t.data
    assert "Parameter containing" in repr(p)
    assert not Parameter(t, requires_grad=False).requires_grad


def test_register_methods_and_their_errors():
    m = Module()
    m.register_parameter("p", Parameter(lucid.zeros(2)))
    m.register_parameter("absent", None)
    m.register_buffer("buf", lucid.ones(1))
    m.add_module("sub", nn.ReLU())
    assert [n for n, _ in m.named_parameters()] == ["p"]
    assert m.absent is None
    assert isinstance(m.sub, nn.ReLU)
    with pytest.raises(TypeError, match="Parameter or None"):
        m.register_parameter("q", lucid.zeros(2))
    with pytest.raises(KeyError, match="'.'"):
        m.register_buffer("a.b", lucid.zeros(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("forward", lucid.zeros(1))
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'p'"):
        m.p = lucid.zeros(2)
    with pytest.raises(TypeError, match="Module or None"):
        m.add_module("x", 3)  # type: ignore[arg-type]


def test_assigning_before_init_is_a_clear_error():
    class Bad(Module):
        def __init__(self) -> None:
            self.w = Parameter(lucid.zeros(1))

    with pytest.raises(AttributeError, match="super\\(\\).__init__"):
        Bad()


def test_reassigning_a_buffer_and_deleting_an_attribute():
    m = Tiny()
    new = lucid.full((), 7, dtype=lucid.int64)
    m.count = new
    assert m._buffers["count"] is new and m.state_dict()["count"].item() == 7
    del m.child
    assert "child" not in m._modules and not hasattr(m, "child")
    # an attribute name can change kind: a parameter replaced by a submodule
    m.w = nn.Identity()
    assert "w" not in m._parameters and "w" in m._modules


def test_shared_parameters_and_modules_are_listed_once():
    lin = nn.Linear(3, 3)
    seq = nn.Sequential(lin, nn.ReLU(), lin)
    assert [n for n, _ in seq.named_parameters()] == ["0.weight", "0.bias"]
    assert len(list(seq.modules())) == 3  # seq, lin, relu
    assert [n for n, _ in seq.named_modules()] == ["", "0", "1"]
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "2.weight", "2.bias"]


def test_nested_dotted_names_and_get_submodule():
    model = nn.Sequential(OrderedDict(stem=nn.ConvBNReLU2d(1, 2, 3),
                                      head=nn.Sequential(nn.Flatten(), nn.Linear(8, 2))))
    names = [n for n, _ in model.named_parameters()]
    assert names == ["stem.conv.weight", "stem.bn.weight", "stem.bn.bias", "head.1.weight",
                     "head.1.bias"]
    assert model.get_submodule("head.1") is model.head[1]
    with pytest.raises(AttributeError, match="no submodule 'nope'"):
        model.get_submodule("head.nope")
    assert [n for n, _ in model.named_parameters(recurse=False)] == []


# ------------------------------------------------------------------------ containers
def test_sequential_indexing_slicing_len_iter_and_forward():
    a, b, c = nn.Linear(2, 3), nn.ReLU(), nn.Linear(3, 1)
    seq = nn.Sequential(a, b, c)
    assert len(seq) == 3 and list(seq) == [a, b, c]
    assert seq[0] is a and seq[-1] is c
    sub = seq[1:]
    assert isinstance(sub, nn.Sequential) and list(sub) == [b, c]
    with pytest.raises(IndexError, match="out of range"):
        seq[3]
    x = lucid.tensor([[1.0, -2.0]])
    want = np.maximum(x.numpy() @ a.weight.numpy().T + a.bias.numpy(), 0)
    want = want @ c.weight.numpy().T + c.bias.numpy()
    np.testing.assert_allclose(seq(x).numpy(), want, rtol=1e-6)
    seq.append(nn.Identity())
    assert len(seq) == 4 and isinstance(seq[3], nn.Identity)


def test_module_list_and_module_dict():
    ml = nn.ModuleList([nn.ReLU(), nn.Linear(1, 1)])
    ml.append(nn.Tanh())
    ml.insert(0, nn.Sigmoid())
    assert [type(m).__name__ for m in ml] == ["Sigmoid", "ReLU", "Linear", "Tanh"]
    assert [n for n, _ in ml.named_parameters()] == ["2.weight", "2.bias"]
    del ml[0]
    assert [n for n, _ in ml.named_parameters()] == ["1.weight", "1.bias"]
    md = nn.ModuleDict({"a": nn.Linear(1, 2), "b": nn.ReLU()})
    assert list(md) == ["a", "b"] and "a" in md and len(md) == 2
    assert [n for n, _ in md.named_parameters()] == ["a.weight", "a.bias"]
    with pytest.raises(KeyError, match="no key 'z'"):
        md["z"]
    with pytest.raises(KeyError, match="already exists"):
        md["keys"] = nn.ReLU()  # would shadow the keys() method


# ---------------------------------------------------------------------------- modes
def test_train_eval_propagates_to_every_submodule():
    model = nn.Sequential(nn.ConvBNReLU2d(1, 2, 3), nn.Dropout(0.5))
    assert all(m.training for m in model.modules())
    assert model.eval() is model
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    with pytest.raises(TypeError, match="bool"):
        model.train("yes")  # type: ignore[arg-type]


def test_zero_grad_to_none_or_zeros_and_requires_grad_():
    m = nn.Linear(3, 2)
    m(lucid.ones(4, 3)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    np.testing.assert_array_equal(m.weight.grad.numpy(), np.zeros((2, 3), np.float32))
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())
    assert m.num_parameters(trainable_only=True) == 0 and m.num_parameters() == 8


def test_apply_visits_children_before_parents():
    seen = []
    model = nn.Sequential(nn.Linear(1, 1), nn.Sequential(nn.ReLU()))
    assert model.apply(lambda mod: seen.append(type(mod).__name__)) is model
    assert seen == ["Linear", "ReLU", "Sequential", "Sequential"]


def test_call_runs_forward_and_forward_is_required():
    with pytest.raises(NotImplementedError, match="Module does not define forward"):
        Module()(1)


# ------------------------------------------------------------------------ state dict
def test_state_dict_has_params_and_persistent_buffers_detached():
    m = Tiny()
    sd = m.state_dict()
    assert list(sd) == ["w", "b", "count", "child.weight", "child.bias"]
    assert all(not v.requires_grad for v in sd.values())
    assert sd["count"].dtype == lucid.int64


def test_state_dict_round_trip_with_tensors_and_numpy():
    lucid.manual_seed(0)
    src = nn.Sequential(nn.ConvBNReLU2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 36, 2))
    src.train()
    src(lucid.randn(2, 3, 6, 6))  # move the running stats away from their initial values
    for as_numpy in (False, True):
        lucid.manual_seed(1)
        dst = nn.Sequential(nn.ConvBNReLU2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 36, 2))
        sd = src.state_dict()
        if as_numpy:
            sd = OrderedDict((k, np.array(v.numpy())) for k, v in sd.items())
        result = dst.load_state_dict(sd)
        assert result.missing_keys == [] and result.unexpected_keys == []
        for (k, a), (_, b) in zip(src.state_dict().items(), dst.state_dict().items(),
                                  strict=True):
            np.testing.assert_array_equal(a.numpy(), b.numpy(), err_msg=k)
            assert a.dtype == b.dtype
        assert dst[0].bn.num_batches_tracked.item() == 1


def test_loaded_model_computes_the_same_outputs_in_eval_mode():
    lucid.manual_seed(0)
    src = nn.Sequential(nn.ConvBNReLU2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 36, 2))
    src(lucid.randn(2, 3, 6, 6))
    lucid.manual_seed(1)
    dst = nn.Sequential(nn.ConvBNReLU2d(3, 4, 3), nn.Flatten(), nn.Linear(4 * 36, 2))
    dst.load_state_dict(src.state_dict())
    x = lucid.randn(2, 3, 6, 6)
    src.eval(), dst.eval()
    np.testing.assert_array_equal(src(x).numpy(), dst(x).numpy())


def test_loaded_values_are_copies_and_converted_to_the_target_dtype():
    m = nn.Linear(2, 2)
    w = np.arange(4, dtype=np.float64).reshape(2, 2)
    m.load_state_dict({"weight": w, "bias": [1, 2]})
    assert m.weight.dtype == lucid.float32 and m.bias.dtype == lucid.float32
    w[0, 0] = 100.0
    assert m.weight.numpy()[0, 0] == 0.0  # not aliased to the caller's array
    assert m.weight.requires_grad and isinstance(m.weight, Parameter)


def test_strict_load_lists_missing_and_unexpected_keys():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    sd = m.state_dict()
    del sd["1.running_var"]
    sd["extra.weight"] = lucid.zeros(1)
    with pytest.raises(nn.StateDictError) as err:
        m.load_state_dict(sd)
    msg = str(err.value)
    assert "missing keys (1): ['1.running_var']" in msg
    assert "unexpected keys (1): ['extra.weight']" in msg
    before = m[1].running_var.numpy().copy()
    missing, unexpected = m.load_state_dict(sd, strict=False)
    assert missing == ["1.running_var"] and unexpected == ["extra.weight"]
    np.testing.assert_array_equal(m[1].running_var.numpy(), before)


def test_shape_mismatch_always_raises_naming_key_and_shapes():
    m = nn.Linear(3, 2)
    bad = {"weight": np.zeros((2, 4), np.float32), "bias": np.zeros(2, np.float32)}
    for strict in (True, False):
        with pytest.raises(nn.StateDictError,
                           match=r"'weight': expected shape \(2, 3\), got \(2, 4\)"):
            m.load_state_dict(bad, strict=strict)
    with pytest.raises(TypeError, match="mapping"):
        m.load_state_dict([("weight", 1)])  # type: ignore[arg-type]


def test_non_persistent_buffers_are_not_saved_or_expected():
    m = Tiny()
    sd = m.state_dict()
    assert "scratch" not in sd
    assert m.load_state_dict(sd) == ([], [])


# -------------------------------------------------------------------------- conversion
def test_to_dtype_casts_floating_tensors_in_place_and_keeps_ints():
    m = nn.Sequential(nn.Linear(2, 2), nn.BatchNorm1d(2))
    params = list(m.parameters())
    assert m.to(lucid.float64) is m
    assert list(m.parameters()) == params and all(isinstance(p, Parameter) for p in params)
    assert all(p.dtype == lucid.float64 for p in m.parameters())
    assert m[1].running_mean.dtype == lucid.float64
    assert m[1].num_batches_tracked.dtype == lucid.int64
    assert m(lucid.ones(3, 2, dtype=lucid.float64)).dtype == lucid.float64
    m.float()
    assert all(p.dtype == lucid.float32 for p in m.parameters())
    with pytest.raises(TypeError, match="floating"):
        m.to(lucid.int32)


def test_to_backend_moves_every_parameter_and_buffer():
    """Moving to the numpy backend by name is a no-op that keeps identities."""
    m = nn.BatchNorm2d(3)
    ids = [id(t) for t in m.state_dict(keep_vars=True).values()]
    assert m.to("numpy") is m
    assert [id(t) for t in m.state_dict(keep_vars=True).values()] == ids
    assert all(t.backend.name == "numpy" for t in m.state_dict(keep_vars=True).values())


def test_to_another_backend_moves_params_buffers_and_grads():
    """A second NumPy-backed backend stands in for CuPy: everything must move, in place."""
    import lucid_numpy

    from lucid.backends import registry

    class Twin(lucid_numpy.NumPyBackend):
        name = "twin"

    registry.register_backend("twin", Twin)
    lucid.manual_seed(0)
    model = nn.Sequential(nn.ConvBNReLU2d(1, 2, 3), nn.Flatten(), nn.Linear(2 * 25, 3))
    x = lucid.randn(2, 1, 5, 5)
    model(x).sum().backward()
    params = list(model.parameters())
    before = {k: v.numpy().copy() for k, v in model.state_dict().items()}
    assert model.to("twin") is model
    assert list(model.parameters()) == params
    moved = model.state_dict(keep_vars=True)
    assert {t.backend.name for t in moved.values()} == {"twin"}
    assert {p.grad.backend.name for p in model.parameters()} == {"twin"}
    for k, v in moved.items():
        np.testing.assert_array_equal(v.numpy(), before[k], err_msg=k)
    y = model(lucid.tensor(x.numpy(), backend="twin"))
    assert y.backend.name == "twin" and y.shape == (2, 3)
    with pytest.raises(lucid.backends.MixedBackendError):
        model(x)  # x is still on numpy


# -------------------------------------------------------------------------------- repr
def test_repr_is_nested_like_pytorch():
    model = nn.Sequential(nn.Conv2d(3, 8, 3, stride=2, padding=1, bias=False), nn.ReLU(),
                          nn.Sequential(nn.Flatten(), nn.Linear(8, 2)))
    assert repr(model) == (
        "Sequential(\n"
        "  (0): Conv2d(3, 8, kernel_size=(3, 3), stride=(2, 2), padding=(1, 1), bias=False)\n"
        "  (1): ReLU()\n"
        "  (2): Sequential(\n"
        "    (0): Flatten(start_axis=1, end_axis=-1)\n"
        "    (1): Linear(in_features=8, out_features=2, bias=True)\n"
        "  )\n"
        ")"
    )
