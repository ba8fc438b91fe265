"""Output-shape inference and weight-shape validation of connectivity, checked against
shapes computed independently by sliding windows over index ranges."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ml_genn import Connection, Network, Population
from ml_genn.connectivity import (AvgPool2D, AvgPoolConv2D, AvgPoolDense2D, Conv2D,
                                  Conv2DTranspose, Dense, FixedProbability, OneToOne)


def _connect(source_shape, connectivity, target_shape=None):
    with Network():
        src = Population("spike_input", source_shape, name="src")
        tgt = Population("integrate_fire", target_shape, name="tgt")
        Connection(src, tgt, connectivity, name="c")
    return tgt.shape


def _windows(size, kernel, stride):
    # Number of window positions that fit entirely inside the input
    return len(range(0, size - kernel + 1, stride))


def _same_windows(size, stride):
    # 'same' padding: one output per stride step starting inside the input
    return len(range(0, size, stride))


dims = st.integers(1, 9)


@settings(max_examples=40, deadline=None)
@given(ih=dims, iw=dims, ic=st.integers(1, 3), kh=st.integers(1, 4), kw=st.integers(1, 4),
       sh=st.integers(1, 3), sw=st.integers(1, 3), filters=st.integers(1, 4),
       same=st.booleans(), flatten=st.booleans())
def test_conv2d_output_shape(ih, iw, ic, kh, kw, sh, sw, filters, same, flatten):
    if not same and (kh > ih or kw > iw):
        with pytest.raises(ValueError, match="Connection 'c'.*larger than its input"):
            _connect((ih, iw, ic), Conv2D(1.0, filters, (kh, kw), conv_strides=(sh, sw)))
        return
    conn = Conv2D(np.zeros((kh, kw, ic, filters)), filters, (kh, kw), flatten=flatten,
                  conv_strides=(sh, sw), conv_padding="same" if same else "valid")
    if same:
        expected = (_same_windows(ih, sh), _same_windows(iw, sw), filters)
    else:
        expected = (_windows(ih, kh, sh), _windows(iw, kw, sw), filters)
    assert _connect((ih, iw, ic), conn) == ((int(np.prod(expected)),) if flatten else expected)


@settings(max_examples=30, deadline=None)
@given(ih=dims, iw=dims, kh=st.integers(1, 4), kw=st.integers(1, 4), sh=st.integers(1, 3),
       sw=st.integers(1, 3), same=st.booleans())
def test_conv2d_transpose_output_shape(ih, iw, kh, kw, sh, sw, same):
    def extent(size, kernel, stride):
        # Rows touched by scattering each input through the kernel, at least size * stride
        touched = {i * stride + k for i in range(size) for k in range(kernel)}
        return max(max(touched) + 1, size * stride)
    conn = Conv2DTranspose(np.zeros((kh, kw, 2, 3)), 2, (kh, kw), conv_strides=(sh, sw),
                           conv_padding="same" if same else "valid")
    expected = ((ih * sh, iw * sw, 2) if same
                else (extent(ih, kh, sh), extent(iw, kw, sw), 2))
    assert _connect((ih, iw, 3), conn) == expected


@settings(max_examples=30, deadline=None)
@given(ih=st.integers(2, 12), iw=st.integers(2, 12), ic=st.integers(1, 3),
       ph=st.integers(1, 3), pw=st.integers(1, 3), extra=st.integers(0, 2))
def test_avg_pool_output_shape_and_weight(ih, iw, ic, ph, pw, extra):
    if ph > ih or pw > iw:
        return
    pool = AvgPool2D((ph, pw), pool_strides=(ph + extra, pw + extra))
    assert pool.weight == pytest.approx(1.0 / (ph * pw))
    expected = (_windows(ih, ph, ph + extra), _windows(iw, pw, pw + extra), ic)
    assert _connect((ih, iw, ic), pool) == expected


def test_avg_pool_conv_and_avg_pool_dense():
    # 10x10 pooled 2x2 -> 5x5, then a 3x3 valid convolution -> 3x3
    assert _connect((10, 10, 2), AvgPoolConv2D(np.zeros((3, 3, 2, 4)), 4, 2, 3)) == (3, 3, 4)
    assert _connect((10, 10, 2), AvgPoolConv2D(1.0, 4, 2, 3, flatten=True)) == (36,)
    # Pool output 5 * 5 * 2 = 50 inputs to the dense part
    assert _connect((10, 10, 2), AvgPoolDense2D(np.zeros((50, 7)), 2)) == (7,)
    with pytest.raises(ValueError, match=r"Connection 'c'.*\(49, 7\), expected \(50, 7\)"):
        _connect((10, 10, 2), AvgPoolDense2D(np.zeros((49, 7)), 2))
    with pytest.raises(ValueError, match=r"\(3, 3, 1, 4\), expected \(3, 3, 2, 4\)"):
        _connect((10, 10, 2), AvgPoolConv2D(np.zeros((3, 3, 1, 4)), 4, 2, 3))


def test_kernel_shape_mismatch_names_expected_and_received():
    with pytest.raises(ValueError, match=r"Connection 'c' \(Population 'src' -> Population "
                                         r"'tgt'\): Conv2D weight array has shape "
                                         r"\(3, 3, 1, 8\), expected \(3, 3, 2, 8\)"):
        _connect((5, 5, 2), Conv2D(np.zeros((3, 3, 1, 8)), 8, 3))
    with pytest.raises(ValueError, match=r"expected \(3, 3, 8, 2\)"):
        _connect((5, 5, 2), Conv2DTranspose(np.zeros((3, 3, 2, 8)), 8, 3))


def test_image_connectivity_needs_a_3d_source():
    with pytest.raises(ValueError, match=r"Conv2D needs a source population of shape \(height, "
                                         r"width, channels\), but Population 'src' has shape "
                                         r"\(25,\)"):
        _connect(25, Conv2D(1.0, 2, 3))


def test_one_to_one_copies_shape_and_checks_sizes():
    assert _connect((2, 3), OneToOne(np.arange(6.0))) == (2, 3)
    with pytest.raises(ValueError, match="same size"):
        _connect(4, OneToOne(1.0), 5)
    with pytest.raises(ValueError, match=r"weight array has shape \(5,\), expected \(4,\)"):
        _connect(4, OneToOne(np.ones(5)))


def test_bad_connectivity_arguments():
    with pytest.raises(ValueError, match="FixedProbability p must be a probability"):
        FixedProbability(1.5, 1.0)
    with pytest.raises(TypeError, match="FixedProbability weight must be a number or an "
                                        "Initializer, not an array"):
        FixedProbability(0.5, np.ones((2, 2)))
    with pytest.raises(ValueError, match="conv_padding must be 'valid' or 'same', got 'full'"):
        Conv2D(1.0, 2, 3, conv_padding="full")
    with pytest.raises(TypeError, match="Conv2D conv_size must be an integer or a pair"):
        Conv2D(1.0, 2, (3, 3, 3))
    with pytest.raises(TypeError, match="Conv2D filters must be a positive integer"):
        Conv2D(1.0, 2.0, 3)
    with pytest.raises(NotImplementedError, match="overlapping pools"):
        AvgPool2D(3, pool_strides=2)
    with pytest.raises(TypeError, match="single .homogeneous. delay"):
        Conv2D(1.0, 2, 3, delay=np.ones(3))
    with pytest.raises(ValueError, match="Dense weight array must have 2 dimensions"):
        _connect(3, Dense(np.ones(3)), 3)


def test_connectivity_by_registered_name_needs_arguments():
    with Network():
        a = Population("spike_input", 2)
        with pytest.raises(TypeError, match="'dense'.*cannot be created from its name"):
            Connection(a, a, "dense")
