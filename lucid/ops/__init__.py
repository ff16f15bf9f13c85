"""Temporary shim while the op table moves here (see lucid/_ops.py)."""

from .._ops import *  # noqa: F401,F403
from .._ops import add, concatenate, flatten, mean, mul, pad, relu, reshape, softmax  # noqa: F401
