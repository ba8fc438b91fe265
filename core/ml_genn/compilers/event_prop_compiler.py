"""mlGeNN's module path for ``EventPropCompiler`` and its ``default_params``.

The implementation lives in the plugin distribution ``ml-genn-eventprop``; every attribute of this module
is looked up in the module that defines the registered ``EventPropCompiler``.
"""
from ..plugins.provided import forwarding_module_getattr

__getattr__ = forwarding_module_getattr("compiler", "EventPropCompiler", __name__)
