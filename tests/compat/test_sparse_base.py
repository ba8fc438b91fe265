"""mlGeNN's SparseBase: sparse connectivity that a saved network's synapses rebuild exactly
(``save_connectivity`` + ``save`` then ``Network.load``), and the checks on explicit indices."""
import numpy as np
import pytest

from ml_genn import Connection, Network, Population
from ml_genn.compilers import InferenceCompiler
from ml_genn.connectivity import FixedProbability, OneToOne
from ml_genn.connectivity.sparse_base import SparseBase
from ml_genn.initializers import Normal
from ml_genn.neurons import IntegrateFire, IntegrateFireInput
from ml_genn.serialisers import Numpy


def build():
    net = Network()
    with net:
        inp = Population(IntegrateFireInput(v_thresh=1.0), 40)
        out = Population(IntegrateFire(v_thresh=1e9, readout="var"), 30)
        conn = Connection(inp, out, FixedProbability(0.2, Normal(mean=0.5, sd=0.2)))
    return net, inp, out, conn


def synapses(compiled, conn):
    genn = compiled.connection_populations[conn]
    genn.vars["g"].pull_from_device()
    pre, post = genn.get_sparse_pre_inds(), genn.get_sparse_post_inds()
    return pre, post, np.asarray(genn.vars["g"].values)


def test_saved_sparse_network_is_rebuilt_exactly(tmp_path):
    assert issubclass(FixedProbability, SparseBase) and issubclass(OneToOne, SparseBase)
    x = np.random.default_rng(1).uniform(0.0, 1.0, (2, 40))
    net, inp, out, conn = build()
    serialiser = Numpy(str(tmp_path / "ckpt"))
    with InferenceCompiler(evaluate_timesteps=10, batch_size=2, rng_seed=5).compile(net) as c:
        pre, post, g = synapses(c, conn)
        c.save((3,), serialiser)
        c.save_connectivity((3,), serialiser)
        v = c.predict({inp: x}, [out])[0][out]

    net2, inp2, out2, conn2 = build()
    net2.load((3,), serialiser)
    assert isinstance(conn2.connectivity.pre_ind, np.ndarray)
    with InferenceCompiler(evaluate_timesteps=10, batch_size=2, rng_seed=77).compile(net2) as c2:
        pre2, post2, g2 = synapses(c2, conn2)
        v2 = c2.predict({inp2: x}, [out2])[0][out2]
    # Same synapses (as sets of (pre, post, g)), whatever order the engine keeps them in
    first = sorted(zip(pre.tolist(), post.tolist(), g.tolist()))
    second = sorted(zip(pre2.tolist(), post2.tolist(), g2.tolist()))
    assert len(first) > 100 and first == second
    # The output is the input spike counts through the same weights
    dense = np.zeros((40, 30))
    np.add.at(dense, (pre, post), g)
    np.testing.assert_allclose(v2, v, rtol=1e-6)
    assert np.abs(v).sum() > 0

    # A fresh network with another seed draws other synapses (the load is what fixed them)
    net3, inp3, out3, conn3 = build()
    with InferenceCompiler(evaluate_timesteps=10, batch_size=2, rng_seed=77).compile(net3) as c3:
        pre3, post3, _ = synapses(c3, conn3)
    assert sorted(zip(pre3.tolist(), post3.tolist())) != sorted(zip(pre.tolist(), post.tolist()))


def test_explicit_indices_are_checked():
    fp = FixedProbability(0.1, 1.0)
    with pytest.raises(TypeError, match="FixedProbability weight must be a number or an "
                                        "Initializer, not an array"):
        FixedProbability(0.1, np.ones(3))
    fp.pre_ind = np.array([0, 1, 2])
    with pytest.raises(TypeError, match="pre_ind and post_ind must both be arrays"):
        fp._check_indices()
    fp.post_ind = np.array([0, 1])
    with pytest.raises(ValueError, match="same length"):
        fp._check_indices()
    fp.post_ind = np.array([0, 1, 5])
    fp.weight = np.ones(2)
    with pytest.raises(ValueError, match=r"weight array has shape \(2,\), expected \(3,\)"):
        fp._check_indices()
    net = Network()
    fp.weight = 1.0
    with net:
        a = Population(IntegrateFireInput(), 3)
        b = Population(IntegrateFire(), 4)
        with pytest.raises(ValueError, match="post_ind holds indices outside Population"):
            Connection(a, b, fp)
