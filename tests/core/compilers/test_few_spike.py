"""FewSpikeCompiler against the quantised ReLU network computed in NumPy.

Few-spike coding (Stöckl & Maass 2021, as mlGeNN implements it) sends an activation as k binary
digits, most significant first, each sent when what remains of the value reaches it. The NumPy
reference below does exactly that quantisation, layer by layer, with dense products and direct
convolution loops; the compiled network (in double precision) must give the same readouts.
The output population's readout is its summed input over one presentation, which (as in
mlGeNN) holds every digit of its sources but the last, that arrives with the next presentation.
"""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from ml_genn import Connection, Network, Population
from ml_genn.compilers import FewSpikeCompiler
from ml_genn.connectivity import Conv2D, Dense
from ml_genn.neurons import FewSpikeRelu, FewSpikeReluInput, LeakyIntegrateFire
from ml_genn.synapses import Delta, Exponential


# ---------------------------------------------------------------- NumPy reference
def digits(values, alpha, k, signed=False):
    """The value each of the k digits sends, shape (k,) + values.shape."""
    remaining = np.array(values, dtype=np.float64)
    sent = np.zeros((k,) + remaining.shape)
    for p in range(k):
        if signed:
            h = alpha * 2.0 ** (-1 - p // 2)
            if p % 2 == 0:
                fire = remaining >= h
                remaining = np.where(fire, remaining - h, remaining)
                sent[p] = fire * h
            else:
                fire = remaining < -h
                remaining = np.where(fire, remaining + h, remaining)
                sent[p] = -(fire * h)
        else:
            h = alpha * 2.0 ** (-1 - p)
            fire = remaining >= h
            remaining = np.where(fire, remaining - h, remaining)
            sent[p] = fire * h
    return sent


def conv2d(x, kernel, stride, padding):
    """TensorFlow-style 'valid'/'same' cross-correlation of x (H, W, C) with kernel
    (kh, kw, C, F)."""
    h, w, _ = x.shape
    kh, kw, _, f = kernel.shape
    if padding == "same":
        oh, ow = -(-h // stride), -(-w // stride)
        ph = max((oh - 1) * stride + kh - h, 0) // 2
        pw = max((ow - 1) * stride + kw - w, 0) // 2
    else:
        oh, ow = (h - kh) // stride + 1, (w - kw) // stride + 1
        ph = pw = 0
    out = np.zeros((oh, ow, f))
    for oy in range(oh):
        for ox in range(ow):
            for ky in range(kh):
                for kx in range(kw):
                    iy, ix = oy * stride + ky - ph, ox * stride + kx - pw
                    if 0 <= iy < h and 0 <= ix < w:
                        out[oy, ox] += x[iy, ix] @ kernel[ky, kx]
    return out


def reference(x, layers, k, alpha_in, signed):
    """Readout of the last layer for each example of x. ``layers``: (kind, weight, alpha,
    extra) with kind "dense" or ("conv", stride, padding, in_shape)."""
    outputs = []
    for example in x:
        sent = digits(example, alpha_in, k, signed)
        for i, (kind, weight, alpha) in enumerate(layers):
            last = i == len(layers) - 1
            value = (sent[:-1] if last else sent).sum(axis=0)
            if kind[0] == "dense":
                net_input = value @ weight
            else:
                _, stride, padding, in_shape = kind
                net_input = conv2d(value.reshape(in_shape), weight, stride, padding).reshape(-1)
            if last:
                outputs.append(net_input)
            else:
                sent = digits(net_input, alpha, k)
        # (an input-only network is not built here)
    return np.array(outputs)


def build(num_inputs, layers, k, alpha_in, signed, out_shapes):
    net = Network()
    with net:
        inp = Population(FewSpikeReluInput(k=k, alpha=alpha_in, signed_input=signed),
                         num_inputs)
        source = inp
        for i, ((kind, weight, alpha), shape) in enumerate(zip(layers, out_shapes)):
            last = i == len(layers) - 1
            pop = Population(FewSpikeRelu(k=k, alpha=alpha, readout="var" if last else None),
                             shape)
            if kind[0] == "dense":
                connectivity = Dense(weight)
            else:
                _, stride, padding, _ = kind
                connectivity = Conv2D(weight, weight.shape[3], weight.shape[:2],
                                      conv_strides=stride, conv_padding=padding)
            Connection(source, pop, connectivity, Delta())
            source = pop
    return net, inp, source


# ---------------------------------------------------------------- properties
@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), depth=st.integers(1, 3),
       k=st.sampled_from([4, 6, 8, 10]), signed=st.booleans(),
       batch_size=st.integers(1, 4), num_examples=st.integers(1, 9))
