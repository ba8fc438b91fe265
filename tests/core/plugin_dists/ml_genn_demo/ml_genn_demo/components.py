"""The demo plugin's components."""
from ml_genn.callbacks import Callback
from ml_genn.compilers import Compiler


class DemoCompiler(Compiler):
    """A compiler that only records what it was asked to compile."""

    def compile(self, network, name="", **kwargs):
        return ("compiled", network, name)


class DemoTracker(Callback):
    """Counts epochs, like an experiment tracker would."""

    def __init__(self):
        self.epochs = 0

    def on_epoch_end(self, epoch, metrics):
        self.epochs += 1
