"""Neural-network building blocks: ``Module``, layers, containers, initialisers, losses."""

from . import functional, init, parallel, utils
from .activation import (
    ELU,
    GELU,
    SELU,
    Hardsigmoid,
    Hardswish,
    LeakyReLU,
    LogSoftmax,
    Mish,
    PReLU,
    ReLU,
    Sigmoid,
    SiLU,
    Softmax,
    Softplus,
    Tanh,
)
from .containers import ModuleDict, ModuleList, ParameterDict, ParameterList, Sequential
from .conv import Conv1d, Conv2d, ConvBNReLU2d, ConvTranspose2d
from .drop_path import DropPath
from .embedding import Embedding
from .hooks import (
    register_module_forward_hook,
    register_module_forward_pre_hook,
    register_module_full_backward_hook,
)
from .linear import Dropout, Dropout2d, Flatten, Identity, Linear, Unflatten
from .loss import (
    BCELoss,
    BCEWithLogitsLoss,
    CrossEntropyLoss,
    HuberLoss,
    KLDivLoss,
    L1Loss,
    MSELoss,
    NLLLoss,
    SmoothL1Loss,
)
from .module import Module, Parameter, StateDictError
from .normalization import BatchNorm1d, BatchNorm2d, GroupNorm, InstanceNorm2d, LayerNorm
from .pooling import AdaptiveAvgPool2d, AdaptiveMaxPool2d, AvgPool2d, MaxPool2d
from .selective_kernel import SelectiveKernel, SelectiveKernelAttention
from .sync_batchnorm import SyncBatchNorm
from .upsampling import Upsample

__all__ = [
    "AdaptiveAvgPool2d", "AvgPool2d", "BatchNorm1d", "BatchNorm2d", "Conv2d", "ConvBNReLU2d",
    "CrossEntropyLoss", "Dropout", "Flatten", "Identity", "Linear", "LogSoftmax", "MSELoss",
    "MaxPool2d", "Module", "ModuleDict", "ModuleList", "Parameter", "ReLU", "SelectiveKernel",
    "SelectiveKernelAttention", "Sequential", "Sigmoid", "Softmax", "StateDictError", "Tanh",
    "functional", "init", "register_module_forward_hook", "register_module_forward_pre_hook",
    "register_module_full_backward_hook", "utils",
]
__all__ += ["BCELoss", "BCEWithLogitsLoss", "HuberLoss", "KLDivLoss", "L1Loss", "NLLLoss",
            "SmoothL1Loss"]
__all__ += ["AdaptiveMaxPool2d", "Conv1d", "ConvTranspose2d", "Dropout2d", "ELU", "Embedding",
            "GELU", "GroupNorm", "Hardsigmoid", "Hardswish", "InstanceNorm2d", "LayerNorm",
            "LeakyReLU", "Mish", "PReLU", "ParameterDict", "ParameterList", "SELU", "SiLU",
            "Softplus", "Unflatten", "Upsample"]
__all__ += ["DropPath"]
__all__ += ["SyncBatchNorm", "parallel"]
