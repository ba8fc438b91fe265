"""e-prop online learning (Bellec et al. 2020) for ml_genn.

Installing this distribution registers the compiler ``"eprop"``; it is reachable as
``ml_genn.compilers.EPropCompiler`` with ``ml_genn.compilers.eprop_compiler.default_params``.
Import the compiler from :mod:`ml_genn_eprop.compiler` (importing this package stays cheap).
"""
__version__ = "0.1.0"
