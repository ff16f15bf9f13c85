"""MkDocs hook: fill the documentation's markers with what lucid computes at build time.

A marker is an HTML comment alone on its line, replaced in ``on_page_markdown``:

* ``<!-- lucid: mermaid PRESET -->`` — a ```mermaid fence holding
  ``lucid.visual.build_module_mermaid_chart(lucid.models.get(PRESET), (1, 3, 224, 224),
  depth=3)``, so the diagram is always the model's, never a pasted copy;
* ``<!-- lucid: presets FAMILY -->`` — the table of lucid's presets of that family: default
  weights, parameters and GMACs at 1×3×224×224 (``lucid.count_flops``);
* ``<!-- lucid: config CLASS -->`` — the fields of the config dataclass
  ``lucid.models.CLASS``: name, type, default and the meaning its docstring's
  ``Attributes:`` section gives (a field without one fails the build);
* ``<!-- lucid: signature OBJECT -->`` — a Python fence with ``lucid.models.OBJECT``'s
  call signature.

A marker of another kind, a malformed one or an unknown argument fails the build with the
page's name. Results are cached for one build (counting GMACs of a family takes seconds) and
recomputed at the next (``on_pre_build`` clears the cache, so ``mkdocs serve`` stays fresh).
tests/test_docs_hooks.py checks the output against lucid built independently, and
tests/mermaid/extract_charts.py takes the charts ``nox -s mermaid`` renders from here.
"""

from __future__ import annotations

import dataclasses
import functools
import html
import inspect
import re
import textwrap
from collections.abc import Callable
from typing import Any

#: a whole-line marker: ``<!-- lucid: KIND ARG -->``
MARKER = re.compile(r"^<!-- lucid: (?P<kind>[a-z-]+) (?P<arg>[\w.]+) -->[ \t]*$", re.M)
#: anything that looks like the start of a marker, to catch malformed ones
MARKER_START = re.compile(r"^[ \t]*<!--\s*lucid\s*:.*$", re.M)
#: the input every generated chart and GMAC count uses
INPUT_SHAPE = (1, 3, 224, 224)
CHART_DEPTH = 3


class MarkerError(ValueError):
    """A marker the hook cannot fill: unknown kind, malformed, or an unknown argument."""


# ---------------------------------------------------------------------- generated parts
@functools.cache
def mermaid_chart(preset: str) -> str:
    """A ```mermaid fence with lucid's chart of ``preset`` (depth 3, 1×3×224×224)."""
    import lucid.models as models
    from lucid.visual import build_module_mermaid_chart

    if not models.is_model(preset):
        raise MarkerError(f"mermaid: {preset!r} is not a lucid model; known: "
                          f"{', '.join(models.list_models())}")
    chart = build_module_mermaid_chart(models.get(preset), INPUT_SHAPE, depth=CHART_DEPTH)
    return f"```mermaid\n{chart.rstrip()}\n```"


def _family_presets(family: str) -> list[str]:
    """lucid's own presets of ``family`` (plugins' models are documented by the plugins)."""
    import lucid.models as models

    families = models.list_families()
    if family not in families:
        raise MarkerError(f"presets: unknown model family {family!r}; known: "
                          f"{', '.join(families)}")
    names = [n for n in models.list_models(family=family)
             if models.model_entry(n).source == "lucid"]
    return sorted(names, key=lambda n: [int(t) if t.isdigit() else t
                                        for t in re.split(r"(\d+)", n)])


def _default_weights(name: str) -> str:
    """The Hub repo ``get(name, pretrained=True)`` loads, or a dash when there is none."""
    import lucid.models as models

    entry = models.model_entry(name)
    tags = entry.tags(pretrained=True)
    if not tags:
        return "—"
    hub_id = entry.pretrained_cfgs[tags[0]].get("hf_hub_id")
    return f"`{hub_id}`" if hub_id else f"`{name}.{tags[0]}`"


@functools.cache
def presets_table(family: str) -> str:
    """Markdown table of ``family``'s presets: default weights, parameters, GMACs."""
    import lucid
    import lucid.models as models

    shape = "×".join(str(d) for d in INPUT_SHAPE)
    lines = [f"| preset | default pretrained weights | parameters | GMACs ({shape}) |",
             "|---|---|---:|---:|"]
    for name in _family_presets(family):
        model = models.get(name)
        params = sum(p.numel() for p in model.parameters())
        macs = lucid.count_flops(model, INPUT_SHAPE).macs
        lines.append(f"| `{name}` | {_default_weights(name)} | {params:,} | "
                     f"{macs / 1e9:.2f} |")
    return "\n".join(lines)


def _resolve(name: str) -> Any:
    """``lucid.models.NAME`` (or a dotted path inside ``lucid``)."""
    import importlib

    import lucid.models as models

    if "." not in name:
        if not hasattr(models, name):
            raise MarkerError(f"lucid.models has no {name!r}")
        return getattr(models, name)
    module_name, _, attr = name.rpartition(".")
    if not module_name.startswith("lucid"):
        raise MarkerError(f"{name!r} is not inside lucid")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise MarkerError(f"cannot import {module_name!r} for {name!r}: {exc}") from exc
    if not hasattr(module, attr):
        raise MarkerError(f"{module_name} has no {attr!r}")
    return getattr(module, attr)


