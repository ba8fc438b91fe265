"""Streaming recordings to disk gives the data recording in memory gives."""
import os

import numpy as np
import pytest

from ml_genn.callbacks import ConnVarRecorder, SpikeRecorder, VarRecorder
from ml_genn_recorders.npy_stream import HEADER_BYTES, NpyAppendFile
from ml_genn_recorders.sinks import DenseSink, RaggedSink
from recorders_reference import IFNetwork, random_inputs, random_weights

NUM_EXAMPLES = 7


@pytest.fixture(scope="module")
def net():
    net = IFNetwork(6, 4, random_weights(6, 4, seed=31), batch_size=3)
    with net.compiled:
        yield net


def _recorders(net, folder):
    return [SpikeRecorder(net.inp, key="spikes", example_filter=[0, 2, 3, 6],
                          neuron_filter=[1, 2, 4], to_disk=folder),
            SpikeRecorder(net.hid, key="counts", record_counts=True, to_disk=folder),
            VarRecorder(net.hid, "v", key="v", example_filter=[1, 5], to_disk=folder),
            ConnVarRecorder(net.conn, "g", key="g", src_neuron_filter=[0, 5], example_filter=4,
                            to_disk=folder)]


def test_disk_recordings_equal_memory_recordings(net, tmp_path):
    x = random_inputs(NUM_EXAMPLES, 6, seed=32)
    in_memory = net.evaluate(x, _recorders(net, None))
    folder = tmp_path / "recordings"
    on_disk = net.evaluate(x, _recorders(net, folder))
    assert sum(len(t) for t in in_memory["spikes"][0]) > 10  # there is something to compare

    for f in range(2):
        assert len(on_disk["spikes"][f]) == len(in_memory["spikes"][f]) == 4
        for a, b in zip(on_disk["spikes"][f], in_memory["spikes"][f]):
            assert isinstance(a, np.memmap) and a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)
    for key in ("counts", "v", "g"):
        assert len(on_disk[key]) == len(in_memory[key]) > 0
        for a, b in zip(on_disk[key], in_memory[key]):
            assert isinstance(a, np.memmap) and a.dtype == b.dtype
            np.testing.assert_array_equal(a, b)

    # The files are ordinary .npy files, readable without ml_genn
    names = sorted(os.listdir(folder))
    assert names == ["counts_counts-0_data.npy", "g-0_data.npy", "spikes-0_ids.npy",
                     "spikes-0_offsets.npy", "spikes-0_times.npy", "v-0_data.npy"]
    v = np.load(folder / "v-0_data.npy")
    np.testing.assert_array_equal(v, np.stack(in_memory["v"]))
    offsets = np.load(folder / "spikes-0_offsets.npy")
    ids = np.load(folder / "spikes-0_ids.npy")
    np.testing.assert_array_equal(ids[offsets[2]:offsets[3]], in_memory["spikes"][1][2])

    # A second run writes new files and leaves the first run's (memory-mapped) data intact
    again = net.evaluate(random_inputs(NUM_EXAMPLES, 6, seed=33), _recorders(net, folder))
    assert os.path.exists(folder / "v-1_data.npy")
    np.testing.assert_array_equal(np.stack(on_disk["v"]), np.stack(in_memory["v"]))
    assert len(again["v"]) == 2


def test_npy_append_file_round_trip_and_refusals(tmp_path):
    path = tmp_path / "stream.npy"
    stream = NpyAppendFile(path, np.float32, (2, 3))
    blocks = [np.arange(6, dtype=np.float32).reshape(1, 2, 3) * k for k in range(1, 4)]
    stream.append(blocks[0])
    stream.append(np.concatenate(blocks[1:]))
    with pytest.raises(ValueError, match=r"holds entries of shape \(2, 3\), got a block of "
                                         r"shape \(1, 3, 2\)"):
        stream.append(np.zeros((1, 3, 2)))
    data = stream.load()
    np.testing.assert_array_equal(data, np.concatenate(blocks))
    assert os.path.getsize(path) == HEADER_BYTES + 3 * 6 * 4
    with pytest.raises(ValueError, match="closed"):
        stream.append(blocks[0])
    with pytest.raises(FileExistsError):
        NpyAppendFile(path, np.float32)

    empty = NpyAppendFile(tmp_path / "empty.npy", np.int64)
    assert empty.load().shape == (0,)
    assert np.load(tmp_path / "empty.npy").shape == (0,)


def test_sinks_split_blocks_into_examples_in_both_modes(tmp_path):
    blocks = [np.arange(12, dtype=np.float32).reshape(2, 3, 2),
              np.arange(6, dtype=np.float32).reshape(1, 3, 2) + 100,
              np.arange(4, dtype=np.float32).reshape(1, 2, 2)]  # a different shape: new file
    examples = [(np.array([0.0, 1.0]), np.array([3, 4])), (np.array([]), np.array([], int)),
                (np.array([5.0]), np.array([1]))]
    results = []
    for folder in (None, str(tmp_path / "sinks")):
        dense = DenseSink(folder, "dense")
        for b in blocks:
            dense.append(b)
        ragged = RaggedSink([("times", np.float64), ("ids", np.int64)], folder, "ragged")
        ragged.append(examples[:2])
        ragged.append(examples[2:])
        results.append((dense.result(), ragged.result()))
    (dense_mem, ragged_mem), (dense_disk, ragged_disk) = results
    expected_dense = [blocks[0][0], blocks[0][1], blocks[1][0], blocks[2][0]]
    for got in (dense_mem, dense_disk):
        assert len(got) == 4
        for a, b in zip(got, expected_dense):
            np.testing.assert_array_equal(a, b)
    for got in (ragged_mem, ragged_disk):
        for f in range(2):
            for a, e in zip(got[f], examples):
                np.testing.assert_array_equal(a, e[f])
    assert len(os.listdir(tmp_path / "sinks")) == 2 + 3  # two dense segments, ragged + offsets


def test_to_disk_must_be_a_folder(tmp_path, net):
    a_file = tmp_path / "file.txt"
    a_file.write_text("x")
    with pytest.raises(NotADirectoryError, match="exists and is not a folder"):
        VarRecorder(net.hid, "v", to_disk=a_file)
