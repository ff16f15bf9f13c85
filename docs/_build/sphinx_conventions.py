"""A griffe extension: read lucid's Sphinx conventions (roles, ``#:`` comments) as Markdown.

**Roles.** The docstrings say ``:func:`lucid.backends.set_backend``` or
``:class:`~lucid.nn.Module``` (readable in ``help()`` and in an editor). Markdown has no
such roles, so mkdocstrings would print the role names literally. Each role becomes an
*optional* mkdocs-autorefs reference: a link where the target has a rendered entry in the
API reference, plain code where it does not (an optional reference never fails the strict
build). Relative names (``:func:`tensor```) are resolved in the scope of the docstring's
object, the way Sphinx does.

**Attribute comments.** A module constant is documented by the ``#:`` comment lines right
above it (Sphinx autodoc's convention); griffe only knows string literals after the
assignment, so an attribute with no docstring takes its ``#:`` comment as one.
"""

from __future__ import annotations

import html
import re
from typing import Any

from griffe import Docstring, Extension, Object

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


def _comment_docstring(obj: Object, sources: dict[str, list[str]]) -> Docstring | None:
    """The ``#:`` lines right above ``obj``'s first line, as a docstring (None if none)."""
    if obj.lineno is None or obj.filepath is None or isinstance(obj.filepath, list):
        return None
    key = str(obj.filepath)
    if key not in sources:
        sources[key] = obj.filepath.read_text(encoding="utf-8").splitlines()
    lines = sources[key]
    comment: list[str] = []
    index = obj.lineno - 2  # the line above, 0-based
    while index >= 0 and lines[index].lstrip().startswith("#:"):
        comment.insert(0, lines[index].lstrip()[2:].strip())
        index -= 1
    if not comment:
        return None
    return Docstring(" ".join(comment), lineno=index + 2, endlineno=obj.lineno - 1,
                     parent=obj)


class SphinxConventions(Extension):
    """Give ``#:``-commented attributes their docstring; turn roles into optional links."""

    def on_package(self, *, pkg: Object, **kwargs: Any) -> None:
        seen: set[int] = set()
        sources: dict[str, list[str]] = {}
        stack: list[Object] = [pkg]
        while stack:
            obj = stack.pop()
            if id(obj) in seen:
                continue
            seen.add(id(obj))
            if obj.is_attribute and obj.docstring is None:
                obj.docstring = _comment_docstring(obj, sources)
            if obj.docstring is not None and ":`" in obj.docstring.value:
                obj.docstring.value = _replace_roles(obj, obj.docstring.value)
            for member in obj.members.values():
                if not member.is_alias:
                    stack.append(member)  # type: ignore[arg-type]
