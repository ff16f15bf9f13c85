"""Registers a new model, then one whose name lucid already has: the whole plugin is refused."""

from __future__ import annotations

from lucid.models import register_model


@register_model(family="broken_example")
def broken_example_net(**overrides):
    """A model that must disappear again when this plugin's next registration fails."""
    raise AssertionError("never built: the plugin that registers it is rolled back")


@register_model(family="broken_example")
def sk_resnet_50(**overrides):
    """Clashes with lucid's own sk_resnet_50 (a DuplicateModelError)."""
    raise AssertionError("never built: the clash is refused")
