"""Variable type names of the model language and their NumPy dtypes."""
from __future__ import annotations

import numpy as np

from .errors import ModelSpecError

#: Type names accepted in models, with the C type the cpu backend declares.
C_TYPES = {
    "scalar": "scalar", "float": "float", "double": "double",
    "bool": "bool", "int": "int32_t", "unsigned int": "uint32_t",
    "int8_t": "int8_t", "uint8_t": "uint8_t", "int16_t": "int16_t", "uint16_t": "uint16_t",
    "int32_t": "int32_t", "uint32_t": "uint32_t", "int64_t": "int64_t", "uint64_t": "uint64_t",
}

_NUMPY = {
    "float": np.float32, "double": np.float64, "bool": np.bool_,
    "int": np.int32, "unsigned int": np.uint32, "int8_t": np.int8, "uint8_t": np.uint8,
    "int16_t": np.int16, "uint16_t": np.uint16, "int32_t": np.int32, "uint32_t": np.uint32,
    "int64_t": np.int64, "uint64_t": np.uint64,
}


def normalise_type(type_name: str, owner: str) -> str:
    """Return ``type_name`` in canonical form or raise naming ``owner``."""
    if not isinstance(type_name, str):
        raise ModelSpecError(f"{owner}: type must be a string such as 'scalar', got {type_name!r}")
    name = " ".join(type_name.split())
    if name not in C_TYPES:
        raise ModelSpecError(f"{owner}: unknown type {type_name!r}; expected one of "
                             f"{', '.join(sorted(C_TYPES))}")
    return name


def numpy_dtype(type_name: str, precision: str) -> np.dtype:
    """NumPy dtype of ``type_name`` in a model of ``precision`` ("float" or "double")."""
    if type_name == "scalar":
        type_name = precision
    return np.dtype(_NUMPY[type_name])


def is_pointer_type(type_name: str) -> bool:
    return type_name.strip().endswith("*")
