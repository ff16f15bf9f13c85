"""lucid's dtypes: small named objects that every backend maps onto its native dtypes."""

from __future__ import annotations


class DType:
    """A backend-independent element type, compared by name."""

    __slots__ = ("name", "is_floating", "itemsize")

    def __init__(self, name: str, is_floating: bool, itemsize: int) -> None:
        self.name = name
        self.is_floating = is_floating
        self.itemsize = itemsize

    def __repr__(self) -> str:
        return f"lucid.{self.name}"

    def __eq__(self, other: object) -> bool:
        if isinstance(other, DType):
            return self.name == other.name
        if isinstance(other, str):
            return self.name == other
        return NotImplemented

    def __hash__(self) -> int:
        return hash(self.name)

    def __reduce__(self):  # pickles as the singleton
        return (get_dtype, (self.name,))


#: The 16-bit IEEE float.
float16 = DType("float16", True, 2)
#: The 32-bit IEEE float, the default for float data.
float32 = DType("float32", True, 4)
#: The 64-bit IEEE float.
float64 = DType("float64", True, 8)
#: The 32-bit signed integer.
int32 = DType("int32", False, 4)
#: The 64-bit signed integer, the default for integer data.
int64 = DType("int64", False, 8)
#: The 8-bit unsigned integer (image bytes).
uint8 = DType("uint8", False, 1)
#: Booleans (named ``bool_`` because ``bool`` is Python's).
bool_ = DType("bool", False, 1)

ALL_DTYPES: dict[str, DType] = {
    d.name: d for d in (float16, float32, float64, int32, int64, uint8, bool_)
}
_ALIASES = {"float": float32, "double": float64, "half": float16, "long": int64, "int": int64}

default_float = float32


def get_dtype(dtype: object) -> DType:
    """Return the lucid DType for a DType, a dtype name, or a NumPy-like dtype object."""
    if isinstance(dtype, DType):
        return dtype
    if dtype is bool:
        return bool_
    if dtype is float:
        return float32
    if dtype is int:
        return int64
    name = dtype if isinstance(dtype, str) else getattr(dtype, "name", None)
    if name is None and hasattr(dtype, "__name__"):
        name = dtype.__name__  # e.g. numpy.float32 the type
    if isinstance(name, str):
        if name in ALL_DTYPES:
            return ALL_DTYPES[name]
        if name in _ALIASES:
            return _ALIASES[name]
    raise TypeError(
        f"unsupported dtype {dtype!r}; expected one of {sorted(ALL_DTYPES)} or a lucid dtype"
    )
