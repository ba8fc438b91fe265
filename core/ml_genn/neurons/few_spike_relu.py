"""Few-spike ReLU neurons."""
from __future__ import annotations

from typing import Any, Optional, Tuple, Union

from ..errors import InvalidValueError
from ..readouts import Readout
from ..utils.model_builder import NeuronModelBuilder
from .checks import check_positive_int
from .few_spike_relu_input import FewSpikeReluInput, check_alpha, few_spike_scale
from .neuron import Neuron

# Each presentation: the digits arriving (one step after they were sent) are summed into Fx,
# weighted by the digit they stand for; at the start of the next presentation the last digit
# is added, Fx becomes V and is sent on as this neuron's own digits (a ReLU: a negative V
# sends none). The digit sent at step p-1 is worth SrcScale 2^(K-p); at p = 0 it is the
# previous presentation's last, worth SrcScale.
_FROM_UNSIGNED = """
const int kInt = (int)K;
const int pipeTimestep = (int)(t / dt);
const scalar hT = Scale * (scalar)(1 << (kInt - (1 + pipeTimestep)));
const scalar d = SrcScale * (scalar)(1 << ((kInt - pipeTimestep) % kInt));
Fx += Isyn * d;
if (pipeTimestep == 0) {
    V = Fx;
    Fx = 0.0;
}
"""
# Upstream signed input: digits alternate positive (sent at even steps) and negative
_FROM_SIGNED = """
const int kInt = (int)K;
const int pipeTimestep = (int)(t / dt);
const scalar hT = Scale * (scalar)(1 << (kInt - (1 + pipeTimestep)));
const scalar dSign = ((pipeTimestep % 2) == 0) ? -1.0 : 1.0;
const scalar d = dSign * SrcScale * (scalar)(1 << (((kInt - pipeTimestep) % kInt) / 2));
Fx += Isyn * d;
if (pipeTimestep == 0) {
    V = Fx;
    Fx = 0.0;
}
"""


class FewSpikeRelu(Neuron):
    """A ReLU unit of an ANN run as a few-spike neuron (Stöckl & Maass 2021): over each
    presentation of ``k`` timesteps it sums the digits its inputs send, then sends its own
    activation, ``max(0, input)`` clipped below ``alpha`` and rounded down to a multiple of
    ``alpha 2^-k``, as ``k`` binary digits during the next presentation. A network of them is
    pipelined: layer ``d`` works on the example presented ``d`` presentations earlier.

    Parameters
    ----------
    k
        Timesteps an activation is encoded over (equal across the network and to the
        compiler's ``k``).
    alpha
        Scale of this neuron's code (the largest activation it can send, almost).
    readout
        Readout of the output variable ``Fx`` (the weighted input summed so far): ``"var"``
        for output layers.
    """

    pipelined = True
    output_var_name = "Fx"

    def __init__(self, k: int = 10, alpha: float = 25,
                 readout: Union[Readout, str, None] = None):
        super().__init__(readout)
        owner = type(self).__name__
        self.k = check_positive_int(owner, "k", k)
        self.alpha = check_alpha(owner, alpha)

    def upstream_code(self, population: Any) -> Tuple[float, bool]:
        """``(alpha, signed)`` of the code this population's inputs send, after checking that
        every source is a few-spike neuron with this ``k``, and that they share one alpha and
        signedness."""
        found: Optional[Tuple[float, bool]] = None
        for conn in population.incoming_connections:
            source = conn.source
            neuron = source.neuron
            if not isinstance(neuron, (FewSpikeRelu, FewSpikeReluInput)):
                raise InvalidValueError(
                    f"FewSpikeRelu of Population '{population.name}' can only receive from "
                    f"few-spike neurons (FewSpikeRelu, FewSpikeReluInput), but Connection "
                    f"'{conn.name}' comes from {type(neuron).__name__} of Population "
                    f"'{source.name}'")
            if neuron.k != self.k:
                raise InvalidValueError(
                    f"FewSpike k must be the same across the network: Population "
                    f"'{population.name}' has k={self.k} but its source Population "
                    f"'{source.name}' has k={neuron.k}")
            code = (neuron.alpha, getattr(neuron, "signed_input", False))
            if found is None:
                found = code
            elif code[0] != found[0]:
                raise InvalidValueError(
                    f"FewSpikeRelu of Population '{population.name}': all its sources must "
                    f"have the same alpha, got {found[0]:g} and {code[0]:g} (Population "
                    f"'{source.name}')")
            elif code[1] != found[1]:
                raise InvalidValueError(
                    f"FewSpikeRelu of Population '{population.name}': all its sources must "
                    f"be signed or all unsigned (Population '{source.name}' differs)")
        # A population without inputs never receives digits; its own alpha keeps the scale
        return found if found is not None else (self.alpha, False)

    def get_model(self, population: Any, dt: float, batch_size: int) -> NeuronModelBuilder:
        """Engine model: ``Fx`` accumulates weighted digits, ``V`` is the activation being
        sent."""
        source_alpha, source_signed = self.upstream_code(population)
        model = NeuronModelBuilder("FewSpikeRelu", self.output_var_name)
        model.add_param("K", self.k, "int")
        model.add_param("Scale", few_spike_scale(self.alpha, self.k, False))
        model.add_param("SrcScale", few_spike_scale(source_alpha, self.k, source_signed))
        model.add_var("Fx", 0.0)
        model.add_var("V", 0.0)
        model.code["sim_code"] = _FROM_SIGNED if source_signed else _FROM_UNSIGNED
        model.code["threshold_condition_code"] = "V >= hT"
        model.code["reset_code"] = "V -= hT;"
        return model

    def __repr__(self) -> str:
        return f"FewSpikeRelu(k={self.k}, alpha={self.alpha:g})"
