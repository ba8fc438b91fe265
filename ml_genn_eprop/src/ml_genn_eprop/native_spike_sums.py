"""The factorised form's spike sums as a small native kernel, built once with the system C
compiler (the one the cpu backend builds models with) into its build cache.

For every synapse ``(b, i)`` the sum runs over the spikes of presynaptic neuron ``i`` in batch
element ``b``, adding one row of the postsynaptic columns per spike. At SHD's input activity
the spike raster is 99% zeros: a dense product does a hundred times the additions, and a
gather of rows in NumPy writes every added row to memory first (measured slower than the dense
product). Here each spike adds its row straight into the synapse's output row.

Batch elements are shared among the engine's threads (OpenMP), each element's sums made by one
thread in spike order: the same result at any thread count.
"""
from __future__ import annotations

import ctypes
from typing import Callable, Dict, Optional

import numpy as np

_KERNEL = r"""
void spike_sums_{name}(int64_t batch, int64_t num_pre, int64_t width, int64_t num_rows,
                       const {c_type} *restrict trace, const {c_type} *restrict columns,
                       const int64_t *restrict offsets, const int64_t *restrict rows,
                       const int64_t *restrict ids, {c_type} *restrict out, int threads)
{{
    #pragma omp parallel for schedule(static) num_threads(threads)
    for (int64_t b = 0; b < batch; b++) {{
        const {c_type} *restrict first = columns + b * num_rows * width;
        {c_type} *restrict element = out + b * num_pre * width;
        /* Row 0: the presynaptic trace before the batch, weighting the columns' first row */
        for (int64_t i = 0; i < num_pre; i++) {{
            const {c_type} z = trace[b * num_pre + i];
            {c_type} *restrict sum = element + i * width;
            for (int64_t c = 0; c < width; c++) {{
                sum[c] = z * first[c];
            }}
        }}
        /* Each spike adds its step's row */
        for (int64_t s = offsets[b]; s < offsets[b + 1]; s++) {{
            {c_type} *restrict sum = element + ids[s] * width;
            const {c_type} *restrict row = first + rows[s] * width;
            for (int64_t c = 0; c < width; c++) {{
                sum[c] += row[c];
            }}
        }}
    }}
}}
"""

_SOURCE = "#include <stdint.h>\n" + "".join(
    _KERNEL.format(name=name, c_type=c_type) for name, c_type in (("f32", "float"),
                                                                   ("f64", "double")))

_kernels: Optional[Dict[np.dtype, Callable]] = None


def _load() -> Dict[np.dtype, Callable]:
    from ml_genn.backends.cpu.build_cache import build_library
    from ml_genn.backends.cpu.toolchain import build_identity, compile_flags, find_c_compiler
    compiler = find_c_compiler()
    flags = compile_flags(compiler)
    path, _ = build_library("ml_genn_eprop_spike_sums", _SOURCE, compiler,
                            build_identity(compiler, flags), flags, {})
    library = ctypes.CDLL(str(path))
    kernels = {}
    for name, dtype in (("f32", np.float32), ("f64", np.float64)):
        function = getattr(library, f"spike_sums_{name}")
        pointer = np.ctypeslib.ndpointer(dtype=dtype, flags="C_CONTIGUOUS")
        indices = np.ctypeslib.ndpointer(dtype=np.int64, flags="C_CONTIGUOUS")
        function.argtypes = [ctypes.c_int64] * 4 + [pointer, pointer, indices, indices, indices,
                                                    pointer, ctypes.c_int]
        function.restype = None
        kernels[np.dtype(dtype)] = function
    return kernels


def spike_sums_kernel(dtype: np.dtype) -> Callable:
    """The kernel for ``dtype`` (float32 or float64), built on first use.

    Parameters
    ----------
    dtype
        The precision of the columns and the result.
    """
    global _kernels
    if _kernels is None:
        _kernels = _load()
    return _kernels[np.dtype(dtype)]
