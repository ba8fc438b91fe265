"""Built-in neurons, synapses, connectivity, initializers and readouts."""
from ...hookspecs import hookimpl

NEURONS = {
    "leaky_integrate_fire": "ml_genn.neurons:LeakyIntegrateFire",
    "leaky_integrate": "ml_genn.neurons:LeakyIntegrate",
    "integrate_fire": "ml_genn.neurons:IntegrateFire",
    "adaptive_leaky_integrate_fire": "ml_genn.neurons:AdaptiveLeakyIntegrateFire",
    "spike_input": "ml_genn.neurons:SpikeInput",
    "poisson_input": "ml_genn.neurons:PoissonInput",
    "binary_spike_input": "ml_genn.neurons:BinarySpikeInput",
    "integrate_fire_input": "ml_genn.neurons:IntegrateFireInput",
    "leaky_integrate_fire_input": "ml_genn.neurons:LeakyIntegrateFireInput",
    "few_spike_relu": "ml_genn.neurons:FewSpikeRelu",
    "few_spike_relu_input": "ml_genn.neurons:FewSpikeReluInput",
}
SYNAPSES = {
    "delta": "ml_genn.synapses:Delta",
    "exponential": "ml_genn.synapses:Exponential",
}
CONNECTIVITY = {
    "dense": "ml_genn.connectivity:Dense",
    "one_to_one": "ml_genn.connectivity:OneToOne",
    "fixed_probability": "ml_genn.connectivity:FixedProbability",
    "conv2d": "ml_genn.connectivity:Conv2D",
    "conv2d_transpose": "ml_genn.connectivity:Conv2DTranspose",
    "avg_pool2d": "ml_genn.connectivity:AvgPool2D",
    "avg_pool_dense2d": "ml_genn.connectivity:AvgPoolDense2D",
    "avg_pool_conv2d": "ml_genn.connectivity:AvgPoolConv2D",
}
INITIALIZERS = {
    "normal": "ml_genn.initializers:Normal",
    "uniform": "ml_genn.initializers:Uniform",
    "wrapper": "ml_genn.initializers:Wrapper",
}
READOUTS = {
    "var": "ml_genn.readouts:Var",
    "avg_var": "ml_genn.readouts:AvgVar",
    "avg_var_exp_weight": "ml_genn.readouts:AvgVarExpWeight",
    "sum_var": "ml_genn.readouts:SumVar",
    "max_var": "ml_genn.readouts:MaxVar",
    "spike_count": "ml_genn.readouts:SpikeCount",
    "first_spike_time": "ml_genn.readouts:FirstSpikeTime",
}


def _add_all(registry, table):
    for name, target in table.items():
        registry.add(name, target)


@hookimpl
def ml_genn_register_neurons(registry):
    _add_all(registry, NEURONS)


@hookimpl
def ml_genn_register_synapses(registry):
    _add_all(registry, SYNAPSES)


@hookimpl
def ml_genn_register_connectivity(registry):
    _add_all(registry, CONNECTIVITY)


@hookimpl
def ml_genn_register_initializers(registry):
    _add_all(registry, INITIALIZERS)


@hookimpl
def ml_genn_register_readouts(registry):
    _add_all(registry, READOUTS)
