"""Claims the compiler name 'inference', which core registers first."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_compilers(registry):
    registry.add("inference", "ml_genn_collide.plugin:NotCoreInference")
