"""A griffe extension: a name imported in a package shadows the submodule of the same name.

``lucid/autograd/__init__.py`` does ``from .gradcheck import gradcheck``: at run time
``lucid.autograd.gradcheck`` is then the *function* (the import rebinds the name the
submodule import had set). griffe's static model keeps the submodule under that name, so the
function would be missing from the reference (likewise ``nn.functional.linear``,
``profiling.summary``, ...). After a package is loaded, every such member becomes an alias
of what the package imported, as Python has it.
"""

from __future__ import annotations

from typing import Any

from griffe import Alias, Extension, Module, Object


class ImportShadowing(Extension):
    """Replace a submodule member by the same-named object its package imports."""

    def on_package(self, *, pkg: Object, **kwargs: Any) -> None:
        stack: list[Object] = [pkg]
        while stack:
            module = stack.pop()
            for name, member in list(module.members.items()):
                if member.is_alias or not isinstance(member, Module):
                    continue
                stack.append(member)
                target = module.imports.get(name)
                if target is not None and target != member.path:
                    module.set_member(name, Alias(name, target, parent=module))  # type: ignore[arg-type]
