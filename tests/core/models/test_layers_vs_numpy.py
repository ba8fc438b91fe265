"""Dense, one-to-one, convolution and pooling layers against NumPy.

Inputs are IntegrateFireInput neurons with threshold 0.5 fed 0/1 data: each input with value 1
spikes in the first timestep, and its spike reaches the IF outputs in the second. With the
``var`` readout after 2 timesteps the outputs' voltages are exactly the weighted sums.
"""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import (AvgPool2D, AvgPoolConv2D, AvgPoolDense2D, Conv2D,
                                  Conv2DTranspose, Dense, OneToOne)
from ml_genn.neurons import IntegrateFire, IntegrateFireInput


def run_layer(in_shape, connectivity, x, batch_size=3):
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=0.5), in_shape)
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"))
        Connection(inp, out, connectivity)
    compiled = InferenceCompiler(evaluate_timesteps=2, reset_in_syn_between_batches=True, batch_size=batch_size).compile(net)
    with compiled:
        y, _ = compiled.predict({inp: x}, out, callbacks=[])
    return y.reshape(len(x), -1)


def binary(rng, shape):
    return (rng.random(shape) < 0.5).astype(np.float32)


def conv_numpy(x, kernel, strides, padding):
    """Cross-correlation (TensorFlow's Conv2D) of channels-last images."""
    n, ih, iw, ic = x.shape
    kh, kw, _, oc = kernel.shape
    sh, sw = strides
    if padding == "same":
        oh, ow = -(-ih // sh), -(-iw // sw)
        ph, pw = max((oh - 1) * sh + kh - ih, 0), max((ow - 1) * sw + kw - iw, 0)
        x = np.pad(x, ((0, 0), (ph // 2, ph - ph // 2), (pw // 2, pw - pw // 2), (0, 0)))
    else:
        oh, ow = (ih - kh) // sh + 1, (iw - kw) // sw + 1
    y = np.zeros((n, oh, ow, oc))
    for i in range(oh):
        for j in range(ow):
            patch = x[:, i * sh:i * sh + kh, j * sw:j * sw + kw, :]
            y[:, i, j, :] = np.tensordot(patch, kernel, axes=([1, 2, 3], [0, 1, 2]))
    return y


def pool_numpy(x, size, strides):
    n, ih, iw, c = x.shape
    oh, ow = (ih - size[0]) // strides[0] + 1, (iw - size[1]) // strides[1] + 1
    y = np.zeros((n, oh, ow, c))
    for i in range(oh):
        for j in range(ow):
            y[:, i, j] = x[:, i * strides[0]:i * strides[0] + size[0],
                           j * strides[1]:j * strides[1] + size[1]].mean(axis=(1, 2))
    return y


def test_dense_gives_x_matmul_w():
    rng = np.random.default_rng(1)
    w = rng.normal(size=(6, 4))
    x = binary(rng, (5, 6))  # 5 examples, batch 3: a short last batch
    np.testing.assert_allclose(run_layer(6, Dense(w), x), x @ w, rtol=1e-5, atol=1e-5)


def test_one_to_one_gives_x_times_weight():
    rng = np.random.default_rng(2)
    w = rng.normal(size=7)
    x = binary(rng, (4, 7))
    np.testing.assert_allclose(run_layer(7, OneToOne(w), x), x * w, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("strides,padding", [((1, 1), "valid"), ((1, 1), "same"),
                                             ((2, 2), "valid"), ((2, 1), "same")])
def test_conv2d_against_numpy(strides, padding):
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=(3, 3, 2, 3))
    x = binary(rng, (4, 6, 5, 2))
    y = run_layer((6, 5, 2), Conv2D(kernel, 3, 3, conv_strides=strides, conv_padding=padding), x)
    expected = conv_numpy(x, kernel, strides, padding).reshape(len(x), -1)
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


def conv_transpose_numpy(x, kernel, strides, out_shape, crop):
    n, ih, iw, ic = x.shape
    kh, kw, oc, _ = kernel.shape
    full = np.zeros((n, (ih - 1) * strides[0] + kh + out_shape[0], (iw - 1) * strides[1] + kw + out_shape[1], oc))
    for i in range(ih):
        for j in range(iw):
            full[:, i * strides[0]:i * strides[0] + kh, j * strides[1]:j * strides[1] + kw] += \
                np.einsum("nc,hwfc->nhwf", x[:, i, j], kernel)
    return full[:, crop[0]:crop[0] + out_shape[0], crop[1]:crop[1] + out_shape[1]]


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_conv2d_transpose_against_numpy(padding):
    rng = np.random.default_rng(4)
    kernel = rng.normal(size=(3, 3, 2, 2))  # (kh, kw, filters, in channels)
    x = binary(rng, (3, 4, 4, 2))
    conn = Conv2DTranspose(kernel, 2, 3, conv_strides=2, conv_padding=padding)
    y = run_layer((4, 4, 2), conn, x)
    out_shape = (9, 9) if padding == "valid" else (8, 8)
    crop = (0, 0) if padding == "valid" else (0, 0)
    expected = conv_transpose_numpy(x, kernel, (2, 2), out_shape, crop)
    np.testing.assert_allclose(y, expected.reshape(len(x), -1), rtol=1e-5, atol=1e-5)


def test_avg_pool_2d_against_numpy():
    rng = np.random.default_rng(5)
    x = binary(rng, (3, 6, 4, 2))
    y = run_layer((6, 4, 2), AvgPool2D(2), x)
    np.testing.assert_allclose(y, pool_numpy(x, (2, 2), (2, 2)).reshape(len(x), -1), atol=1e-6)


def test_avg_pool_dense_2d_against_numpy():
    rng = np.random.default_rng(6)
    w = rng.normal(size=(3 * 2 * 2, 5))
    x = binary(rng, (3, 6, 4, 2))
    y = run_layer((6, 4, 2), AvgPoolDense2D(w, 2), x)
    expected = pool_numpy(x, (2, 2), (2, 2)).reshape(len(x), -1) @ w
    np.testing.assert_allclose(y, expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("conv_strides", [1, 2])
def test_avg_pool_conv_2d_against_numpy(conv_strides):
    rng = np.random.default_rng(7)
    kernel = rng.normal(size=(3, 3, 2, 3))
    x = binary(rng, (3, 8, 8, 2))
    conn = AvgPoolConv2D(kernel, 3, 2, 3, conv_strides=conv_strides, conv_padding="same")
    y = run_layer((8, 8, 2), conn, x)
    pooled = pool_numpy(x, (2, 2), (2, 2))
    expected = conv_numpy(pooled, kernel, (conv_strides, conv_strides), "same")
    np.testing.assert_allclose(y, expected.reshape(len(x), -1), rtol=1e-5, atol=1e-5)
