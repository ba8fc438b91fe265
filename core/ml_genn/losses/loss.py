"""Base class of losses: what training compilers optimise."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from ..engine import VarAccess


class Loss:
    """Base class of every loss.

    Training compilers give each output population a loss. The loss owns the target's
    storage in the engine (:meth:`add_to_neuron` adds ``YTrue`` to the output neuron model,
    :meth:`set_target` fills it each batch), checks targets before any simulation
    (:meth:`check_target`) and computes its value in NumPy (:meth:`value`) for reporting
    and reference; the gradient code itself belongs to the training compiler.
    """

    #: Whether targets are one integer class label per example
    sparse_labels: bool = False

    def add_to_neuron(self, model: Any, shape: Tuple[int, ...], batch_size: int,
                      example_timesteps: int) -> None:
        """Add the target variable ``YTrue`` to an output neuron model.

        Parameters
        ----------
        model
            The output population's :class:`ml_genn.utils.model_builder.NeuronModelBuilder`.
        shape
            Output population shape.
        batch_size
            Batch size of the compiled model.
        example_timesteps
            Timesteps of one trial.
        """
        if self.sparse_labels:
            model.add_var("YTrue", 0, "unsigned int", VarAccess.READ_ONLY_SHARED_NEURON)
        else:
            model.add_var("YTrue", 0.0, "scalar", VarAccess.READ_ONLY_DUPLICATE)

    def set_target(self, genn_pop: Any, y_true: np.ndarray, shape: Tuple[int, ...],
                   batch_size: int, example_timesteps: int) -> None:
        """Copy one batch of checked targets into ``YTrue`` (missing examples get 0)."""
        view = genn_pop.vars["YTrue"].view
        view[...] = 0
        view[:len(y_true)] = np.asarray(y_true).reshape((len(y_true),) + view.shape[1:])

    def check_target(self, y_true: Any, pop: Any, what: str = "y") -> np.ndarray:
        """Check targets for output population ``pop``; returns them checked."""
        from ..compilers.data_checks import check_labels
        return check_labels(y_true, pop, self, what)

    def value(self, y_true: np.ndarray, y_pred: np.ndarray) -> float:
        """The loss of predictions ``y_pred`` (``(examples, neurons)``), averaged over examples."""
        raise NotImplementedError(f"{type(self).__name__} does not implement value()")

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
