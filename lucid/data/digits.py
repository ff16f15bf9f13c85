"""scikit-learn's bundled handwritten digits as a fixed train/test split."""

from __future__ import annotations

import numpy as np

from .loader import Split
from .transforms import resize


def load_digits(image_size: int = 16, test_fraction: float = 0.2,
                seed: int = 0) -> tuple[Split, Split]:
    """scikit-learn's bundled 8×8 handwritten digits (1797 images, 10 classes), resized.

    Returns a fixed, stratified ``(train, test)`` split; pixel values are scaled to [0, 1]
    and standardised with the training set's mean and standard deviation.
    """
    try:
        from sklearn.datasets import load_digits as sk_load_digits
        from sklearn.model_selection import train_test_split
    except ImportError as exc:
        raise ImportError("the digits dataset needs scikit-learn: "
                          "pip install 'lucid[examples]' (or pip install scikit-learn)") from exc
    if not 0.0 < test_fraction < 1.0:
        raise ValueError(f"test_fraction must be in (0, 1), got {test_fraction}")
    digits = sk_load_digits()
    images = digits.images.astype(np.float32) / 16.0
    if image_size != 8:
        images = resize(images, image_size)
    images = images[:, None, :, :].astype(np.float32)
    labels = digits.target.astype(np.int64)
    x_tr, x_te, y_tr, y_te = train_test_split(images, labels, test_size=test_fraction,
                                              random_state=seed, stratify=labels)
    mean, std = float(x_tr.mean()), float(x_tr.std())
    x_tr = ((x_tr - mean) / std).astype(np.float32)
    x_te = ((x_te - mean) / std).astype(np.float32)
    return Split(x_tr, y_tr), Split(x_te, y_te)
