"""Input neurons fed dense (non-spike) data, possibly as a sequence of frames."""
from __future__ import annotations

from typing import Any, Optional, Tuple

import numpy as np

from ..engine import VarAccess
from ..utils.data import MAX_ENGINE_VALUE
from .checks import check_positive_int
from .input import Input
from .neuron import init_next_base
from ..errors import InvalidTypeError, InvalidValueError


class InputBase(Input):
    """Base of input neurons whose data are arrays of the population's shape.

    Parameters
    ----------
    var_name
        Name of the engine state variable holding static (single-frame) input.
    egp_name
        Name of the engine extra global parameter holding time-varying (multi-frame) input;
        ``None`` if the model cannot take time-varying input.
    input_frames
        How many frames each example has.
    input_frame_timesteps
        How many timesteps each frame is presented for.
    """

    def __init__(self, var_name: str = "Input", egp_name: Optional[str] = None,
                 input_frames: int = 1, input_frame_timesteps: int = 1, **kwargs: Any):
        init_next_base(InputBase, self, kwargs)
        owner = type(self).__name__
        self.input_frames = check_positive_int(owner, "input_frames", input_frames)
        self.input_frame_timesteps = check_positive_int(owner, "input_frame_timesteps",
                                                        input_frame_timesteps)
        if self.input_frames > 1 and egp_name is None:
            raise InvalidValueError(f"{owner} does not support time-varying input; use "
                                    f"input_frames=1, got {input_frames!r}")
        self.var_name = var_name
        self.egp_name = egp_name

    # ------------------------------------------------------------------ engine
    def add_input_logic(self, model: Any, batch_size: int, num_neurons: int) -> str:
        """Add the input storage to ``model`` and return the code expression reading it.

        Single-frame input is a per-batch, per-neuron read-only variable written by
        :meth:`set_input`; multi-frame input is an extra global param holding every frame of
        the batch, indexed by the frame the current timestep falls in.
        """
        if self.input_frames == 1:
            model.add_var(self.var_name, 0.0, "scalar", VarAccess.READ_ONLY_DUPLICATE)
            return self.var_name
        frames, steps = self.input_frames, self.input_frame_timesteps
        model.add_egp(self.egp_name, "scalar*",
                      np.zeros(batch_size * frames * num_neurons, dtype=np.float32))
        # Frames are held for input_frame_timesteps steps; the last frame stays after the end
        model.prepend_code("sim_code",
                           f"const unsigned int _input_ts = (unsigned int)((t / dt) + 0.5);\n"
                           f"unsigned int _input_frame = _input_ts / {steps}u;\n"
                           f"if (_input_frame > {frames - 1}u) {{ _input_frame = {frames - 1}u; }}\n"
                           f"InputFrameValue = {self.egp_name}[(((size_t)batch * {frames}u + "
                           f"_input_frame) * num_neurons) + id];")
        # Held in a variable so that threshold code (a separate code field) can read it too
        model.add_var("InputFrameValue", 0.0, "scalar", VarAccess.READ_WRITE)
        return "InputFrameValue"

    # ------------------------------------------------------------------ data
    def example_shape(self, shape: Tuple[int, ...]) -> Tuple[int, ...]:
        """Shape of one example of input data for a population of ``shape``."""
        return tuple(shape) if self.input_frames == 1 else (self.input_frames,) + tuple(shape)

    def check_input(self, data: Any, shape: Tuple[int, ...], owner: str) -> np.ndarray:
        """Check a whole dataset for this population and return it as a float array.

        Parameters
        ----------
        data
            Array of shape ``(examples,) + example shape`` (or flattened per example).
        shape
            Population shape.
        owner
            What the data feed, used in errors (e.g. ``"Population 'input'"``).
        """
        from .spike_input import is_spike_data
        kind = type(self).__name__
        if is_spike_data(data):
            raise InvalidTypeError(
                f"{owner} ({kind}) takes dense arrays of values, got "
                f"PreprocessedSpikes; feed spikes to a SpikeInput population instead")
        try:
            array = np.asarray(data)
        except ValueError as exc:
            raise InvalidValueError(f"{owner} ({kind}) input must be a rectangular array ({exc})") from None
        if array.dtype == object or not (np.issubdtype(array.dtype, np.number)
                                         or array.dtype == bool):
            raise InvalidTypeError(f"{owner} ({kind}) input must be numeric, got dtype {array.dtype}")
        if np.issubdtype(array.dtype, np.complexfloating):
            # Casting to the engine's real type would silently drop the imaginary part
            raise InvalidTypeError(f"{owner} ({kind}) input must be real numbers, got complex "
                                   f"dtype {array.dtype}")
        expected = self.example_shape(shape)
        size = int(np.prod(expected))
        if array.ndim < 1 or (array.shape[1:] != expected and array.shape[1:] != (size,)):
            raise InvalidValueError(
                f"{owner} ({kind}) input must have shape (examples,) + {expected} "
                f"(or (examples, {size})), got shape {array.shape}")
        if not np.all(np.isfinite(array)):
            raise InvalidValueError(f"{owner} ({kind}) input contains NaN or infinite values")
        if array.size and np.issubdtype(array.dtype, np.floating) and \
                np.abs(array).max() > MAX_ENGINE_VALUE:
            # The engine holds input in single precision, where these would become infinity
            raise InvalidValueError(
                f"{owner} ({kind}) input holds values up to {float(np.abs(array).max()):.3g} in "
                f"magnitude, beyond the engine's float range ({MAX_ENGINE_VALUE:.3g})")
        return array.reshape(array.shape[0], size)

    def set_input(self, genn_pop: Any, batch_size: int, shape: Tuple[int, ...],
                  input: np.ndarray) -> None:
        """Copy one batch of checked input (``(examples <= batch_size, size)``) into the engine.

        Examples missing from a short last batch get zero input.
        """
        n = int(np.prod(shape))
        batch = np.zeros((batch_size, self.input_frames * n), dtype=np.float64)
        batch[:len(input)] = input
        if self.input_frames == 1:
            genn_pop.vars[self.var_name].view[...] = batch
        else:
            genn_pop.extra_global_params[self.egp_name].view[...] = batch.reshape(-1)
