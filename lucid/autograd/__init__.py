"""Reverse-mode automatic differentiation.

:class:`Function` is the one way to define a differentiable op (every built-in op is one);
:func:`gradcheck` compares its gradients with finite differences; :class:`detect_anomaly`
finds the op that made a NaN. This package sits below
:class:`lucid.Tensor` and does not import it.
"""

from .anomaly_mode import (
    detect_anomaly,
    is_anomaly_check_nan_enabled,
    is_anomaly_enabled,
    set_detect_anomaly,
)
from .engine import Node, backward
from .function import Function
from .grad_mode import (
    enable_grad,
    inference_mode,
    is_grad_enabled,
    is_inference_mode_enabled,
    no_grad,
    set_grad_enabled,
)
from .gradcheck import GradcheckError, gradcheck

__all__ = ["Function", "GradcheckError", "Node", "backward", "detect_anomaly", "enable_grad",
           "gradcheck", "inference_mode", "is_anomaly_check_nan_enabled", "is_anomaly_enabled",
           "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "set_detect_anomaly",
           "set_grad_enabled"]
