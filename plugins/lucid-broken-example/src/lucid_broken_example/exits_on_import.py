"""A model plugin module that registers a model, then calls ``sys.exit()`` while importing.

lucid must record the failure instead of exiting, and roll the half-registered model back.
"""

import sys

from lucid.models import register_model


@register_model(family="broken_example")
def exiting_example_net(**overrides):
    """A model that must disappear again when this plugin exits during its import."""
    raise AssertionError("never built: the plugin that registers it is rolled back")


sys.exit("lucid-broken-example: this plugin module calls sys.exit() on import on purpose")
