"""Built-in compilers."""
from ...hookspecs import hookimpl


@hookimpl
def ml_genn_register_compilers(registry):
    registry.add("inference", "ml_genn.compilers:InferenceCompiler")
    registry.add("few_spike", "ml_genn.compilers:FewSpikeCompiler")
