"""Compiled networks for inference: evaluate, predict and their batch variants."""
from __future__ import annotations

from typing import Any, Dict, Iterator, List, Optional, Sequence, Tuple

import numpy as np

from ..callbacks import CallbackList
from ..metrics import get_metrics
from ..utils.network import PopulationKeyedDict, get_underlying_pop
from .compiled_network import CompiledNetwork
from .data_checks import check_inputs, check_labels, dataset_size
from ..errors import InvalidKeyError, InvalidValueError


def _as_list(obj: Any) -> list:
    return list(obj) if isinstance(obj, (list, tuple)) else [obj]


class CompiledInferenceNetwork(CompiledNetwork):
    """A network compiled by :class:`~ml_genn.compilers.InferenceCompiler`.

    Parameters
    ----------
    inputs, outputs
        Input populations (fed data) and output populations (with readouts).
    **kwargs
        Passed to :class:`CompiledNetwork`.
    """

    #: Each batch runs exactly ``example_timesteps`` engine steps and nothing else, so a
    #: recorder may read a ring of the engine's native recordings once per batch
    batch_runs_example_steps_only = True

    def __init__(self, *args: Any, inputs: Sequence[Any] = (), outputs: Sequence[Any] = (),
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.inputs = list(inputs)
        self.outputs = list(outputs)

    # ------------------------------------------------------------------ helpers
    def _callbacks(self, callbacks: Any, mode: str, num_batches: Optional[int],
                   num_examples: Optional[int] = None) -> CallbackList:
        # num_examples lets callbacks (recorders) ignore the padding of a partial last batch
        from ..plugins.manager import get_plugin_manager
        callbacks = list(callbacks) if callbacks is not None else []
        callbacks += get_plugin_manager().run_callbacks(self, mode)
        return CallbackList(callbacks, compiled_network=self, num_batches=num_batches,
                            num_epochs=1, num_examples=num_examples)

    def labelled_metrics(self, metrics: Any, y: Any) -> Dict[Any, Any]:
        """Metric objects for the outputs ``y`` gives labels for (mlGeNN's evaluate scores
        only those; the others are simulated), in the network's order of outputs.

        Parameters
        ----------
        metrics
            Metric (name or object) for every labelled output, or a dict of them.
        y
            The labels, keyed by output population (or layer).
        """
        from .data_checks import resolve_keys
        labelled = resolve_keys(y, self.outputs, "y", "output", require_all=False)
        return get_metrics(metrics, [p for p in self.outputs if p in labelled])

    def check_evaluate_data(self, x: Any, y: Any, metrics: Dict[Any, Any],
                            what: str = "") -> Tuple[Dict, Dict, int]:
        """Check inputs, labels and their lengths for every population; returns them checked."""
        from .data_checks import resolve_keys
        x = check_inputs(x, self.inputs, what + "x")
        # As mlGeNN: the outputs given labels are evaluated, the others only simulated
        y = resolve_keys(y, self.outputs, what + "y", "output", require_all=False)
        y = {p: check_labels(v, p, metrics[p], what + "y") for p, v in y.items()}
        n = dataset_size(x, y)
        self.check_spike_budget(x)
        return x, y, n

    def run_batch(self, batch: int, x: Dict[Any, Any], callback_list: CallbackList) -> Dict[Any, np.ndarray]:
        """Reset, feed one batch, simulate it and return the outputs' readouts."""
        self.reset_batch_state()
        self.set_input(x)
        callback_list.on_batch_begin(batch)
        self.run_example(callback_list)
        return {p: self.get_readout(p) for p in self.outputs}

    def _checked_batches(self, inputs: List[Any], outputs: List[Any], data: Iterator,
                         metrics: Dict[Any, Any]) -> Iterator[Tuple[Dict, Dict]]:
        """An iterator's ``(x, y)`` items (arrays or tuples of arrays, one per population)
        as checked ``{population: data}`` dicts of at most one batch."""
        for batch, (x, y) in enumerate(data):
            x = dict(zip(inputs, x if isinstance(x, tuple) else (x,)))
            y = dict(zip(outputs, y if isinstance(y, tuple) else (y,)))
            x, y, n = self.check_evaluate_data(x, y, metrics, f"batch {batch} ")
            if n > self.batch_size:
                raise InvalidValueError(
                    f"evaluate_batch_iter batch {batch} has {n} examples but the "
                    f"batch size is {self.batch_size}")
            yield x, y

    def _predict_outputs(self, outputs: Any) -> Tuple[bool, List[Any]]:
        """``(whether one population was asked for, the output populations to read)``."""
        single = outputs is not None and not isinstance(outputs, (list, tuple))
        outputs = (self.outputs if outputs is None
                   else [get_underlying_pop(p) for p in _as_list(outputs)])
        unknown = [p.name for p in outputs if p not in self.outputs]
        if unknown:
            raise InvalidKeyError(
                f"predict outputs {unknown} are not output populations (populations "
                f"with a readout); outputs: {[p.name for p in self.outputs]}")
        return single, outputs

    @staticmethod
    def _slice(data: Dict[Any, Any], start: int, stop: int) -> Dict[Any, Any]:
        return {p: v[start:stop] for p, v in data.items()}

    # ------------------------------------------------------------------ public
    def evaluate(self, x: Dict[Any, Any], y: Dict[Any, Any],
                 metrics: Any = "sparse_categorical_accuracy",
                 callbacks: Optional[List[Any]] = ["batch_progress_bar"]) -> Tuple[Dict, Dict]:
        """Evaluate the network on a dataset.

        Parameters
        ----------
        x
            Dict mapping every input population to its data (arrays, or PreprocessedSpikes
            lists for SpikeInput).
        y
            Dict mapping output populations to their labels / targets: those outputs are
            evaluated (as in mlGeNN, others are simulated but not scored).
        metrics
            Metric (name or object) for every labelled output, or a dict of them per output.
        callbacks
            Callback objects or names.

        Returns
        -------
        ``(metrics, cb_data)``: output population -> metric object (``.result``), and each
        callback's data by key.
        """
        self._require_loaded("evaluate")
        metrics = self.labelled_metrics(metrics, y)
        x, y, n = self.check_evaluate_data(x, y, metrics)
        self._rank_sizes(n, "evaluate")     # metrics are reduced batch by batch across ranks
        num_batches = (n + self.batch_size - 1) // self.batch_size
        callback_list = self._callbacks(callbacks, "evaluate", num_batches, n)
        callback_list.on_test_begin()
        for batch in range(num_batches):
            start, stop = batch * self.batch_size, min(n, (batch + 1) * self.batch_size)
            self._evaluate_one(batch, self._slice(x, start, stop), self._slice(y, start, stop),
                               metrics, callback_list)
        callback_list.on_test_end(metrics)
        cb_data = callback_list.get_data()
        callback_list.close()
        return metrics, cb_data

    def _evaluate_one(self, batch, x, y, metrics, callback_list):
        readouts = self.run_batch(batch, x, callback_list)
        for pop, labels in y.items():
            # A short last batch: only the real examples count
            metrics[pop].update(labels, readouts[pop][:len(labels)], self.communicator)
        callback_list.on_batch_end(batch, metrics)

    def evaluate_batch(self, x: Dict[Any, Any], y: Dict[Any, Any],
                       metrics: Any = "sparse_categorical_accuracy",
                       callbacks: Optional[List[Any]] = ()) -> Tuple[Dict, Dict]:
        """Evaluate one batch (at most ``batch_size`` examples); returns ``(metrics, cb_data)``.
        No callbacks by default (mlGeNN's: a progress bar over one batch tells nothing)."""
        self._require_loaded("evaluate")
        metrics = self.labelled_metrics(metrics, y)
        x, y, n = self.check_evaluate_data(x, y, metrics)
        if n > self.batch_size:
            raise InvalidValueError(f"evaluate_batch got {n} examples but the batch size is "
                                    f"{self.batch_size}; use evaluate() for datasets")
        callback_list = self._callbacks(callbacks, "evaluate", 1, n)
        callback_list.on_test_begin()
        self._evaluate_one(0, x, y, metrics, callback_list)
        callback_list.on_test_end(metrics)
        cb_data = callback_list.get_data()
        callback_list.close()
        return metrics, cb_data

    def evaluate_batch_iter(self, inputs: Any, outputs: Any, data: Iterator,
                            num_batches: Optional[int] = None,
                            metrics: Any = "sparse_categorical_accuracy",
                            callbacks: Optional[List[Any]] = ["batch_progress_bar"]) -> Tuple[Dict, Dict]:
        """Evaluate batches produced by an iterator.

        Parameters
        ----------
        inputs, outputs
            Population(s) the iterator's ``(x, y)`` items are for (one or a list each).
        data
            Iterator of ``(x, y)``: each an array (one population) or a tuple of arrays.
        num_batches
            Number of batches (for progress bars), if known.
        """
        self._require_loaded("evaluate")
        inputs = [get_underlying_pop(p) for p in _as_list(inputs)]
        outputs = [get_underlying_pop(p) for p in _as_list(outputs)]
        metrics = get_metrics(metrics, self.outputs)
        callback_list = self._callbacks(callbacks, "evaluate", num_batches)
        callback_list.on_test_begin()
        for batch, (x, y) in enumerate(self._checked_batches(inputs, outputs, data, metrics)):
            self._evaluate_one(batch, x, y, metrics, callback_list)
        callback_list.on_test_end(metrics)
        cb_data = callback_list.get_data()
        callback_list.close()
        return metrics, cb_data

    def predict(self, x: Dict[Any, Any], outputs: Any = None,
                callbacks: Optional[List[Any]] = ["batch_progress_bar"]) -> Tuple[Any, Dict]:
        """Run the network on a dataset and return the readouts.

        Parameters
        ----------
        x
            Dict mapping every input population to its data.
        outputs
            Output population(s) to read out (all outputs by default).
        callbacks
            Callback objects or names.

        Returns
        -------
        ``(y_pred, cb_data)``: output population -> readouts ``(examples,) + shape`` (one array
        when ``outputs`` is a single population), and the callbacks' data.
        """
        self._require_loaded("predict")
        single, outputs = self._predict_outputs(outputs)
        x = check_inputs(x, self.inputs)
        n = dataset_size(x)
        self.check_spike_budget(x)
        num_batches = (n + self.batch_size - 1) // self.batch_size
        callback_list = self._callbacks(callbacks, "predict", num_batches, n)
        callback_list.on_test_begin()
        results = {p: [] for p in outputs}
        for batch in range(num_batches):
            start, stop = batch * self.batch_size, min(n, (batch + 1) * self.batch_size)
            readouts = self.run_batch(batch, self._slice(x, start, stop), callback_list)
            for p in outputs:
                results[p].append(readouts[p][:stop - start])
            callback_list.on_batch_end(batch, {})
        callback_list.on_test_end({})
        y_pred = PopulationKeyedDict((p, np.concatenate(v)) for p, v in results.items())
        cb_data = callback_list.get_data()
        callback_list.close()
        return (y_pred[outputs[0]] if single else y_pred), cb_data
