"""An SKNet trains one step on the array API backend exactly as on the NumPy backend."""

from __future__ import annotations

import numpy as np

import lucid
import lucid.models
import lucid.nn.functional as F


def _forward_backward(net, backend: str, images: np.ndarray, labels: np.ndarray):
    """Return the logits and every parameter gradient of one cross-entropy step, on the host."""
    net.zero_grad()
    logits = net(lucid.tensor(images, backend=backend))
    F.cross_entropy(logits, lucid.tensor(labels, backend=backend)).backward()
    grads = {name: p.grad.numpy() for name, p in net.named_parameters()}
    return logits.numpy(), grads


def test_sk_resnet_18_forward_backward_matches_numpy_backend():
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 3, 32, 32)).astype(np.float32)
    labels = np.array([3, 7])
    lucid.manual_seed(0)
    net = lucid.models.get("sk_resnet_18", num_classes=10)  # built on the NumPy backend
    ref_logits, ref_grads = _forward_backward(net, "numpy", images, labels)

    net.to("array_api")
    assert {p.backend.name for p in net.parameters()} == {"array_api"}
    logits, grads = _forward_backward(net, "array_api", images, labels)

    assert logits.shape == (2, 10) and logits.dtype == np.float32
    np.testing.assert_allclose(logits, ref_logits, rtol=1e-4, atol=1e-4)
    assert grads.keys() == ref_grads.keys()
    for name, g in grads.items():
        scale = max(float(np.abs(ref_grads[name]).max()), 1e-3)
        np.testing.assert_allclose(g, ref_grads[name], rtol=1e-3, atol=1e-4 * scale,
                                   err_msg=name)
