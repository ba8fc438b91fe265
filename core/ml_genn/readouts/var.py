"""The ``"var"`` readout."""
from __future__ import annotations

from typing import Any, Tuple

import numpy as np

from .readout import Readout


class Var(Readout):
    """Reads out the instantaneous value of the neuron's output variable at the end of the trial."""

    needs_output_var = True

    def get_readout(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...]) -> np.ndarray:
        """The output variable's current value."""
        return self._read(genn_pop, self.output_var_name, batch_size, shape)
