"""Seeing a model: a traced forward pass (module hooks), MAC counts and the summary table.

A tool on top of lucid (the top layer in docs/architecture.md): ``lucid.summary`` and
``lucid.count_flops`` are these functions.
"""

from .macs import FlopCount, count_flops, register_macs
from .summary import LayerRow, ModelSummary, summary
from .trace import Call, trace

__all__ = ["Call", "FlopCount", "LayerRow", "ModelSummary", "count_flops", "register_macs",
           "summary", "trace"]
