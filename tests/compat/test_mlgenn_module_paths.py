"""mlGeNN 2.4's module paths and helpers that scripts and extensions import (issue: mlGeNN
scripts run unchanged). Expected names and behaviour are mlGeNN's, read from its source."""
import importlib
import inspect
import re

import pytest

# (module, name) pairs mlGeNN 2.4 defines
PATHS = [("ml_genn.utils.callback_list", "CallbackList"),
         ("ml_genn.callbacks.spike_recorder", "SpikeRecorder"),
         ("ml_genn.callbacks.var_recorder", "VarRecorder"),
         ("ml_genn.callbacks.conn_var_recorder", "ConnVarRecorder"),
         ("ml_genn.neurons.input", "InputBase"),
         ("ml_genn.neurons.input", "Input"),
         ("ml_genn.compilers.compiler", "SupportedMatrixType"),
         ("ml_genn.utils.module", "get_module_classes"),
         ("ml_genn.utils.value", "get_genn_var_name"),
         ("ml_genn.utils.connectivity", "KernelInit"),
         ("ml_genn.utils.connectivity", "Param2D"),
         ("ml_genn.utils.connectivity", "PadMode"),
         ("ml_genn.connectivity.sparse_base", "SparseBase"),
         ("ml_genn.utils.model", "Model"),
         ("ml_genn.utils.model", "NeuronModel"),
         ("ml_genn.utils.model", "SynapseModel"),
         ("ml_genn.utils.model", "WeightUpdateModel"),
         ("ml_genn.utils.model", "CustomUpdateModel"),
         ("ml_genn.utils.model", "CustomConnectivityUpdateModel"),
         ("ml_genn.utils.snippet", "ConnectivitySnippet"),
         ("ml_genn.utils.snippet", "InitializerSnippet"),
         ("ml_genn.utils.snippet", "ConstantValueDescriptor"),
         ("ml_genn.utils.value", "get_values"),
         ("ml_genn.utils.value", "set_values"),
         ("ml_genn.utils.module", "get_object"),
         ("ml_genn.compilers.few_spike_compiler", "FewSpikeCompiler"),
         ("ml_genn.compilers.few_spike_compiler", "CompiledFewSpikeNetwork"),
         ("ml_genn.neurons.few_spike_relu", "FewSpikeRelu"),
         ("ml_genn.neurons.few_spike_relu_input", "FewSpikeReluInput")]

# Each subpackage's default dictionary and its base class
DEFAULTS = [("ml_genn.callbacks", "default_callbacks", "Callback"),
            ("ml_genn.connectivity", "default_connectivity", "Connectivity"),
            ("ml_genn.initializers", "default_initializers", "Initializer"),
            ("ml_genn.losses", "default_losses", "Loss"),
            ("ml_genn.metrics", "default_metrics", "Metric"),
            ("ml_genn.neurons", "default_neurons", "Neuron"),
            ("ml_genn.optimisers", "default_optimisers", "Optimiser"),
            ("ml_genn.readouts", "default_readouts", "Readout"),
            ("ml_genn.serialisers", "default_serialisers", "Serialiser"),
            ("ml_genn.synapses", "default_synapses", "Synapse")]


@pytest.mark.parametrize("module,name", PATHS)
def test_mlgenn_paths_import(module, name):
    value = getattr(importlib.import_module(module), name)
    assert value is not None
    exec(f"from {module} import {name}", {})


def test_paths_are_the_same_objects_as_the_public_ones():
    from ml_genn.callbacks import CallbackList, SpikeRecorder, VarRecorder
    from ml_genn.neurons import InputBase
    assert importlib.import_module("ml_genn.utils.callback_list").CallbackList is CallbackList
    assert importlib.import_module("ml_genn.callbacks.spike_recorder").SpikeRecorder \
        is SpikeRecorder
    assert importlib.import_module("ml_genn.callbacks.var_recorder").VarRecorder is VarRecorder
    assert importlib.import_module("ml_genn.neurons.input").InputBase is InputBase


def _snake(name):
    return re.sub(r"(?<!^)(?=[A-Z])", "_", name).lower()


def _buildable(cls):
    params = list(inspect.signature(cls.__init__).parameters.values())[1:]
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD)
               for p in params)


@pytest.mark.parametrize("module,name,base", DEFAULTS)
def test_default_dictionaries_hold_what_a_name_builds(module, name, base):
    """mlGeNN's default dictionaries map the names a string argument may use to the classes
    built from them: only classes that need no arguments."""
    from ml_genn.utils.module import get_object
    package = importlib.import_module(module)
    defaults = getattr(package, name)
    base_class = getattr(package, base)
    kind = {"Callback": "callback", "Connectivity": "connectivity", "Initializer": "initializer",
            "Loss": "loss", "Metric": "metric", "Neuron": "neuron", "Optimiser": "optimiser",
            "Readout": "readout", "Serialiser": "serialiser", "Synapse": "synapse"}[base]
    # Every connectivity needs its weights, so mlGeNN's default_connectivity is empty too
    assert defaults or name == "default_connectivity", f"{name} is empty"
    for key, cls in defaults.items():
        assert issubclass(cls, base_class) and cls is not base_class
        assert _buildable(cls), key
        assert type(get_object(key, base_class, "test", kind)) is cls, key
    # Every class the package exports that a name can build is in it (mlGeNN's rule)
    for export in package.__all__:
        obj = getattr(package, export)
        if inspect.isclass(obj) and issubclass(obj, base_class) and obj is not base_class \
                and _buildable(obj):
            assert obj in defaults.values(), export


