"""Data on the host: datasets as NumPy arrays, preprocessing, and a loader that batches them.

* :mod:`lucid.data.loader` — :class:`Split` (images and labels) and :class:`DataLoader`,
  which turns a split into mini-batches of tensors on a backend;
* :mod:`lucid.data.digits` — :func:`load_digits`, scikit-learn's bundled digits;
* :mod:`lucid.data.transforms` — image preprocessing on NumPy arrays (resize, crop,
  normalise, the ImageNet pipeline) and the bundled ImageNet labels with ``classify``.
"""

from __future__ import annotations

from . import transforms
from .digits import load_digits
from .loader import DataLoader, Split

__all__ = ["DataLoader", "Split", "load_digits", "transforms"]
