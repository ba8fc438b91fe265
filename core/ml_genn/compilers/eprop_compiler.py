"""mlGeNN's module path for ``EPropCompiler`` and its ``default_params``.

The implementation lives in the plugin distribution ``ml-genn-eprop``; every attribute of this module
is looked up in the module that defines the registered ``EPropCompiler``.
"""
from ..plugins.provided import forwarding_module_getattr

__getattr__ = forwarding_module_getattr("compiler", "EPropCompiler", __name__)
