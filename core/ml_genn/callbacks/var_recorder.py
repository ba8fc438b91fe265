"""mlGeNN's module path for ``VarRecorder``.

The implementation lives in the plugin distribution ``ml-genn-recorders``; every attribute of this
module is looked up in the module that defines the registered ``VarRecorder``.
"""
from ..plugins.provided import forwarding_module_getattr

__getattr__ = forwarding_module_getattr("callback", "VarRecorder", __name__)
