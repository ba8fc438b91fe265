"""ml_genn: spike-based machine learning with a Keras-like API."""
__version__ = "2.4.0"
