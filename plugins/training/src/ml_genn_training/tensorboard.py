"""TensorBoard: training curves, learning rate and histograms of weights and gradients, written
with tensorboardX (the optional extra ``ml-genn-training[tensorboard]``)."""
from __future__ import annotations

from typing import Any, Dict, Optional

import numpy as np

from ml_genn.callbacks import Callback
from ml_genn.errors import InvalidValueError

from .monitor import metric_name


class TensorBoard(Callback):
    """Log each epoch's metrics (training and validation) and the optimisers' learning rate as
    scalars, and every ``histogram_freq`` epochs histograms of each connection's weights and of
    the last batch's gradients and an image of the spike rates of every population that
    records spikes (``record_spikes=True``), to a TensorBoard log folder.

    Parameters
    ----------
    log_dir
        Folder of the event files (``tensorboard --logdir <log_dir>`` shows them); by default
        ``tensorboard`` in the experiment folder of an ``ExperimentFolder``.
    histogram_freq
        Epochs between histograms (0: none, and no gradient hooks are used).

    Notes
    -----
    Tags: ``<output>/<metric>``, ``<output>/val_<metric>``, ``optimiser/alpha``,
    ``weights/<connection>``, ``gradients/<connection or population>``,
    ``spike_rates/<population>`` (spikes per neuron and second over the epoch's last batch, an
    image of the population's shape, 2D shapes as they are and others as one row, scaled to
    the largest rate); the step is the epoch.
    """

    #: Only rank 0 of a data-parallel run writes files and shows progress; set it to None
    #: on an instance to run in every process (AIToolbox's name)
    device_idx_execution = 0

    def __init__(self, log_dir: Optional[str] = None, histogram_freq: int = 0):
        from importlib.util import find_spec
        if find_spec("tensorboardX") is None:
            raise InvalidValueError(
                "TensorBoard writes with tensorboardX, which is not installed: pip install "
                "'ml-genn-training[tensorboard]' (or pip install tensorboardX)")
        if isinstance(histogram_freq, bool) or not isinstance(histogram_freq, int) \
                or histogram_freq < 0:
            raise InvalidValueError(f"TensorBoard histogram_freq must be a non-negative "
                                    f"integer, got {histogram_freq!r}")
        self.log_dir = None if log_dir is None else str(log_dir)
        self.histogram_freq = histogram_freq
        if histogram_freq == 0:
            # Without histograms there is nothing to read from the gradients
            self.on_after_gradient_update = None

    def set_params(self, train_loop: Any = None, compiled_network: Any = None,
                   **kwargs: Any) -> None:
        """Keep the network and the running loop (validation metrics)."""
        self._loop, self._network = train_loop, compiled_network

    def on_train_begin(self) -> None:
        from tensorboardX import SummaryWriter
        from .model_checkpoint import in_experiment
        self._writer = SummaryWriter(in_experiment(self.log_dir, self._loop, "tensorboard",
                                                   "TensorBoard log_dir"))
        self._gradients: Dict[Any, np.ndarray] = {}

    def on_after_gradient_update(self, batch: int) -> None:
        self._gradients = {owner: np.array(g) for owner, g in
                           self._network.get_gradients().items()}

    def on_epoch_end(self, epoch: int, metrics: Any) -> None:
        w = self._writer
        for prefix, table in (("", metrics), ("val_", getattr(self._loop, "validation_metrics",
                                                               None))):
            for pop, metric in (table or {}).items():
                if metric.result is not None:
                    w.add_scalar(f"{pop.name}/{prefix}{metric_name(metric)}",
                                 float(metric.result), epoch)
        if getattr(self._network, "optimisers", None):
            w.add_scalar("optimiser/alpha", float(self._network.get_optimiser_param("alpha")),
                         epoch)
        if self.histogram_freq and epoch % self.histogram_freq == 0:
            for conn, group in self._network.connection_populations.items():
                if "g" in group.vars:
                    w.add_histogram(f"weights/{conn.name}", np.array(group.vars["g"].values),
                                    epoch)
            for owner, gradient in self._gradients.items():
                w.add_histogram(f"gradients/{getattr(owner, 'name', owner)}", gradient, epoch)
            for pop, rates in self.spike_rates().items():
                image = rates.reshape(pop.shape[:2]) if len(pop.shape) >= 2 and \
                    int(np.prod(pop.shape[:2])) == rates.size else rates.reshape(1, -1)
                top = float(image.max())
                w.add_image(f"spike_rates/{pop.name}",
                            image / top if top > 0 else image, epoch, dataformats="HW")

    def spike_rates(self) -> Dict[Any, np.ndarray]:
        """Spikes per neuron and second over the last batch, for every population that
        records spikes, averaged over the batch's examples."""
        net = self._network
        rates = {}
        duration_s = net.example_timesteps * net.genn_model.dt / 1000.0
        for pop, group in net.neuron_populations.items():
            if not getattr(pop, "record_spikes", False):
                continue
            counts = np.zeros(pop.num_neurons)
            lanes = group.spike_recording_data
            for _, ids in lanes:
                counts += np.bincount(np.asarray(ids, dtype=np.int64),
                                      minlength=pop.num_neurons)
            rates[pop] = counts / (len(lanes) * duration_s)
        return rates

    def on_train_end(self, metrics: Any) -> None:
        self._writer.close()


__all__ = ["TensorBoard"]
