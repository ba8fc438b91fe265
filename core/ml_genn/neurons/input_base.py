"""Input neurons fed dense (non-spike) data, possibly as a sequence of frames."""
from __future__ import annotations

from typing import Optional

from .checks import check_positive_int
from .input import Input


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
                 input_frames: int = 1, input_frame_timesteps: int = 1):
        owner = type(self).__name__
        self.input_frames = check_positive_int(owner, "input_frames", input_frames)
        self.input_frame_timesteps = check_positive_int(owner, "input_frame_timesteps",
                                                        input_frame_timesteps)
        if self.input_frames > 1 and egp_name is None:
            raise ValueError(f"{owner} does not support time-varying input; use "
                             f"input_frames=1, got {input_frames!r}")
        self.var_name = var_name
        self.egp_name = egp_name
