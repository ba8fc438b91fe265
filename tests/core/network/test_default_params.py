"""Network default_params and the network_default_params decorator."""
import pytest

from ml_genn import Network, Population, SequentialNetwork
from ml_genn.neurons import IntegrateFireInput, LeakyIntegrate, LeakyIntegrateFire, \
    LeakyIntegrateFireInput
from ml_genn.synapses import Exponential
from ml_genn.utils.decorators import network_default_params

EVENTPROP_LIKE = {
    LeakyIntegrateFire: {"relative_reset": False, "integrate_during_refrac": False,
                         "scale_i": True},
    LeakyIntegrateFireInput: {"relative_reset": False, "scale_i": True},
    Exponential: {"scale_i": True},
}


def test_defaults_apply_inside_the_block_only():
    with Network(EVENTPROP_LIKE):
        lif = LeakyIntegrateFire()
        syn = Exponential(tau=3.0)
        li = LeakyIntegrate()
    assert (lif.relative_reset, lif.integrate_during_refrac, lif.scale_i) == (False, False, True)
    assert syn.scale_i is True and syn.tau == 3.0
    assert li.scale_i is False  # no entry for LeakyIntegrate
    outside = LeakyIntegrateFire()
    assert (outside.relative_reset, outside.scale_i) == (True, False)


def test_explicit_arguments_win_over_defaults():
    with SequentialNetwork(EVENTPROP_LIKE):
        by_keyword = LeakyIntegrateFire(scale_i=False)
        # relative_reset is the 6th positional argument
        by_position = LeakyIntegrateFire(1.0, 0.0, 0.0, 20.0, None, True)
    assert by_keyword.scale_i is False and by_keyword.relative_reset is False
    assert by_position.relative_reset is True and by_position.scale_i is True


def test_defaults_are_per_exact_class():
    with Network(EVENTPROP_LIKE):
        lif_input = LeakyIntegrateFireInput()
        if_input = IntegrateFireInput(input_frames=2)
    # Its own entry applies, not LeakyIntegrateFire's (integrate_during_refrac stays True)
    assert (lif_input.relative_reset, lif_input.scale_i,
            lif_input.integrate_during_refrac) == (False, True, True)
    assert if_input.input_frames == 2


def test_unknown_default_names_are_reported():
    with pytest.raises(TypeError, match="Network default_params for LeakyIntegrate name "
                                        "'relative_reset', which LeakyIntegrate\\(\\) does not "
                                        "take"):
        with Network({LeakyIntegrate: {"relative_reset": True}}):
            LeakyIntegrate()


def test_bad_default_params_are_refused():
    with pytest.raises(TypeError, match="default_params must be a dict"):
        Network([1, 2])
    with pytest.raises(TypeError, match="must map classes to dicts"):
        Network({"leaky_integrate": {"scale_i": True}})


def test_decorator_on_user_classes():
    class Custom:
        @network_default_params
        def __init__(self, a=1, b=2):
            self.a, self.b = a, b

    with Network({Custom: {"b": 5}}):
        obj = Custom(a=3)
        Population(LeakyIntegrateFire(), 1)
    assert (obj.a, obj.b) == (3, 5)
    assert (Custom().a, Custom().b) == (1, 2)
