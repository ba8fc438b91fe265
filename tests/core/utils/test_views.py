"""split_views: per-part views of an array, cut natively where possible, else in Python."""
import os
import sysconfig

import numpy as np
import pytest

from ml_genn.utils import views


@pytest.fixture(params=["native", "python"])
def splitter(request, monkeypatch):
    """split_views forced down one path (the native one built if this machine can)."""
    monkeypatch.setattr(views, "_native_tried", False)
    monkeypatch.setattr(views, "_native_split", None)
    if request.param == "python":
        monkeypatch.setenv(views.NATIVE_VIEWS_ENV, "0")
    else:
        monkeypatch.delenv(views.NATIVE_VIEWS_ENV, raising=False)
    views._load_native_split()
    return request.param


def test_the_native_splitter_is_built_where_python_headers_and_a_compiler_exist(splitter):
    if splitter == "python":
        assert views._native_split is None
        assert views.native_views_unavailable == f"{views.NATIVE_VIEWS_ENV}=0"
        return
    headers = os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h"))
    if headers:
        assert views._native_split is not None, views.native_views_unavailable
    else:
        assert "Python.h" in views.native_views_unavailable


@pytest.mark.parametrize("dtype", [np.float64, np.int64, np.float32, np.uint8, np.bool_])
def test_views_equal_slices_and_share_the_array(splitter, dtype):
    rng = np.random.default_rng(4)
    array = (rng.integers(0, 100, 500) % 3 == 0 if dtype is np.bool_
             else rng.integers(0, 100, 500).astype(dtype))
    bounds = np.sort(np.concatenate([[0, 500, 17, 17, 17], rng.integers(0, 501, 40)]))
    parts = views.split_views(array, bounds)
    assert isinstance(parts, list) and len(parts) == len(bounds) - 1
    for part, start, end in zip(parts, bounds[:-1], bounds[1:]):
        assert type(part) is np.ndarray and part.dtype == array.dtype
        np.testing.assert_array_equal(part, array[start:end])
        assert part.size == 0 or np.shares_memory(part, array)
        assert part.flags.writeable and part.flags.c_contiguous
    # Writing through a view writes the array; the views keep it alive when it is dropped
    nonempty = next(k for k, p in enumerate(parts) if p.size)
    parts[nonempty][0] = array[bounds[nonempty]] if dtype is np.bool_ else 7
    assert array[bounds[nonempty]] == parts[nonempty][0]
    expected = [p.copy() for p in parts]
    del array
    for part, copy in zip(parts, expected):
        np.testing.assert_array_equal(part, copy)


def test_views_of_a_view_and_of_a_read_only_array(splitter):
    base = np.arange(30.0)
    window = base[5:25]
    parts = views.split_views(window, [0, 4, 20])
    np.testing.assert_array_equal(parts[1], np.arange(9.0, 25.0))
    assert np.shares_memory(parts[1], base)
    frozen = np.arange(10)
    frozen.flags.writeable = False
    assert not views.split_views(frozen, [0, 3, 10])[0].flags.writeable
    # Strided arrays and subclasses (memory maps, masked arrays) are cut as slices cut them
    strided = base[::3]
    np.testing.assert_array_equal(views.split_views(strided, [1, 4])[0], strided[1:4])
    masked = np.ma.masked_array(base)
    assert type(views.split_views(masked, [0, 2])[0]) is np.ma.MaskedArray


@pytest.mark.parametrize("bounds", [[0, 5, 3], [0, 31], [-1, 4], []],
                         ids=["descending", "past_the_end", "negative", "none"])
def test_bounds_that_do_not_ascend_within_the_array_are_refused(splitter, bounds):
    with pytest.raises(ValueError, match="bounds must"):
        views.split_views(np.arange(30.0), bounds)


def test_a_damaged_cached_view_extension_is_rebuilt_not_imported(tmp_path):
    """The native splitter lives in the checked build cache: a truncated copy (which could
    import and crash the process later) is rebuilt with a warning."""
    import subprocess
    import sys
    script = ("import warnings, numpy as np\n"
              "warnings.simplefilter('always')\n"
              "from ml_genn.utils import views\n"
              "parts = views.split_views(np.arange(10), np.array([0, 4, 10]))\n"
              "assert views.native_views_unavailable is None, views.native_views_unavailable\n"
              "print([p.tolist() for p in parts])\n")
    env = dict(os.environ, ML_GENN_CACHE_DIR=str(tmp_path))
    first = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, timeout=120)
    assert first.returncode == 0, first.stderr
    [library] = [p for p in tmp_path.iterdir() if p.name.startswith("ml_genn_views_")
                 and p.suffix == ".so"]
    library.write_bytes(library.read_bytes()[:len(library.read_bytes()) // 2])
    second = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                            text=True, timeout=120)
    assert second.returncode == 0, second.stderr      # not killed by a signal
    assert second.stdout.strip() == "[[0, 1, 2, 3], [4, 5, 6, 7, 8, 9]]"
    assert f"The cached library '{library}'" in second.stderr and "rebuilding" in second.stderr
