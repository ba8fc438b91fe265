"""The memory recorders keep results in: arrays carved from pooled blocks, blocks that return
to the pool when the last array using them is dropped, and recordings that reuse them."""
import gc

import numpy as np
import pytest

from ml_genn.callbacks import SpikeRecorder, VarRecorder
from ml_genn_recorders.arena import (ALIGNMENT_BYTES, HUGE_PAGE_BYTES,
                                     HUGE_PAGE_MIN_BLOCK_BYTES, Arena, BlockPool)
from recorders_reference import TIMESTEPS, IFNetwork, random_inputs, random_weights, simulate


@pytest.fixture(scope="module")
def net_1d():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=2), batch_size=5)
    with net.compiled:
        yield net


def test_arrays_are_aligned_disjoint_and_keep_their_values():
    arena = Arena(min_block_bytes=4096, pool=BlockPool())
    shapes = [(3,), (5, 7), 1, (0,), (2, 3, 4), (1000,)]
    dtypes = [np.float64, np.int64, np.int32, np.float32, np.uint8, np.float64]
    arrays = []
    for k, (shape, dtype) in enumerate(zip(shapes, dtypes)):
        a = arena.empty(shape, dtype)
        assert a.dtype == dtype and a.flags.c_contiguous and a.flags.writeable
        assert a.shape == ((shape,) if isinstance(shape, int) else shape)
        assert a.ctypes.data % ALIGNMENT_BYTES == 0
        a[...] = k + 1
        arrays.append(a)
    for k, a in enumerate(arrays):
        assert (a == k + 1).all()
        for b in arrays[k + 1:]:
            assert not np.shares_memory(a, b)


def test_blocks_grow_and_large_ones_start_on_a_huge_page():
    pool = BlockPool()
    arena = Arena(min_block_bytes=64 << 10, pool=pool)
    big = arena.empty(600_000, np.float64)   # 4.8 MB: asks for a block of 8 times that, capped
    assert arena.allocated_bytes >= HUGE_PAGE_MIN_BLOCK_BYTES
    assert big.base.ctypes.data % HUGE_PAGE_BYTES == 0
    before = arena.allocated_bytes
    arena.empty(10, np.float64)   # fits in the same block
    assert arena.allocated_bytes == before


def test_a_block_returns_to_the_pool_with_its_last_array_and_is_reused():
    pool = BlockPool()
    arena = Arena(min_block_bytes=1 << 16, pool=pool)
    a = arena.empty(100, np.float64)
    b = arena.empty(100, np.int64)
    arena.close()
    assert pool.pooled_bytes == 0
    del a
    assert pool.pooled_bytes == 0   # b still uses the block
    address = b.base.ctypes.data
    del b
    assert pool.pooled_bytes == 1 << 16 and pool.blocks_allocated == 1

    again = Arena(min_block_bytes=1 << 16, pool=pool).empty(10, np.float64)
    assert again.ctypes.data == address
    assert pool.blocks_reused == 1 and pool.pooled_bytes == 0


def test_the_pool_keeps_at_most_its_limit():
    pool = BlockPool(max_pooled_bytes=1 << 16)
    arena = Arena(min_block_bytes=1 << 16, max_block_bytes=1 << 16, pool=pool)
    arrays = [arena.empty(1 << 13, np.float64) for _ in range(3)]   # one full block each
    arena.close()
    del arrays
    assert pool.pooled_bytes == 1 << 16   # two of the three blocks were freed
    pool.clear()
    assert pool.pooled_bytes == 0


def test_bad_block_sizes_are_refused():
    with pytest.raises(ValueError, match="min_block_bytes <= max_block_bytes"):
        Arena(min_block_bytes=1 << 20, max_block_bytes=1 << 10)


def test_a_second_recording_reuses_the_first_ones_memory(net_1d, monkeypatch):
    import ml_genn_recorders.arena as arena_module

    pool = BlockPool()
    monkeypatch.setattr(arena_module, "POOL", pool)
    x = random_inputs(10, 6, seed=3)
    reference = simulate(x, net_1d.weights)
    gc.disable()   # the memory must come back without the cycle collector's help
    try:
        first = net_1d.evaluate(x, [SpikeRecorder(net_1d.hid, key="h"),
                                    VarRecorder(net_1d.hid, "v", key="v")])
        allocated = pool.blocks_allocated
        assert allocated > 0 and pool.pooled_bytes == 0
        del first
        assert pool.pooled_bytes > 0
        second = net_1d.evaluate(x, [SpikeRecorder(net_1d.hid, key="h"),
                                     VarRecorder(net_1d.hid, "v", key="v")])
    finally:
        gc.enable()
    assert pool.blocks_allocated == allocated and pool.blocks_reused > 0
    # Reused memory holds the new recording, not the old one's leftovers
    for e in range(10):
        steps, ids = np.nonzero(reference["hid_spikes"][:, e])
        np.testing.assert_array_equal(second["h"][1][e], ids)
        np.testing.assert_allclose(second["h"][0][e], steps * 1.0)
        np.testing.assert_allclose(second["v"][e], reference["hid_v"][:, e], rtol=1e-5,
                                   atol=1e-6)
    assert len(second["v"]) == 10 and second["v"][0].shape[0] == TIMESTEPS


def test_release_pooled_memory_empties_the_shared_pool(monkeypatch):
    import ml_genn_recorders
    import ml_genn_recorders.arena as arena_module

    pool = BlockPool()
    monkeypatch.setattr(arena_module, "POOL", pool)
    arena = Arena(min_block_bytes=1 << 16)   # takes the (patched) shared pool
    kept = arena.empty(10, np.float64)
    arena.close()
    del kept
    assert pool.pooled_bytes == 1 << 16
    assert ml_genn_recorders.release_pooled_memory() == 1 << 16
    assert pool.pooled_bytes == 0