def test_dense_few_spike_network_equals_quantised_relu_network(seed, depth, k, signed,
                                                               batch_size, num_examples):
    rng = np.random.default_rng(seed)
    widths = [int(rng.integers(2, 9)) for _ in range(depth + 1)]
    alpha_in = float(rng.choice([1.0, 2.0, 4.0]))
    layers = []
    for i in range(depth):
        w = rng.normal(0.0, 1.5 / np.sqrt(widths[i]), (widths[i], widths[i + 1]))
        layers.append((("dense",), w, float(rng.choice([1.0, 2.0, 4.0]))))
    low = -1.2 * alpha_in if signed else -0.2 * alpha_in
    x = rng.uniform(low, 1.2 * alpha_in, (num_examples, widths[0]))
    net, inp, out = build(widths[0], layers, k, alpha_in, signed, widths[1:])
    compiled = FewSpikeCompiler(k=k, batch_size=batch_size, precision="double").compile(net)
    with compiled:
        y, _ = compiled.predict({inp: x}, out, callbacks=[])
    expected = reference(x, layers, k, alpha_in, signed)
    np.testing.assert_allclose(y, expected, rtol=1e-9, atol=1e-9)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 2**31 - 1), stride=st.sampled_from([1, 2]),
       padding=st.sampled_from(["valid", "same"]), signed=st.booleans())
def test_conv_few_spike_network_equals_quantised_relu_network(seed, stride, padding, signed):
    rng = np.random.default_rng(seed)
    k, alpha_in = 8, 2.0
    in_shape = (6, 6, 2)
    kernel1 = rng.normal(0.0, 0.5, (3, 3, 2, 3))
    h1 = conv2d(np.zeros(in_shape), kernel1, stride, padding).shape
    kernel2 = rng.normal(0.0, 0.5, (2, 2, 3, 2))
    h2 = conv2d(np.zeros(h1), kernel2, 1, "valid").shape
    dense = rng.normal(0.0, 0.5, (int(np.prod(h2)), 4))
    layers = [(("conv", stride, padding, in_shape), kernel1, 2.0),
              (("conv", 1, "valid", h1), kernel2, 4.0),
              (("dense",), dense, 1.0)]
    x = rng.uniform(-2.0 if signed else 0.0, 2.0, (5, int(np.prod(in_shape))))
    net, inp, out = build(in_shape, layers, k, alpha_in, signed, [None, None, 4])
    compiled = FewSpikeCompiler(k=k, batch_size=2, precision="double").compile(net)
    with compiled:
        y, _ = compiled.predict({inp: x.reshape((5,) + in_shape)}, out, callbacks=[])
    np.testing.assert_allclose(y, reference(x, layers, k, alpha_in, signed),
                               rtol=1e-9, atol=1e-9)


