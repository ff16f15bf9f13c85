"""A griffe extension: lucid's docstrings cite objects Sphinx-style; make them links.

The docstrings say ``:func:`lucid.backends.set_backend``` or ``:class:`~lucid.nn.Module```
(readable in ``help()`` and in an editor). Markdown has no such roles, so mkdocstrings would
print the role names literally. Each role becomes an *optional* mkdocs-autorefs reference:
a link where the target has a rendered entry in the API reference, plain code where it does
not (an optional reference never fails the strict build). Relative names (``:func:`tensor```)
are resolved in the scope of the docstring's object, the way Sphinx does.
"""

from __future__ import annotations

import html
import re
from typing import Any

from griffe import Extension, Object

ROLE = re.compile(r":(?:py:)?(?:func|class|meth|mod|attr|data|exc|obj):`(?P<target>[^`]+)`")


def _resolve(obj: Object, target: str) -> str:
    """The full dotted path ``target`` names from ``obj``'s scope (itself if unresolvable)."""
    if target.startswith("lucid.") or target == "lucid":
        return target
    head, _, rest = target.partition(".")
    try:
        full = obj.resolve(head)
    except Exception:  # griffe's NameResolutionError, or an unloaded alias target
        return target
    return f"{full}.{rest}" if rest else full


def _replace_roles(obj: Object, text: str) -> str:
    def link(match: re.Match[str]) -> str:
        target = match["target"].strip()
        shown_short = target.startswith("~")
        target = target.lstrip("~").removesuffix("()")
        display = target.rsplit(".", 1)[-1] if shown_short else target
        if match["target"].strip().endswith("()"):
            display += "()"
        identifier = _resolve(obj, target)
        return (f'<autoref identifier="{html.escape(identifier)}" optional>'
                f"<code>{html.escape(display)}</code></autoref>")

    return ROLE.sub(link, text)


class SphinxRoles(Extension):
    """Rewrite Sphinx cross-reference roles in every docstring of a loaded package."""

    def on_package(self, *, pkg: Object, **kwargs: Any) -> None:
        seen: set[int] = set()
        stack: list[Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.docstring is not None and ":`" in obj.docstring.value:
                obj.docstring.value = _replace_roles(obj, obj.docstring.value)
            for member in obj.members.values():
                if not member.is_alias:
                    stack.append(member)  # type: ignore[arg-type]
