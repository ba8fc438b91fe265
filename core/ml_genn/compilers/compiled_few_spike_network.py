"""Compiled few-spike networks: pipelined inference."""
from __future__ import annotations

from collections import deque
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import numpy as np

from ..callbacks import CallbackList
from ..errors import InvalidValueError
from ..metrics import get_metrics
from ..utils.network import PopulationKeyedDict, get_underlying_pop
from .compiled_inference_network import CompiledInferenceNetwork, _as_list
from .data_checks import check_inputs, dataset_size


class CompiledFewSpikeNetwork(CompiledInferenceNetwork):
    """A few-spike network ready to run (made by :class:`FewSpikeCompiler`).

    Each batch is presented for ``k`` timesteps, and layers work as a pipeline: a population
    ``d`` layers from the inputs reads out the batch presented ``d`` presentations earlier, so
    a dataset of ``n`` batches takes ``n`` plus the deepest output's depth presentations.
    Neuron state is never reset between batches (it carries the pipeline); time restarts at 0
    for every presentation.

    Attributes
    ----------
    k
        Timesteps of one presentation.
    pop_pipeline_depth
        Population -> how many presentations behind the inputs it is.
    """

    batch_runs_example_steps_only = True

    def __init__(self, *args: Any, k: int, pop_pipeline_depth: Dict[Any, int],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.k = k
        self.pop_pipeline_depth = dict(pop_pipeline_depth)

    # ------------------------------------------------------------------ the pipeline
    def _run_pipeline(self, batches: Iterator[Tuple[Dict[Any, Any], Any]], outputs: List[Any],
                      on_readout: Callable[[Any, Any, np.ndarray], None],
                      callback_list: CallbackList, metrics: Dict[Any, Any]) -> int:
        """Present ``batches`` (``(x, payload)`` pairs) one after another and, once each
        output's pipeline has filled, hand ``on_readout(output, payload, readout)`` the
        readout belonging to each presented batch; returns the number of presentations."""
        depth = {o: self.pop_pipeline_depth.get(o, 0) for o in outputs}
        queues = {o: deque() for o in outputs}
        presentation = 0
        remaining = True
        while remaining or any(queues.values()):
            x = None
            if remaining:
                try:
                    x, payload = next(batches)
                except StopIteration:
                    remaining = False
            self.reset_time()
            if x is not None:
                self.set_input(x)
                for o in outputs:
                    queues[o].append(payload)
            # After the last batch the inputs keep their last values: what they produce
            # flushes the pipeline and is never read
            callback_list.on_batch_begin(presentation)
            self.run_example(callback_list)
            for o in outputs:
                if presentation >= depth[o] and queues[o]:
                    on_readout(o, queues[o].popleft(), self.get_readout(o))
            callback_list.on_batch_end(presentation, metrics)
            presentation += 1
        return presentation

    def _presentations(self, num_batches: Optional[int], outputs: List[Any]) -> Optional[int]:
        if num_batches is None:
            return None
        return num_batches + max((self.pop_pipeline_depth.get(o, 0) for o in outputs), default=0)

    def _batches(self, x: Dict[Any, Any], y: Optional[Dict[Any, Any]], n: int):
        for start in range(0, n, self.batch_size):
            stop = min(n, start + self.batch_size)
            yield (self._slice(x, start, stop),
                   self._slice(y, start, stop) if y is not None else stop - start)

    def _evaluate(self, batches, outputs, metrics, callbacks, num_batches, num_examples):
        callback_list = self._callbacks(callbacks, "evaluate",
                                        self._presentations(num_batches, outputs), num_examples)
        callback_list.on_test_begin()

        def update(output, y, readout):
            labels = y[output]
            metrics[output].update(labels, readout[:len(labels)], self.communicator)
        self._run_pipeline(batches, outputs, update, callback_list, metrics)
        callback_list.on_test_end(metrics)
        cb_data = callback_list.get_data()
        callback_list.close()
        return metrics, cb_data

    # ------------------------------------------------------------------ public
    def evaluate(self, x: Dict[Any, Any], y: Dict[Any, Any],
                 metrics: Any = "sparse_categorical_accuracy",
                 callbacks: Optional[List[Any]] = ["batch_progress_bar"]) -> Tuple[Dict, Dict]:
        """Evaluate the network on a dataset.

        Parameters
        ----------
        x
            Dict mapping every input population to its data (one value per input neuron
            and example).
        y
            Dict mapping every output population to its labels.
        metrics
            Metric (name or object) for every output, or a dict of them per output.
        callbacks
            Callback objects or names; batch hooks run once per presentation.

        Returns
        -------
        ``(metrics, cb_data)``.
        """
        self._require_loaded("evaluate")
        metrics = self.labelled_metrics(metrics, y)
        x, y, n = self.check_evaluate_data(x, y, metrics)
        self._rank_sizes(n, "evaluate")     # metrics are reduced batch by batch across ranks
        num_batches = (n + self.batch_size - 1) // self.batch_size
        return self._evaluate(self._batches(x, y, n), list(y), metrics, callbacks,
                              num_batches, n)

    def evaluate_batch(self, x: Dict[Any, Any], y: Dict[Any, Any],
                       metrics: Any = "sparse_categorical_accuracy",
                       callbacks: Optional[List[Any]] = ()) -> Tuple[Dict, Dict]:
        """Evaluate one batch (at most ``batch_size`` examples), running it through the
        whole pipeline; returns ``(metrics, cb_data)``."""
        self._require_loaded("evaluate")
        metrics = self.labelled_metrics(metrics, y)
        x, y, n = self.check_evaluate_data(x, y, metrics)
        if n > self.batch_size:
            raise InvalidValueError(f"evaluate_batch got {n} examples but the batch size is "
                                    f"{self.batch_size}; use evaluate() for datasets")
        return self._evaluate(self._batches(x, y, n), list(y), metrics, callbacks, 1, n)

    def evaluate_batch_iter(self, inputs: Any, outputs: Any, data: Iterator,
                            num_batches: Optional[int] = None,
                            metrics: Any = "sparse_categorical_accuracy",
                            callbacks: Optional[List[Any]] = ["batch_progress_bar"]
                            ) -> Tuple[Dict, Dict]:
        """Evaluate batches produced by an iterator of ``(x, y)`` (each an array for one
        population or a tuple of arrays, one per population of ``inputs``/``outputs``).

        Parameters
        ----------
        inputs, outputs
            Population(s) the iterator's items are for.
        data
            The iterator.
        num_batches
            Number of batches, if known (for progress bars).
        """
        self._require_loaded("evaluate")
        inputs = [get_underlying_pop(p) for p in _as_list(inputs)]
        outputs = [get_underlying_pop(p) for p in _as_list(outputs)]
        metrics = get_metrics(metrics, self.outputs)

        return self._evaluate(self._checked_batches(inputs, outputs, data, metrics), outputs,
                              metrics, callbacks, num_batches, None)

    def predict(self, x: Dict[Any, Any], outputs: Any = None,
                callbacks: Optional[List[Any]] = ["batch_progress_bar"]) -> Tuple[Any, Dict]:
        """Run the network on a dataset and return each example's readout.

        Parameters
        ----------
        x
            Dict mapping every input population to its data.
        outputs
            Output population(s) to read (all outputs by default).
        callbacks
            Callback objects or names.

        Returns
        -------
        ``(y_pred, cb_data)``: output population -> readouts ``(examples,) + shape`` (one
        array when ``outputs`` is a single population), and the callbacks' data.
        """
        self._require_loaded("predict")
        single, outputs = self._predict_outputs(outputs)
        x = check_inputs(x, self.inputs)
        n = dataset_size(x)
        num_batches = (n + self.batch_size - 1) // self.batch_size
        callback_list = self._callbacks(callbacks, "predict",
                                        self._presentations(num_batches, outputs), n)
        callback_list.on_test_begin()
        results = {p: [] for p in outputs}

        def collect(output, count, readout):
            results[output].append(np.array(readout[:count]))
        self._run_pipeline(self._batches(x, None, n), outputs, collect, callback_list, {})
        callback_list.on_test_end({})
        y_pred = PopulationKeyedDict((p, np.concatenate(v)) for p, v in results.items())
        cb_data = callback_list.get_data()
        callback_list.close()
        return (y_pred[outputs[0]] if single else y_pred), cb_data
