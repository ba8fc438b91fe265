"""split_views: a view of each consecutive part of an array, e.g. each recorded example's
spikes in a block of several.

Recorders hand back thousands of per-example arrays at the end of a run. Cutting them with
Python slices costs about 250 ns each (more in a run, where the interpreter's data has left the
cache), most of it in the interpreter rather than in NumPy. Where the system C compiler and
Python's headers are at hand, a small extension module built once (and cached beside the
compiled models) cuts them in one call at about a third of that; elsewhere the slices are cut
in Python, with the same result.
"""
from __future__ import annotations

import importlib.machinery
import importlib.util
import os
import sys
import sysconfig
from typing import Callable, List, Optional, Sequence, Union

import numpy as np
from ..errors import InvalidValueError

#: Set to "0" to always cut views in Python (the native module is then neither built nor used)
NATIVE_VIEWS_ENV = "ML_GENN_NATIVE_VIEWS"

_MODULE_NAME = "_ml_genn_views"

_C_SOURCE = r"""
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>

/* split(array, bounds): [array[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)] for a
   1-D C-contiguous array and int64 bounds, checked to ascend within the array */
static PyObject *split(PyObject *self, PyObject *args) {
    PyObject *array_object, *bounds_object;
    if (!PyArg_ParseTuple(args, "OO", &array_object, &bounds_object)) return NULL;
    if (!PyArray_CheckExact(array_object) || !PyArray_CheckExact(bounds_object)) {
        PyErr_SetString(PyExc_TypeError, "split_views needs NumPy arrays");
        return NULL;
    }
    PyArrayObject *array = (PyArrayObject *)array_object;
    PyArrayObject *bounds = (PyArrayObject *)bounds_object;
    if (PyArray_NDIM(array) != 1 || !PyArray_IS_C_CONTIGUOUS(array)) {
        PyErr_SetString(PyExc_ValueError, "split_views needs a 1-D C-contiguous array");
        return NULL;
    }
    if (PyArray_NDIM(bounds) != 1 || PyArray_TYPE(bounds) != NPY_INT64
            || !PyArray_IS_C_CONTIGUOUS(bounds) || PyArray_DIM(bounds, 0) < 1) {
        PyErr_SetString(PyExc_ValueError, "split_views: bounds must be a non-empty 1-D int64 array");
        return NULL;
    }
    const npy_intp parts = PyArray_DIM(bounds, 0) - 1, length = PyArray_DIM(array, 0);
    const npy_int64 *b = (const npy_int64 *)PyArray_DATA(bounds);
    for (npy_intp k = 0; k <= parts; k++) {
        if (b[k] < 0 || b[k] > length || (k > 0 && b[k] < b[k - 1])) {
            PyErr_Format(PyExc_ValueError, "split_views: bounds must ascend within [0, %zd], "
                         "got %lld at position %zd", length, (long long)b[k], k);
            return NULL;
        }
    }
    PyArray_Descr *descr = PyArray_DESCR(array);
    const npy_intp itemsize = PyArray_ITEMSIZE(array);
    char *data = PyArray_BYTES(array);
    const int writeable = PyArray_FLAGS(array) & NPY_ARRAY_WRITEABLE;
    PyObject *views = PyList_New(parts);
    if (!views) return NULL;
    for (npy_intp k = 0; k < parts; k++) {
        npy_intp size = (npy_intp)(b[k + 1] - b[k]);
        Py_INCREF(descr);   /* the new array takes this reference */
        PyObject *view = PyArray_NewFromDescr(&PyArray_Type, descr, 1, &size, NULL,
                                              data + b[k] * itemsize, writeable, NULL);
        if (!view) { Py_DECREF(views); return NULL; }
        Py_INCREF(array_object);   /* the view's base takes this reference */
        if (PyArray_SetBaseObject((PyArrayObject *)view, array_object) < 0) {
            Py_DECREF(view);
            Py_DECREF(views);
            return NULL;
        }
        PyList_SET_ITEM(views, k, view);
    }
    return views;
}

static PyMethodDef methods[] = {
    {"split", split, METH_VARARGS, "Views of an array between consecutive bounds."},
    {NULL, NULL, 0, NULL}};
static struct PyModuleDef module = {PyModuleDef_HEAD_INIT, "_ml_genn_views", NULL, -1, methods};

PyMODINIT_FUNC PyInit__ml_genn_views(void) {
    import_array();
    return PyModule_Create(&module);
}
"""

