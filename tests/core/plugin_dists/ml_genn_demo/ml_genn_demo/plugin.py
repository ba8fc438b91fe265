"""Entry-point module: cheap to import, classes are registered lazily."""
from ml_genn import hookimpl


@hookimpl
def ml_genn_register_compilers(registry):
    registry.add("demo_compiler", "ml_genn_demo.components:DemoCompiler")


@hookimpl
def ml_genn_register_callbacks(registry):
    registry.add("demo_tracker", "ml_genn_demo.components:DemoTracker")


@hookimpl
def ml_genn_validate_network(network, compiler):
    # Demonstrates a policy plugin: refuse populations named "forbidden"
    return [f"Population '{pop.name}' uses a name the demo plugin forbids"
            for pop in getattr(network, "populations", []) if pop.name == "forbidden"]
