"""Mapping tables between another library's parameter names and lucid's.

A :class:`KeyMap` is a list of :class:`KeyRule` rows, each pairing a source-name template
with a lucid-name template. ``{s}`` is a stage (1–4), ``{b}``, ``{k}`` and ``{i}`` are
indices, ``{bn}`` is one of ``weight``, ``bias``, ``running_mean``, ``running_var``,
``num_batches_tracked`` and ``{wb}`` is ``weight`` or ``bias`` (:data:`PLACEHOLDERS`). A key
must match exactly one rule, in either direction; nothing is matched by position.

Each model family builds its own table here, beside its code (see
:mod:`lucid.models.resnet` and :mod:`lucid.models.sknet`), and hands it out through a
``key_map()`` method; :mod:`lucid.io.state_dict` uses it through that method. Names only:
this module touches no arrays.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

#: what each placeholder of a rule template may stand for
PLACEHOLDERS: dict[str, str] = {
    "s": r"[1-4]",
    "b": r"\d+",
    "k": r"\d+",
    "i": r"\d+",
    "bn": r"weight|bias|running_mean|running_var|num_batches_tracked",
    "wb": r"weight|bias",
}


@dataclass(frozen=True)
class KeyRule:
    """One row of a mapping table: a source-name template and its lucid-name template."""

    source: str
    lucid: str
    note: str = ""

    def __post_init__(self) -> None:
        names_src = re.findall(r"\{(\w+)\}", self.source)
        names_dst = re.findall(r"\{(\w+)\}", self.lucid)
        if sorted(names_src) != sorted(names_dst) or len(set(names_src)) != len(names_src):
            raise ValueError(f"KeyRule {self.source!r} -> {self.lucid!r}: both templates need "
                             "the same placeholders, each used once")
        unknown = set(names_src) - set(PLACEHOLDERS)
        if unknown:
            raise ValueError(f"KeyRule {self.source!r}: unknown placeholders {sorted(unknown)}; "
                             f"allowed: {sorted(PLACEHOLDERS)}")


def _compile(template: str) -> re.Pattern[str]:
    """A regex that fully matches ``template`` with each ``{name}`` captured."""
    parts = re.split(r"(\{\w+\})", template)
    regex = "".join(f"(?P<{p[1:-1]}>{PLACEHOLDERS[p[1:-1]]})" if p.startswith("{")
                    else re.escape(p) for p in parts)
    return re.compile(regex)


class KeyMap:
    """A mapping table between one source naming and lucid's, usable in both directions."""

    def __init__(self, naming: str, rules: Sequence[KeyRule]) -> None:
        self.naming = naming
        self.rules = tuple(rules)
        self._to_lucid = [(_compile(r.source), r.lucid, r) for r in self.rules]
        self._to_source = [(_compile(r.lucid), r.source, r) for r in self.rules]

    @staticmethod
    def _apply(key: str, table: list[tuple[re.Pattern[str], str, KeyRule]],
               direction: str) -> str | None:
        hits = [(m, out) for pattern, out, _ in table if (m := pattern.fullmatch(key))]
        if not hits:
            return None
        if len(hits) > 1:  # a table bug, never a user error: refuse rather than pick one
            raise RuntimeError(f"mapping table is ambiguous for {direction} key {key!r}")
        match, template = hits[0]
        return template.format(**match.groupdict())

    def to_lucid(self, key: str) -> str | None:
        """The lucid name of source key ``key``, or None when no rule matches it."""
        return self._apply(key, self._to_lucid, "source")

    def to_source(self, key: str) -> str | None:
        """The source name of lucid key ``key``, or None when no rule matches it."""
        return self._apply(key, self._to_source, "lucid")

    def __repr__(self) -> str:
        return f"KeyMap({self.naming!r}, {len(self.rules)} rules)"


__all__ = ["PLACEHOLDERS", "KeyMap", "KeyRule"]
