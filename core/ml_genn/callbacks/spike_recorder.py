"""mlGeNN's module path for ``SpikeRecorder``.

The implementation lives in the plugin distribution ``ml-genn-recorders``; every attribute of this
module is looked up in the module that defines the registered ``SpikeRecorder``.
"""
from ..plugins.provided import forwarding_module_getattr

__getattr__ = forwarding_module_getattr("callback", "SpikeRecorder", __name__)
