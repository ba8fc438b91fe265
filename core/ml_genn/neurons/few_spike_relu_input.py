"""Few-spike input neurons: each activation sent as ``k`` binary digits."""
from __future__ import annotations

from numbers import Real
from typing import Any

from ..engine import VarAccess
from ..errors import InvalidTypeError, InvalidValueError
from ..utils.model_builder import NeuronModelBuilder
from .checks import check_bool, check_positive_int
from .input_base import InputBase
from .neuron import Neuron


def check_alpha(owner: str, alpha: Any) -> float:
    """``alpha`` as a float if it is a positive number, else an error naming ``owner``."""
    if isinstance(alpha, bool) or not isinstance(alpha, Real):
        raise InvalidTypeError(f"{owner} alpha must be a positive number, got "
                               f"{type(alpha).__name__}: {alpha!r}")
    if not alpha > 0.0:
        raise InvalidValueError(f"{owner} alpha must be a positive number, got {alpha!r}")
    return float(alpha)


def few_spike_scale(alpha: float, k: int, signed: bool) -> float:
    """Value of the least significant digit of a few-spike code: ``alpha 2^-k`` for unsigned
    codes, ``alpha 2^-(k//2)`` for signed ones (which interleave ``k//2`` positive and
    negative digits; mlGeNN's ``alpha * 2**(-k // 2)``, i.e. ``-k`` floor-divided)."""
    return alpha * 2.0 ** ((-k) // 2 if signed else -k)


# Unsigned code: at step p of a presentation the digit worth hT = alpha 2^-(p+1) is sent if
# what remains of the value reaches it (greedy binary expansion, most significant first)
_UNSIGNED_SIM = """
const int kInt = (int)K;
const int pipeTimestep = (int)(t / dt);
const scalar hT = Scale * (scalar)(1 << (kInt - (1 + pipeTimestep)));
"""
# Signed code: even steps send positive digits, odd steps negative ones, each of the k/2
# magnitudes twice
_SIGNED_SIM = """
const int halfK = (int)K / 2;
const int pipeTimestep = (int)(t / dt);
const int halfPipeTimestep = pipeTimestep / 2;
const bool positive = (pipeTimestep % 2) == 0;
const scalar hT = Scale * (scalar)(1 << (halfK - (1 + halfPipeTimestep)));
"""


class FewSpikeReluInput(Neuron, InputBase):
    """Input neurons of a few-spike network (Stöckl & Maass 2021): each example's value is
    held in ``V`` and sent over the ``k`` timesteps of a presentation as its binary digits,
    scaled by ``alpha`` (values are clipped to ``[0, alpha)``, or ``(-alpha, alpha)`` when
    signed).

    Parameters
    ----------
    k
        Timesteps a value is encoded over (the compiler's ``k`` must match).
    alpha
        Scale of the code: the largest value it can represent (almost).
    signed_input
        Whether inputs may be negative (then ``k // 2`` positive and ``k // 2`` negative
        digits interleave).
    """

    pipelined = True

    def __init__(self, k: int = 10, alpha: float = 25, signed_input: bool = False):
        super().__init__(var_name="V")
        owner = type(self).__name__
        self.k = check_positive_int(owner, "k", k)
        self.alpha = check_alpha(owner, alpha)
        self.signed_input = check_bool(owner, "signed_input", signed_input)
        if self.signed_input and self.k % 2:
            # Signed codes interleave k/2 positive and k/2 negative digits; with an odd k the
            # last digit's threshold would need a negative shift
            raise InvalidValueError(f"{owner} with signed_input=True needs an even k (k/2 "
                                    f"positive and k/2 negative digits), got k={k}")

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: ``V`` holds the value being sent; a spike sends one digit."""
        model = NeuronModelBuilder("FewSpikeReluInput", None)
        model.add_param("K", self.k, "int")
        model.add_param("Scale", few_spike_scale(self.alpha, self.k, self.signed_input))
        # Written by set_input at the start of every presentation, consumed by the digits
        model.add_var("V", 0.0, "scalar", VarAccess.READ_WRITE)
        if self.signed_input:
            model.code["sim_code"] = _SIGNED_SIM
            model.code["threshold_condition_code"] = "(positive && V >= hT) || (!positive && V < -hT)"
            model.code["reset_code"] = "if (positive) { V -= hT; } else { V += hT; }"
        else:
            model.code["sim_code"] = _UNSIGNED_SIM
            model.code["threshold_condition_code"] = "V >= hT"
            model.code["reset_code"] = "V -= hT;"
        return model

    def __repr__(self) -> str:
        return (f"FewSpikeReluInput(k={self.k}, alpha={self.alpha:g}, "
                f"signed_input={self.signed_input})")
