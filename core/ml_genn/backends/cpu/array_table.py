"""The table of state arrays a generated model works on.

Python allocates every array (NumPy owns the memory) and hands C a struct of pointers
in table order; C never allocates.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Dict, List, Tuple

import numpy as np

from .c_text import c_comment

_C_TYPE = {np.dtype(np.float32): "float", np.dtype(np.float64): "double", np.dtype(np.bool_): "bool",
           np.dtype(np.int8): "int8_t", np.dtype(np.uint8): "uint8_t", np.dtype(np.int16): "int16_t",
           np.dtype(np.uint16): "uint16_t", np.dtype(np.int32): "int32_t", np.dtype(np.uint32): "uint32_t",
           np.dtype(np.int64): "int64_t", np.dtype(np.uint64): "uint64_t"}


@dataclass
class ArraySlot:
    """One array: its C name, dtype, shape and what it holds (``key``)."""
    index: int
    cname: str
    dtype: np.dtype
    shape: Tuple[int, ...]
    key: Tuple[Any, ...]
    zero_on_reset: bool = False
    allocated_at_load: bool = True

    @property
    def ctype(self) -> str:
        return _C_TYPE[np.dtype(self.dtype)]


class ArrayTable:
    """Ordered collection of :class:`ArraySlot` looked up by key."""

    def __init__(self):
        self.slots: List[ArraySlot] = []
        self.by_key: Dict[Tuple[Any, ...], ArraySlot] = {}

    def add(self, key, dtype, shape, zero_on_reset=False) -> ArraySlot:
        slot = ArraySlot(len(self.slots), f"A{len(self.slots)}", np.dtype(dtype),
                         tuple(int(s) for s in shape), key, zero_on_reset)
        self.slots.append(slot)
        self.by_key[key] = slot
        return slot

    def __getitem__(self, key) -> ArraySlot:
        return self.by_key[key]

    def get(self, key):
        return self.by_key.get(key)

    def struct_decl(self) -> str:
        # Keys hold group names, which may be any text
        fields = "\n".join(f"    {s.ctype} *{s.cname}; {c_comment('/'.join(str(k) for k in s.key))}"
                           for s in self.slots)
        return "typedef struct {\n" + (fields or "    void *_unused;") + "\n} Ctx;\n"

    def locals_decl(self) -> str:
        """Local restrict copies of every pointer: lets the C compiler assume no aliasing."""
        return "".join(f"    {s.ctype} *restrict const {s.cname} = _c->{s.cname};\n" for s in self.slots)
