"""lucid's NumPy backend plugin (CPU), registered through the ``lucid.backends`` entry point."""

from __future__ import annotations

import numpy as np

from lucid.backends import API_VERSION

from . import _kernels as K
from . import _parallel as P
from ._arraymodule import ArrayModuleBackend

__all__ = ["ArrayModuleBackend", "NumPyBackend"]


class NumPyBackend(ArrayModuleBackend):
    """The default CPU backend: NumPy arrays, BLAS matmul, im2col convolution."""

    name = "numpy"
    api_version = API_VERSION
    xp = np

    def to_numpy(self, a):
        return np.asarray(a)

    # Element-wise ops on large same-shape operands are split over a thread pool (see
    # _parallel.py); the result is bit-identical, small or broadcast operands take np directly.
    def add(self, a, b):
        return P.ufunc(np.add, a, b)

    def subtract(self, a, b):
        return P.ufunc(np.subtract, a, b)

    def multiply(self, a, b):
        return P.ufunc(np.multiply, a, b)

    def divide(self, a, b):
        return P.ufunc(np.true_divide, a, b)

    def negative(self, a):
        return P.ufunc(np.negative, a)

    def maximum(self, a, b):
        return P.ufunc(np.maximum, a, b)

    def minimum(self, a, b):
        return P.ufunc(np.minimum, a, b)

    def relu(self, a):
        return P.ufunc(np.maximum, a, 0)

    def greater(self, a, b):
        return P.ufunc(np.greater, a, b)

    def less(self, a, b):
        return P.ufunc(np.less, a, b)

    def where(self, cond, a, b):
        return P.where(cond, a, b)

    # Fast NN kernels (see _kernels.py); the interface's reference versions stay reachable
    # through lucid.backends.use_reference_kernels / LUCID_REFERENCE_KERNELS=1.
    def conv2d(self, x, w, stride, padding, dilation, groups):
        return K.conv2d(np, x, w, stride, padding, dilation, groups)

    def conv2d_grad_input(self, gy, w, x_shape, stride, padding, dilation, groups):
        return K.conv2d_grad_input(np, gy, w, x_shape, stride, padding, dilation, groups)

    def conv2d_grad_weight(self, gy, x, w_shape, stride, padding, dilation, groups):
        return K.conv2d_grad_weight(np, gy, x, w_shape, stride, padding, dilation, groups)

    def max_pool2d(self, x, kernel, stride, padding):
        return K.max_pool2d(np, x, kernel, stride, padding)

    def max_pool2d_grad(self, gy, argmax, x_shape, kernel, stride, padding):
        return K.max_pool2d_grad(np, gy, argmax, x_shape, kernel, stride, padding)

    def avg_pool2d(self, x, kernel, stride, padding):
        return K.avg_pool2d(np, x, kernel, stride, padding)

    def avg_pool2d_grad(self, gy, x_shape, kernel, stride, padding):
        return K.avg_pool2d_grad(np, gy, x_shape, kernel, stride, padding)

    def batch_norm_train(self, x, gamma, beta, eps):
        return K.batch_norm_train(np, x, gamma, beta, eps)

    def batch_norm_grad(self, gy, x, gamma, mean, invstd):
        return K.batch_norm_grad(np, gy, x, gamma, mean, invstd)

    def softmax(self, x, axis):
        return K.softmax(np, x, axis)

    def log_softmax(self, x, axis):
        return K.log_softmax(np, x, axis)
