"""Containers: ``Sequential``, ``ModuleList``, ``ModuleDict``, ``ParameterList``,
``ParameterDict``."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from .._tensor import Tensor
from .module import Module, Parameter


def _index(i: int, n: int, kind: str) -> int:
    if not isinstance(i, int):
        raise TypeError(f"{kind} indices must be int or slice, got {type(i).__name__}")
    if not -n <= i < n:
        raise IndexError(f"index {i} is out of range for a {kind} of length {n}")
    return i % n


class Sequential(Module):
    """Applies its submodules in order; ``Sequential(m1, m2)`` or ``Sequential(OrderedDict)``."""

    def __init__(self, *modules: Module | Mapping[str, Module]) -> None:
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], Mapping):
            for name, module in modules[0].items():
                self.add_module(name, module)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)  # type: ignore[arg-type]

    def forward(self, x: Any) -> Any:
        """Feed ``x`` through each submodule in turn."""
        for m in self._modules.values():
            x = m(x)
        return x

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        items = list(self._modules.items())
        if isinstance(i, slice):
            return Sequential(OrderedDict(items[i]))
        return items[_index(i, len(items), "Sequential")][1]

    def __setitem__(self, i: int, module: Module) -> None:
        name = list(self._modules)[_index(i, len(self), "Sequential")]
        setattr(self, name, module)

    def __delitem__(self, i: int | slice) -> None:
        names = list(self._modules)
        doomed = names[i] if isinstance(i, slice) else [names[_index(i, len(names), "Sequential")]]
        for name in doomed:
            delattr(self, name)

    def append(self, module: Module) -> Sequential:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self


class ModuleList(Module):
    """A list of submodules, registered under their indices ("0", "1", ...)."""

    def __init__(self, modules: Iterable[Module] | None = None) -> None:
        super().__init__()
        if modules is not None:
            self.extend(modules)

    def _renumber(self, mods: list[Module]) -> None:
        for name in list(self._modules):
            delattr(self, name)
        for i, m in enumerate(mods):
            self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[Module]:
        return iter(self._modules.values())

    def __getitem__(self, i: int | slice) -> Any:
        mods = list(self._modules.values())
        if isinstance(i, slice):
            return ModuleList(mods[i])
        return mods[_index(i, len(mods), "ModuleList")]

    def __setitem__(self, i: int, module: Module) -> None:
        setattr(self, str(_index(i, len(self), "ModuleList")), module)

    def __delitem__(self, i: int | slice) -> None:
        mods = list(self._modules.values())
        del mods[i if isinstance(i, slice) else _index(i, len(mods), "ModuleList")]
        self._renumber(mods)

    def __iadd__(self, modules: Iterable[Module]) -> ModuleList:
        return self.extend(modules)

    def append(self, module: Module) -> ModuleList:
        """Add ``module`` at the end; returns self."""
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules: Iterable[Module]) -> ModuleList:
        """Append each of ``modules``; returns self."""
        for m in modules:
            self.append(m)
        return self

    def insert(self, index: int, module: Module) -> None:
        """Insert ``module`` before position ``index``."""
        mods = list(self._modules.values())
        mods.insert(index, module)
        self._renumber(mods)


class ModuleDict(Module):
    """An ordered mapping of names to submodules."""

    def __init__(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]] | None = None,
                 ) -> None:
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key: str) -> Module:
        try:
            return self._modules[key]
        except KeyError:
            raise KeyError(f"ModuleDict has no key {key!r}; keys: {list(self._modules)}") from None

    def __setitem__(self, key: str, module: Module) -> None:
        self.add_module(key, module)

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._modules)

    def __iter__(self) -> Iterator[str]:
        return iter(self._modules)

    def __contains__(self, key: object) -> bool:
        return key in self._modules

    def keys(self) -> Iterable[str]:
        """The names, in insertion order."""
        return self._modules.keys()

    def values(self) -> Iterable[Module]:
        """The modules, in insertion order."""
        return self._modules.values()

    def items(self) -> Iterable[tuple[str, Module]]:
        """``(name, module)`` pairs, in insertion order."""
        return self._modules.items()

    def update(self, modules: Mapping[str, Module] | Iterable[tuple[str, Module]]) -> None:
        """Add or replace entries from a mapping or an iterable of pairs."""
        pairs = modules.items() if isinstance(modules, Mapping) else modules
        for key, m in pairs:
            self[key] = m

    def pop(self, key: str) -> Module:
        """Remove ``key`` and return its module."""
        m = self[key]
        del self[key]
        return m


class ParameterList(Module):
    """A list of parameters, registered under their indices ("0", "1", ...) as PyTorch's.

    Tensors that are not yet parameters are wrapped in :class:`Parameter` on insertion.
    """

    def __init__(self, values: Iterable[Any] | None = None) -> None:
        super().__init__()
        if values is not None:
            self.extend(values)

    @staticmethod
    def _as_parameter(value: Any) -> Parameter:
        if isinstance(value, Parameter):
            return value
        if isinstance(value, Tensor):
            return Parameter(value)
        raise TypeError(f"ParameterList holds lucid.nn.Parameter or Tensor values, got "
                        f"{type(value).__name__}")

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[Parameter]:
        return iter(self._parameters.values())  # type: ignore[arg-type]

    def __getitem__(self, i: int | slice) -> Any:
        values = list(self._parameters.values())
        if isinstance(i, slice):
            return ParameterList(values[i])
        return values[_index(i, len(values), "ParameterList")]

    def __setitem__(self, i: int, value: Any) -> None:
        self.register_parameter(str(_index(i, len(self), "ParameterList")),
                                self._as_parameter(value))

    def __iadd__(self, values: Iterable[Any]) -> ParameterList:
        return self.extend(values)

    def append(self, value: Any) -> ParameterList:
        """Add ``value`` at the end; returns self."""
        self.register_parameter(str(len(self)), self._as_parameter(value))
        return self

    def extend(self, values: Iterable[Any]) -> ParameterList:
        """Append each of ``values``; returns self."""
        for v in values:
            self.append(v)
        return self

    def extra_repr(self) -> str:
        return "\n".join(f"({i}): Parameter of shape {tuple(p.shape)}"
                         for i, p in enumerate(self))


class ParameterDict(Module):
    """An ordered mapping of names to parameters (the names are the state-dict keys)."""

    def __init__(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]] | None = None,
                 ) -> None:
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key: str) -> Parameter:
        try:
            value = self._parameters[key]
        except KeyError:
            raise KeyError(f"ParameterDict has no key {key!r}; keys: "
                           f"{list(self._parameters)}") from None
        assert value is not None
        return value

    def __setitem__(self, key: str, value: Any) -> None:
        self.register_parameter(key, ParameterList._as_parameter(value))

    def __delitem__(self, key: str) -> None:
        delattr(self, key)

    def __len__(self) -> int:
        return len(self._parameters)

    def __iter__(self) -> Iterator[str]:
        return iter(self._parameters)

    def __contains__(self, key: object) -> bool:
        return key in self._parameters

    def keys(self) -> Iterable[str]:
        """The names, in insertion order."""
        return self._parameters.keys()

    def values(self) -> Iterable[Parameter]:
        """The parameters, in insertion order."""
        return self._parameters.values()  # type: ignore[return-value]

    def items(self) -> Iterable[tuple[str, Parameter]]:
        """``(name, parameter)`` pairs, in insertion order."""
        return self._parameters.items()  # type: ignore[return-value]

    def update(self, parameters: Mapping[str, Any] | Iterable[tuple[str, Any]]) -> None:
        """Add or replace entries from a mapping or an iterable of pairs."""
        pairs = parameters.items() if isinstance(parameters, Mapping) else parameters
        for key, value in pairs:
            self[key] = value

    def pop(self, key: str) -> Parameter:
        """Remove ``key`` and return its parameter."""
        value = self[key]
        del self[key]
        return value

    def extra_repr(self) -> str:
        return "\n".join(f"({k}): Parameter of shape {tuple(p.shape)}" for k, p in self.items())
