"""mlGeNN's ``utils.connectivity.KernelInit``: synapses initialised from the element of a shared
kernel they use, checked against NumPy convolutions."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import Connectivity, Conv2D, Dense
from ml_genn.engine import SynapseMatrixType
from ml_genn.neurons import IntegrateFire, IntegrateFireInput
from ml_genn.utils.connectivity import KernelInit
from ml_genn.utils.snippet import ConnectivitySnippet


class Conv1D(Connectivity):
    """A 'valid' 1-D convolution written the mlGeNN way: explicit synapses, each naming its
    kernel element, weights from KernelInit."""

    def __init__(self, kernel):
        super().__init__(KernelInit(kernel))
        self.kernel = np.asarray(kernel)

    def connect(self, source, target):
        target.shape = (source.shape[0] - len(self.kernel) + 1,)

    def get_snippet(self, connection, supported_matrix_type):
        n_out, k = connection.target.shape[0], len(self.kernel)
        post = np.repeat(np.arange(n_out), k)
        kernel_index = np.tile(np.arange(k), n_out)
        pre = post + kernel_index
        return ConnectivitySnippet(SynapseMatrixType.SPARSE, self.weight, pre_ind=pre,
                                   post_ind=post, kernel_index=kernel_index,
                                   kernel_shape=(k,))


def spike_counts(x, timesteps):
    """Spikes an IntegrateFireInput (threshold 1, reset 0) emits that reach the next layer
    (all but the last step's)."""
    acc, counts = np.zeros_like(x), np.zeros_like(x)
    for step in range(timesteps):
        acc = acc + x
        fired = acc >= 1.0
        if step < timesteps - 1:
            counts += fired
        acc[fired] = 0.0
    return counts


def run(connectivity, x, in_shape, timesteps=6, out_shape=None):
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=1.0), in_shape)
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), out_shape)
        Connection(inp, out, connectivity)
    with InferenceCompiler(evaluate_timesteps=timesteps, batch_size=len(x)).compile(net) as c:
        return c.predict({inp: x}, [out])[0][out]


def test_custom_sparse_connectivity_reads_its_kernel():
    rng = np.random.default_rng(3)
    kernel = rng.normal(size=3)
    x = rng.uniform(0.0, 1.0, (2, 10))
    v = run(Conv1D(kernel), x, 10)
    counts = spike_counts(x, 6)
    expected = np.stack([np.correlate(c, kernel, mode="valid") for c in counts])
    np.testing.assert_allclose(v, expected, rtol=1e-5, atol=1e-6)


def test_conv2d_with_kernel_init_equals_conv2d_with_the_array():
    rng = np.random.default_rng(4)
    kernel = rng.normal(size=(3, 3, 2, 4))
    x = rng.uniform(0.0, 1.0, (2, 6 * 6 * 2))
    for strides in (1, 2):
        with_array = run(Conv2D(kernel, 4, 3, conv_strides=strides), x, (6, 6, 2))
        with_init = run(Conv2D(KernelInit(kernel), 4, 3,
                                conv_strides=strides), x, (6, 6, 2))
        np.testing.assert_array_equal(with_init, with_array)
        assert np.abs(with_array).sum() > 0


def test_kernel_init_without_a_shared_kernel_is_an_error():
    with pytest.raises(ValueError, match="KernelInit needs connectivity that shares a kernel.*"
                                         "DENSE matrix"):
        run(Dense(KernelInit(np.ones(4))), np.ones((1, 2)), 2, out_shape=2)