def test_skip_connections_wait_for_the_longer_path():
    """input -> h1 -> h2 and input -> h2: the input's digits reach h2 together with h1's of
    the same example (delayed by one presentation), so h2 sees x @ A + q(x @ B) @ C."""
    rng = np.random.default_rng(5)
    k, alpha = 8, 2.0
    x = rng.uniform(0.0, 2.0, (7, 4))
    a, b, c, d = (rng.normal(0, 0.6, s) for s in ((4, 3), (4, 5), (5, 3), (3, 2)))
    net = Network()
    with net:
        inp = Population(FewSpikeReluInput(k=k, alpha=alpha), 4)
        h1 = Population(FewSpikeRelu(k=k, alpha=alpha), 5)
        h2 = Population(FewSpikeRelu(k=k, alpha=alpha), 3)
        out = Population(FewSpikeRelu(k=k, alpha=alpha, readout="var"), 2)
        Connection(inp, h1, Dense(b), Delta())
        Connection(inp, h2, Dense(a), Delta())
        Connection(h1, h2, Dense(c), Delta())
        Connection(h2, out, Dense(d), Delta())
    compiled = FewSpikeCompiler(k=k, batch_size=3, precision="double").compile(net)
    assert compiled.pop_pipeline_depth[h2] == 1 and compiled.pop_pipeline_depth[out] == 2
    with compiled:
        y, _ = compiled.predict({inp: x}, out, callbacks=[])
    xq = digits(x, alpha, k).sum(axis=0)
    h1q = digits(xq @ b, alpha, k).sum(axis=0)
    h2_digits = digits(xq @ a + h1q @ c, alpha, k)
    np.testing.assert_allclose(y, h2_digits[:-1].sum(axis=0) @ d, rtol=1e-9, atol=1e-9)


def test_evaluate_scores_each_example_against_its_own_label():
    """Labels travel with their batch through the pipeline: accuracy equals the reference's,
    for a dataset whose last batch is partial, through evaluate and evaluate_batch_iter."""
    rng = np.random.default_rng(11)
    k, alpha = 10, 4.0
    w1, w2 = rng.normal(0, 0.7, (6, 8)), rng.normal(0, 0.7, (8, 3))
    x = rng.uniform(0.0, 4.0, (23, 6))
    layers = [(("dense",), w1, alpha), (("dense",), w2, alpha)]
    predicted = np.argmax(reference(x, layers, k, alpha, False), axis=1)
    labels = predicted.copy()
    labels[::3] = (labels[::3] + 1) % 3          # a third of the labels disagree
    expected = np.mean(predicted == labels)
    net, inp, out = build(6, layers, k, alpha, False, [8, 3])
    compiled = FewSpikeCompiler(k=k, batch_size=5, precision="double").compile(net)
    with compiled:
        metrics, _ = compiled.evaluate({inp: x}, {out: labels}, callbacks=[])
        assert metrics[out].result == pytest.approx(expected)
        batches = ((x[s:s + 5], labels[s:s + 5]) for s in range(0, 23, 5))
        metrics, _ = compiled.evaluate_batch_iter(inp, out, batches, num_batches=5,
                                                  callbacks=[])
        assert metrics[out].result == pytest.approx(expected)


def test_few_spike_refuses_what_it_cannot_run():
    def network(neuron=None, synapse=None, k=8, readout="var"):
        net = Network()
        with net:
            inp = Population(FewSpikeReluInput(k=k), 3)
            out = Population(neuron or FewSpikeRelu(k=8, readout=readout), 2)
            Connection(inp, out, Dense(1.0), synapse or Delta())
        return net
    with pytest.raises(NotImplementedError, match="Population 'Pop1' has LeakyIntegrateFire"):
        FewSpikeCompiler(k=8).compile(network(LeakyIntegrateFire(readout="sum_var")))
    with pytest.raises(NotImplementedError, match="Delta synapses.*Exponential"):
        FewSpikeCompiler(k=8).compile(network(synapse=Exponential()))
    with pytest.raises(ValueError, match="FewSpikeCompiler has k=8 but Population 'Pop0'"):
        FewSpikeCompiler(k=8).compile(network(k=6))
    mixed = network(k=6)
    out = mixed.populations[1]
    with pytest.raises(ValueError, match="k must be the same across the network"):
        out.neuron.get_model(out, 1.0, 1)
    with pytest.raises(ValueError, match="FewSpikeCompiler has k=10 but Population"):
        FewSpikeCompiler(k=10).compile(network())
    with pytest.raises(NotImplementedError, match="'var' readout only.*AvgVar"):
        FewSpikeCompiler(k=8).compile(network(readout="avg_var"))
    with pytest.raises(ValueError, match="needs an even k"):
        FewSpikeReluInput(k=5, signed_input=True)
    with pytest.raises(TypeError, match="FewSpikeRelu alpha must be a positive number"):
        FewSpikeRelu(alpha="big")
