"""Training-control and tracking callbacks for ml_genn (AIToolbox's set).

Installing this distribution registers callbacks reachable from ``ml_genn.callbacks`` by class
name and by their snake_case names (``"early_stopping"``, ``"terminate_on_nan"``). Import them
from ``ml_genn.callbacks`` or their modules here (importing this package stays cheap).
"""
__version__ = "0.1.0"
