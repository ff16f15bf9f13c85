"""Extra SKNet variants for lucid, shipped as a separate distribution.

lucid finds these models only through the ``lucid.models`` entry point
``sk_extras = "lucid_sk_extras.models"``: the registry imports that module on its first
lookup, and the module's ``@register_model`` decorators register the presets. Importing
this package itself registers nothing.
"""

__version__ = "0.1.0"
