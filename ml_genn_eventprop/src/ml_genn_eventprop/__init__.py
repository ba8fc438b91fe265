"""EventProp training with exact gradients (Wunderlich & Pehle 2021) for ml_genn.

Installing this distribution registers the compiler ``"event_prop"``; it is reachable as
``ml_genn.compilers.EventPropCompiler`` with ``ml_genn.compilers.event_prop_compiler.default_params``.
Import the compiler from :mod:`ml_genn_eventprop.compiler` (importing this package stays cheap).
"""
__version__ = "0.1.0"
