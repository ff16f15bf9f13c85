"""A plugin module whose import fails, as one with a missing or broken dependency would."""

raise RuntimeError("lucid-broken-example: this plugin module fails on import on purpose")
