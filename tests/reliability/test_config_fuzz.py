"""Fuzzing the model configs: every ResNetConfig/SKNetConfig is refused when built, or works.

Hypothesis draws configs over every field — each field from its valid range, and in half
of the examples one field replaced by a wrong value (wrong type, out of range, unknown
choice). The property: constructing the config raises a ValueError/TypeError whose message
names a config field, OR the model builds and a training-mode forward on a 32×32 batch of
two gives the right output shape and a backward pass runs. An exception anywhere else (a
conv refusing its groups, a batch norm of zero channels, ...) means a combination the
config's validation missed. Small widths and one or two blocks per stage keep each example
quick; the run is derandomised so CI sees the same examples every time.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Any

import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, event, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import lucid  # noqa: E402
from lucid.models import ResNet, ResNetConfig, SKNet, SKNetConfig  # noqa: E402

BATCH, SIZE = 2, 32

small_int = st.integers(min_value=1, max_value=4)
# mostly widths that split among 2 or 3 branches, sometimes any (to reach the odd ones)
width = st.one_of(st.sampled_from([6, 12, 24]), st.integers(min_value=1, max_value=24))

#: field -> (valid values, wrong values); the SK-only fields are used for SKNetConfig
VALID: dict[str, st.SearchStrategy[Any]] = {
    "block": st.sampled_from(["basic", "bottleneck"]),
    "layers": st.tuples(*[st.integers(1, 2)] * 4),
    "num_classes": st.integers(0, 5),
    "in_channels": st.integers(1, 4),
    "stem_type": st.sampled_from([None, "deep", "small"]),
    "stem_width": width,
    "avg_down": st.booleans(),
    "channels": st.tuples(*[width] * 4),
    "block_args": st.one_of(st.none(), st.just({}),
                            st.fixed_dictionaries({"attn_channels": st.integers(1, 8)})),
    "base_width": st.one_of(st.sampled_from([64, 4]), st.integers(1, 128)),
    "cardinality": small_int,
    "zero_init_last": st.booleans(),
    "drop_rate": st.floats(0.0, 0.9),
    "drop_path_rate": st.floats(0.0, 1.0),
    "global_pool": st.sampled_from(["avg", "max", "avgmax", "catavgmax", ""]),
    "kernel_sizes": st.lists(st.sampled_from([1, 3, 5, 7]), min_size=2, max_size=3),
    "attn_ratio": st.floats(0.01, 1.0),
    "attn_divisor": st.integers(1, 16),
    "attn_min": st.one_of(st.none(), st.integers(1, 16)),
    "split_input": st.booleans(),
    "dilated_kernels": st.booleans(),
}
WRONG: dict[str, st.SearchStrategy[Any]] = {
    "block": st.sampled_from(["wide", "", 2, None]),
    "layers": st.sampled_from([(1, 1, 1), (1, 1, 1, 0), (1, 1, 1, -2), "1111", (1, 1, 1.5, 1),
                               (1, 1, 1, True), None]),
    "num_classes": st.sampled_from([-1, 2.0, True, "10", None]),
    "in_channels": st.sampled_from([0, -3, 3.0, False, None]),
    "stem_type": st.sampled_from(["", "tiered", "Deep", 1]),
    "stem_width": st.sampled_from([0, -8, 8.0, True]),
    "avg_down": st.sampled_from([0, 1, "yes", None]),
    "channels": st.sampled_from([(8, 8, 8), (8, 8, 0, 8), (8, -8, 8, 8), (8.0, 8, 8, 8), 8]),
    "block_args": st.one_of(
        st.fixed_dictionaries({"attn_channels": st.integers(-2, 0)}),
        st.sampled_from([{"attn_channels": 2.5}, {"attn_channels": True}, {"colour": 1},
                         "attn", [("attn_channels", 4)]])),
    "base_width": st.sampled_from([0, -64, 64.0, True]),
    "cardinality": st.sampled_from([0, -1, 2.0, False]),
    "zero_init_last": st.sampled_from([0, 1, "no", None]),
    "drop_rate": st.sampled_from([-0.1, 1.0, 1.5, "0.1", None, float("nan")]),
    "drop_path_rate": st.sampled_from([-0.1, 1.01, "0.2", None, float("nan")]),
    "global_pool": st.sampled_from(["mean", "AVG", None, 0, "fast"]),
    "kernel_sizes": st.sampled_from([(3,), (), (3, 4), (3, 0), (3, -5), (3, 5.0), "35", 3,
                                     (3, True)]),
    "attn_ratio": st.sampled_from([0.0, -0.5, 1.5, "0.5", None, float("nan")]),
    "attn_divisor": st.sampled_from([0, -8, 8.0, True]),
    "attn_min": st.sampled_from([0, -1, 4.0, "4"]),
    "split_input": st.sampled_from([0, 1, "yes", None]),
    "dilated_kernels": st.sampled_from([0, 1, "no", None]),
}
SK_ONLY = ("kernel_sizes", "attn_ratio", "attn_divisor", "attn_min", "split_input",
           "dilated_kernels")


@st.composite
def configs(draw: st.DrawFn) -> tuple[type, dict[str, Any]]:
    """(model class, config keyword arguments): every field valid on its own."""
    sk = draw(st.booleans())
    fields = [f for f in VALID if sk or f not in SK_ONLY]
    kwargs = {f: draw(VALID[f]) for f in fields}
    # (Hypothesis prefers the simplest draw, 0 / False: let that be the buildable choice)
    if kwargs["block"] == "basic" and draw(st.integers(0, 3)) < 3:  # basic blocks' widths
        kwargs.update(cardinality=1, base_width=64)
    if kwargs["global_pool"] == "" and not draw(st.booleans()):  # no pooling: no classifier
        kwargs["num_classes"] = 0
    return (SKNet if sk else ResNet), kwargs


def _names_a_field(message: str, config_cls: type) -> bool:
    fields = [f.name for f in dataclasses.fields(config_cls)]
    return any(_names(message, f) for f in fields)


def _names(message: str, field: str) -> bool:
    return re.search(rf"(?<![A-Za-z_]){re.escape(field)}(?![A-Za-z_])", message) is not None


@settings(max_examples=300, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(configs())
def test_a_config_is_refused_by_name_or_builds_a_working_model(drawn):
    model_cls, kwargs = drawn
    config_cls = SKNetConfig if model_cls is SKNet else ResNetConfig
    try:
        config = config_cls(**kwargs)
    except (ValueError, TypeError) as exc:
        assert _names_a_field(str(exc), config_cls), f"{kwargs}: message names no field: {exc}"
        event(f"refused: {str(exc)[:30]}")
        return
    event(f"built: {config.block}")
    model = model_cls(config).train()  # any failure from here on is a validation gap
    x = lucid.randn(BATCH, config.in_channels, SIZE, SIZE, requires_grad=True)
    out = model(x)
    if config.num_classes > 0:
        expected: tuple[int, ...] = (BATCH, config.num_classes)
    elif config.global_pool:
        expected = (BATCH, model.num_features * (2 if config.global_pool == "catavgmax" else 1))
    else:
        reduction = model.feature_info[-1]["reduction"]
        side = -(-SIZE // reduction)
        expected = (BATCH, model.num_features, side, side)
    assert out.shape == expected, kwargs
    out.sum().backward()
    assert x.grad is not None and x.grad.shape == x.shape


#: a config every field of which is fine, to put one wrong value into
GOOD = dict(block="basic", layers=(1, 1, 1, 1), channels=(8, 8, 16, 16), stem_width=8,
            stem_type="small", kernel_sizes=(3, 5))


@settings(max_examples=200, deadline=None, derandomize=True, database=None)
@given(st.sampled_from(sorted(WRONG)).flatmap(
    lambda f: st.tuples(st.just(f), WRONG[f])))
def test_one_wrong_field_is_refused_naming_that_field(wrong):
    field, value = wrong
    kwargs = dict(GOOD, **{field: value})
    if field in ("cardinality", "base_width"):  # grouped widths need bottleneck blocks
        kwargs["block"] = "bottleneck"
    SKNetConfig(**GOOD)  # the base is fine
    with pytest.raises((ValueError, TypeError)) as info:
        SKNetConfig(**kwargs)
    assert _names(str(info.value), field), f"{field}={value!r}: {info.value}"
