"""An SKNet forward and backward on the array API backend agree with the NumPy backend.

Training-mode batch norm over a batch of two normalises, in the last stage and in every
SK attention squeeze, just two numbers per channel: float32 rounding differences between
two correct implementations are amplified there by orders of magnitude. So the training
step is compared in float64, and float32 is compared in eval mode (running statistics),
where the network is well conditioned.
"""

from __future__ import annotations

import numpy as np
import pytest

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


@pytest.mark.parametrize("dtype,training,rtol", [("float64", True, 1e-5),
                                                 ("float32", False, 1e-4)])
def test_sk_resnet_18_step_matches_numpy_backend(dtype, training, rtol):
    rng = np.random.default_rng(0)
    images = rng.standard_normal((2, 3, 24, 24)).astype(dtype)
    labels = np.array([3, 7])
    lucid.manual_seed(0)
    net = lucid.models.get("sk_resnet_18", num_classes=10)  # built on the NumPy backend
    net.to(dtype).train(training)
    ref_logits, ref_grads = _forward_backward(net, "numpy", images, labels)

    net.to("array_api")
    assert {p.backend.name for p in net.parameters()} == {"array_api"}
    logits, grads = _forward_backward(net, "array_api", images, labels)

    assert logits.shape == (2, 10) and logits.dtype == dtype
    np.testing.assert_allclose(logits, ref_logits, rtol=rtol, atol=rtol)
    assert grads.keys() == ref_grads.keys()
    for name, g in grads.items():
        assert g.dtype == dtype, name
        scale = max(float(np.abs(ref_grads[name]).max()), 1e-6)
        np.testing.assert_allclose(g, ref_grads[name], rtol=rtol, atol=rtol * scale,
                                   err_msg=name)
