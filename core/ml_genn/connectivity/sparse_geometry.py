"""Explicit synapse lists of convolution-like connectivity, computed in NumPy.

Used where the engine's built-in TOEPLITZ kernels do not apply (strides, transposed
convolution, pooling): each synapse is listed with the kernel element whose weight it uses.
Image shapes are ``(height, width, channels)``, flattened channels-last.
"""
from __future__ import annotations

from typing import Tuple

import numpy as np

Indices = Tuple[np.ndarray, np.ndarray, np.ndarray]


def _flat(i, j, c, width, channels):
    return (i * width + j) * channels + c


def conv2d_synapses(in_shape, out_shape, conv_size, strides, pad) -> Indices:
    """Synapses of a (cross-correlation) convolution: (pre, post, kernel element).

    Kernel elements index a ``(kh, kw, in_channels, filters)`` array; ``pad`` is the
    (top, left) zero padding.
    """
    (ih, iw, ic), (oh, ow, oc), (kh, kw), (sh, sw) = in_shape, out_shape, conv_size, strides
    oi, oj, di, dj, c, f = np.meshgrid(np.arange(oh), np.arange(ow), np.arange(kh), np.arange(kw),
                                       np.arange(ic), np.arange(oc), indexing="ij")
    ii, jj = oi * sh + di - pad[0], oj * sw + dj - pad[1]
    valid = (ii >= 0) & (ii < ih) & (jj >= 0) & (jj < iw)
    pre = _flat(ii, jj, c, iw, ic)[valid]
    post = _flat(oi, oj, f, ow, oc)[valid]
    kernel = (((di * kw + dj) * ic + c) * oc + f)[valid]
    return _sorted(pre, post, kernel)


def conv2d_transpose_synapses(in_shape, out_shape, conv_size, strides, crop) -> Indices:
    """Synapses of a transposed convolution: input (i, j, c) feeds output
    ``(i * stride + di - crop, j * stride + dj - crop, f)`` through kernel element
    ``(di, dj, f, c)`` of a ``(kh, kw, filters, in_channels)`` kernel."""
    (ih, iw, ic), (oh, ow, oc), (kh, kw), (sh, sw) = in_shape, out_shape, conv_size, strides
    i, j, di, dj, c, f = np.meshgrid(np.arange(ih), np.arange(iw), np.arange(kh), np.arange(kw),
                                     np.arange(ic), np.arange(oc), indexing="ij")
    oi, oj = i * sh + di - crop[0], j * sw + dj - crop[1]
    valid = (oi >= 0) & (oi < oh) & (oj >= 0) & (oj < ow)
    pre = _flat(i, j, c, iw, ic)[valid]
    post = _flat(oi, oj, f, ow, oc)[valid]
    kernel = (((di * kw + dj) * oc + f) * ic + c)[valid]
    return _sorted(pre, post, kernel)


def avg_pool_map(in_shape, pool_size, strides) -> Tuple[np.ndarray, Tuple[int, int, int]]:
    """For every input neuron the index of the pooled neuron it feeds (-1 for none) and the
    pooled shape (pools do not overlap)."""
    (ih, iw, ic), (ph, pw), (sh, sw) = in_shape, pool_size, strides
    oh, ow = (ih - ph) // sh + 1, (iw - pw) // sw + 1
    i, j, c = np.meshgrid(np.arange(ih), np.arange(iw), np.arange(ic), indexing="ij")
    oi, oj = i // sh, j // sw
    inside = (oi < oh) & (oj < ow) & (i - oi * sh < ph) & (j - oj * sw < pw)
    target = np.where(inside, _flat(oi, oj, c, ow, ic), -1)
    return target.reshape(-1), (oh, ow, ic)


def _sorted(pre, post, kernel) -> Indices:
    order = np.lexsort((post, pre))
    return pre[order].astype(np.int64), post[order].astype(np.int64), kernel[order].astype(np.int64)
