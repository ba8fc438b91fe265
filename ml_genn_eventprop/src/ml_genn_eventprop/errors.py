"""Errors raised by the EventProp compiler."""


class EventPropError(Exception):
    """Base class of the EventProp compiler's errors."""


class UnsupportedNetworkError(EventPropError, NotImplementedError):
    """The network uses a model or combination EventProp cannot compute gradients for."""


class SpikeBufferOverflowError(EventPropError, RuntimeError):
    """A population emitted more spikes in one example than ``max_spikes`` can hold."""