def test_default_dictionaries_know_plugin_classes():
    from ml_genn.compilers.event_prop_compiler import default_params
    from ml_genn.neurons import default_neurons
    from ml_genn.readouts import default_readouts
    from ml_genn.optimisers import default_optimisers
    assert default_neurons["leaky_integrate_fire"].__name__ == "LeakyIntegrateFire"
    assert set(default_readouts) >= {"avg_var", "avg_var_exp_weight", "max_var", "sum_var", "var"}
    assert set(default_optimisers) >= {"adam", "sgd"}
    # Needs arguments, so not buildable by name: left out as mlGeNN leaves it out
    from ml_genn.callbacks import default_callbacks
    assert "spike_recorder" not in default_callbacks and "batch_progress_bar" in default_callbacks
    assert default_params


def test_get_module_classes_follows_mlgenn():
    from ml_genn.utils.module import get_module_classes

    class Base:
        pass

    class PlainThing(Base):
        pass

    class NeedsArgs(Base):
        def __init__(self, x):
            self.x = x

    class TakesVarArgs(Base):
        def __init__(self, *args, **kwargs):
            pass

    class Unrelated:
        pass

    namespace = {"Base": Base, "PlainThing": PlainThing, "NeedsArgs": NeedsArgs,
                 "TakesVarArgs": TakesVarArgs, "Unrelated": Unrelated, "value": 3}
    assert get_module_classes(namespace, Base) == {"plain_thing": PlainThing,
                                                   "takes_var_args": TakesVarArgs}


def test_get_genn_var_name_follows_mlgenn():
    from ml_genn.neurons import LeakyIntegrate, LeakyIntegrateFire
    from ml_genn.utils.value import get_genn_var_name
    assert get_genn_var_name(LeakyIntegrateFire(), "v") == "V"
    assert get_genn_var_name(LeakyIntegrateFire(), "v_thresh") == "Vthresh"
    assert get_genn_var_name(LeakyIntegrate(), "bias") == "Bias"
    # tau_mem only reaches the engine transformed (as Alpha): mlGeNN raises RuntimeError
    with pytest.raises(RuntimeError, match="tau_mem"):
        get_genn_var_name(LeakyIntegrateFire(), "tau_mem")
    with pytest.raises(RuntimeError, match="relative_reset"):
        get_genn_var_name(LeakyIntegrateFire(), "relative_reset")


def test_supported_matrix_type_picks_the_compilers_preference():
    from ml_genn.compilers.compiler import SupportedMatrixType
    from ml_genn.engine import SynapseMatrixType as M
    supported = SupportedMatrixType([M.TOEPLITZ, M.DENSE, M.SPARSE])
    assert supported.get_best([M.SPARSE, M.DENSE]) == M.DENSE
    assert supported.get_best([M.SPARSE]) == M.SPARSE
    assert supported.get_best([]) is None
    assert SupportedMatrixType([M.DENSE]).get_best([M.SPARSE]) is None


def test_conv_same_padding_equals_tensorflows_rule():
    # TensorFlow: out = ceil(in / stride), total = max((out - 1) stride + kernel - in, 0),
    # the smaller half before
    from math import ceil
    from ml_genn.utils.connectivity import get_conv_same_padding
    for in_size in range(1, 20):
        for kernel in range(1, 8):
            for stride in range(1, 5):
                out = ceil(in_size / stride)
                total = max((out - 1) * stride + kernel - in_size, 0)
                assert get_conv_same_padding(in_size, kernel, stride) == total // 2, \
                    (in_size, kernel, stride)


def test_get_param_2d_and_update_target_shape_follow_mlgenn():
    from ml_genn import Network, Population
    from ml_genn.neurons import LeakyIntegrate
    from ml_genn.utils.connectivity import PadMode, get_param_2d, update_target_shape
    assert PadMode("same") is PadMode.SAME and PadMode("valid") is PadMode.VALID
    assert get_param_2d("conv_size", 3) == (3, 3)
    assert get_param_2d("conv_size", [2, 5]) == (2, 5)
    assert get_param_2d("conv_strides", None, default=(1, 1)) == (1, 1)
    with pytest.raises(ValueError, match="conv_size"):
        get_param_2d("conv_size", None)
    with pytest.raises(ValueError, match="conv_size"):
        get_param_2d("conv_size", (1, 2, 3))
    with pytest.raises(TypeError, match="conv_size"):
        get_param_2d("conv_size", 2.5)
    net = Network()
    with net:
        free = Population(LeakyIntegrate(), None, name="free")
        fixed = Population(LeakyIntegrate(), 12, name="fixed")
        update_target_shape(free, (2, 3, 2), flatten_out=False)
        assert free.shape == (2, 3, 2)
        update_target_shape(fixed, (2, 3, 2), flatten_out=True)
        with pytest.raises(RuntimeError, match="fixed"):
            update_target_shape(fixed, (2, 3, 2), flatten_out=False)


def test_every_advertised_subpackage_imports():
    import ml_genn
    for name in ml_genn._SUBPACKAGES:
        assert importlib.import_module(f"ml_genn.{name}") is getattr(ml_genn, name)
    assert "communicators" in ml_genn._SUBPACKAGES