def docstring_attributes(cls: type) -> dict[str, str]:
    """Field meanings from the ``Attributes:`` sections of ``cls`` and its bases (a subclass's
    entry wins), each joined into one line."""
    meanings: dict[str, str] = {}
    for klass in reversed(cls.__mro__):
        doc = inspect.cleandoc(klass.__dict__.get("__doc__") or "")
        section = re.search(r"^Attributes:\n((?:[ \t]+.*\n?|\n)*)", doc, re.M)
        if section is None:
            continue
        body = textwrap.dedent(section.group(1))
        for entry in re.finditer(r"^(\w+)(?: \([^)]*\))?:[ \t]*(.*(?:\n[ \t]+.*)*)", body, re.M):
            meanings[entry.group(1)] = " ".join(entry.group(2).split())
    return meanings


def _code(text: str) -> str:
    """``text`` as inline code that is safe in a Markdown table cell: an HTML ``<code>`` with
    ``|`` as an entity (a backslash-escaped pipe inside backticks would show its backslash)."""
    return f"<code>{html.escape(text, quote=False).replace('|', '&#124;')}</code>"


def _default(field: dataclasses.Field[Any]) -> str:
    if field.default is not dataclasses.MISSING:
        return _code(repr(field.default))
    if field.default_factory is not dataclasses.MISSING:
        return _code(repr(field.default_factory()))
    return "required"


def _cell(text: str) -> str:
    """Prose ``text`` safe inside a Markdown table cell."""
    return text.replace("|", "\\|")


@functools.cache
def config_table(name: str) -> str:
    """Markdown table of the config dataclass ``name``: field, type, default, meaning."""
    cls = _resolve(name)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise MarkerError(f"config: {name!r} is not a dataclass")
    meanings = docstring_attributes(cls)
    fields = dataclasses.fields(cls)
    missing = [f.name for f in fields if f.name not in meanings]
    if missing:
        raise MarkerError(f"config: {name} has no documented meaning for "
                          f"{', '.join(missing)}; add them to its docstring's Attributes: "
                          f"section")
    lines = ["| field | type | default | meaning |", "|---|---|---|---|"]
    for f in fields:
        kind = f.type if isinstance(f.type, str) else getattr(f.type, "__name__", repr(f.type))
        lines.append(f"| `{f.name}` | {_code(kind)} | {_default(f)} | "
                     f"{_cell(meanings[f.name])} |")
    return "\n".join(lines)


def _parameter(p: inspect.Parameter) -> str:
    """``p`` as written in source: annotations unquoted (lucid uses postponed evaluation)."""
    text = str(p.replace(annotation=p.empty, default=p.empty))
    if p.annotation is not p.empty:
        ann = p.annotation if isinstance(p.annotation, str) else \
            inspect.formatannotation(p.annotation)
        text += f": {ann}"
    if p.default is not p.empty:
        text += f"{' = ' if p.annotation is not p.empty else '='}{p.default!r}"
    return text


@functools.cache
def signature(name: str) -> str:
    """A Python fence with the call signature of ``lucid.models.NAME``."""
    obj = _resolve(name)
    if not callable(obj):
        raise MarkerError(f"signature: {name!r} is not callable")
    qualified = name if "." in name else f"lucid.models.{name}"
    try:
        sig = inspect.signature(obj)
    except (TypeError, ValueError) as exc:
        raise MarkerError(f"signature: no signature for {name!r}: {exc}") from exc
    params: list[str] = []
    for p in sig.parameters.values():
        if p.kind is p.KEYWORD_ONLY and not any(x.startswith("*") for x in params):
            params.append("*")
        params.append(_parameter(p))
    head = "class " if isinstance(obj, type) else "def "
    if len(", ".join(params)) + len(qualified) < 80:
        return f"```python\n{head}{qualified}({', '.join(params)})\n```"
    body = "".join(f"    {p},\n" for p in params)
    return f"```python\n{head}{qualified}(\n{body})\n```"


#: marker kind -> what fills it
MAKERS: dict[str, Callable[[str], str]] = {
    "mermaid": mermaid_chart, "presets": presets_table, "config": config_table,
    "signature": signature}


def clear_cache() -> None:
    """Forget every computed part (the models or their code may have changed)."""
    for maker in MAKERS.values():
        maker.cache_clear()  # type: ignore[attr-defined]


def render(markdown: str, where: str = "<page>") -> str:
    """``markdown`` with every marker replaced; MarkerError (naming ``where``) otherwise."""
    for line in MARKER_START.finditer(markdown):
        if not MARKER.fullmatch(line.group(0).strip()):
            raise MarkerError(f"{where}: malformed lucid marker {line.group(0).strip()!r}; "
                              f"expected '<!-- lucid: KIND ARG -->' alone on its line with "
                              f"KIND one of {', '.join(MAKERS)}")

    def fill(match: re.Match[str]) -> str:
        kind, arg = match.group("kind"), match.group("arg")
        if kind not in MAKERS:
            raise MarkerError(f"{where}: unknown lucid marker kind {kind!r} in "
                              f"{match.group(0).strip()!r}; expected one of {', '.join(MAKERS)}")
        try:
            return MAKERS[kind](arg)
        except MarkerError as exc:
            raise MarkerError(f"{where}: {exc}") from exc

    return MARKER.sub(fill, markdown)


# ---------------------------------------------------------------------- MkDocs events
def on_pre_build(config: Any, **kwargs: Any) -> None:
    """Start every build with an empty cache."""
    clear_cache()


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any,
                     **kwargs: Any) -> str:
    """Fill the page's markers; a bad marker aborts the build (MkDocs' PluginError)."""
    from mkdocs.exceptions import PluginError

    try:
        return render(markdown, page.file.src_path)
    except MarkerError as exc:
        raise PluginError(str(exc)) from exc
