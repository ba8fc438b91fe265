"""TensorBoard: the event files, read back record by record (TFRecord framing, Event protos),
hold the logged metrics, learning rate and weight histograms."""
from __future__ import annotations

import struct
from pathlib import Path

import numpy as np
import pytest

from ml_genn.callbacks import Callback
from training_harness import setup_run

pytest.importorskip("tensorboardX", reason="TensorBoard needs the tensorboard extra")


def _events(folder: Path):
    from tensorboardX.proto import event_pb2
    events = []
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        offset = 0
        while offset < len(data):
            (length,) = struct.unpack("<Q", data[offset:offset + 8])
            record = data[offset + 12:offset + 12 + length]
            offset += 12 + length + 4
            event = event_pb2.Event()
            event.ParseFromString(record)
            events.append(event)
    return events


def test_event_file_holds_the_logged_values(tmp_path):
    from ml_genn.callbacks import TensorBoard
    seen = []

    class Record(Callback):
        def set_params(self, train_loop, compiled_network, **kwargs):
            self.loop, self.network = train_loop, compiled_network

        def on_epoch_end(self, epoch, metrics):
            (train,), (valid,) = metrics.values(), self.loop.validation_metrics.values()
            group = self.network.connection_populations[net.connections[0]]
            seen.append((train.result, valid.result, np.array(group.vars["g"].view)))

    net, inp, out, compiled, x, y = setup_run()
    with compiled:
        compiled.train({inp: x}, {out: y}, num_epochs=3, validation_split=0.25,
                       callbacks=[Record(), TensorBoard(str(tmp_path), histogram_freq=1)],
                       validation_callbacks=[])
    scalars, histograms = {}, {}
    for event in _events(tmp_path):
        for value in event.summary.value:
            if value.HasField("histo"):
                histograms[(value.tag, event.step)] = value.histo
            else:
                scalars[(value.tag, event.step)] = value.simple_value
    for epoch, (train, valid, weights) in enumerate(seen):
        assert scalars[("out/sparse_categorical_accuracy", epoch)] == pytest.approx(train)
        assert scalars[("out/val_sparse_categorical_accuracy", epoch)] == pytest.approx(valid)
        assert scalars[("optimiser/alpha", epoch)] == pytest.approx(0.05)
        histo = histograms[("weights/in_hid", epoch)]
        assert histo.num == weights.size
        assert histo.sum == pytest.approx(float(weights.sum()), rel=1e-5, abs=1e-6)
        assert ("gradients/in_hid", epoch) in histograms and ("gradients/out", epoch) in histograms


def test_spike_rate_images_show_the_last_batchs_rates(tmp_path):
    """The image of the hidden population's rates equals the last batch's spike counts from a
    SpikeRecorder, scaled to the largest (8-bit PNG)."""
    import io
    import matplotlib.image
    from ml_genn.callbacks import SpikeRecorder, TensorBoard
    net, inp, out, compiled, x, y = setup_run(record_hidden=True)
    hid = net.populations[1]
    with compiled:
        _, data = compiled.train({inp: x}, {out: y}, num_epochs=1, shuffle=False,
                                 callbacks=[SpikeRecorder(hid, key="spikes"),
                                            TensorBoard(str(tmp_path), histogram_freq=1)])
    counts = np.zeros(hid.num_neurons)
    for ids in data["spikes"][1][-4:]:          # the last batch: examples 20-23
        counts += np.bincount(np.asarray(ids, dtype=int), minlength=hid.num_neurons)
    assert counts.max() > 0
    (image,) = [v.image for e in _events(tmp_path) for v in e.summary.value
                if v.tag == "spike_rates/hid"]
    assert (image.height, image.width) == (1, hid.num_neurons)
    pixels = matplotlib.image.imread(io.BytesIO(image.encoded_image_string), format="png")
    pixels = np.asarray(pixels, dtype=float)
    pixels = (pixels[..., 0] if pixels.ndim == 3 else pixels).reshape(-1)   # grey as RGB
    np.testing.assert_allclose(pixels, counts / counts.max(), atol=1.5 / 255)