_native_split: Optional[Callable] = None
_native_tried = False
#: Why views are cut in Python, once that has been decided (``None`` while native)
native_views_unavailable: Optional[str] = None


def split_views(array: np.ndarray, bounds: Union[np.ndarray, Sequence[int]]) -> List[np.ndarray]:
    """``[array[bounds[k]:bounds[k + 1]] for k in range(len(bounds) - 1)]``: views sharing
    ``array``'s memory.

    Parameters
    ----------
    array
        A 1-D C-contiguous array.
    bounds
        Ascending boundaries within ``[0, len(array)]``, at least one.

    Raises
    ------
    ValueError
        If the bounds do not ascend within the array.
    """
    bounds = np.ascontiguousarray(bounds, dtype=np.int64)
    split = _native_split if _native_tried else _load_native_split()
    if split is not None and type(array) is np.ndarray and array.ndim == 1 \
            and array.flags.c_contiguous:
        return split(array, bounds)
    if bounds.ndim != 1 or bounds.size < 1 or bounds[0] < 0 or bounds[-1] > len(array) \
            or (bounds.size > 1 and bool((bounds[1:] < bounds[:-1]).any())):
        raise InvalidValueError(f"split_views: bounds must ascend within [0, {len(array)}], got "
                                f"{bounds.tolist()}")
    edges = bounds.tolist()
    # A comprehension over pairs: the cheapest way found to cut many slices in Python
    return [array[start:end] for start, end in zip(edges[:-1], edges[1:])]


def _load_native_split() -> Optional[Callable]:
    """Build (once per machine, Python and NumPy) and import the native splitter, or record
    why it is not available."""
    global _native_split, _native_tried, native_views_unavailable
    _native_tried = True
    if os.environ.get(NATIVE_VIEWS_ENV, "1") == "0":
        native_views_unavailable = f"{NATIVE_VIEWS_ENV}=0"
        return None
    try:
        path = _build_extension()
        loader = importlib.machinery.ExtensionFileLoader(_MODULE_NAME, str(path))
        spec = importlib.util.spec_from_file_location(_MODULE_NAME, str(path), loader=loader)
        module = importlib.util.module_from_spec(spec)
        loader.exec_module(module)
        _native_split = module.split
    except Exception as error:   # no compiler, no headers, a failed build: cut in Python
        native_views_unavailable = f"{type(error).__name__}: {error}"
        _native_split = None
    return _native_split


def _build_extension():
    """The extension's path in the build cache, compiled there first if absent. It goes
    through the cpu backend's checked cache, so a damaged cached copy is rebuilt rather than
    imported (a truncated shared object can load and crash the process later)."""
    from ..backends.cpu.build_cache import build_library
    from ..backends.cpu.toolchain import compiler_version, find_c_compiler

    python_include = sysconfig.get_paths()["include"]
    if not os.path.exists(os.path.join(python_include, "Python.h")):
        raise FileNotFoundError(f"Python.h is not in {python_include}")
    compiler = find_c_compiler()
    flags = ["-O2", "-shared", "-fPIC", f"-I{python_include}", f"-I{np.get_include()}"]
    if sys.platform == "darwin":
        # Extension modules find Python's symbols in the interpreter when they are loaded
        flags += ["-undefined", "dynamic_lookup"]
    # The module must match this Python and NumPy as well as the compiler
    version = "\0".join([compiler_version(tuple(compiler)), sys.version, np.__version__])
    path, _ = build_library("ml_genn_views", _C_SOURCE, compiler, version, flags, {})
    return path
