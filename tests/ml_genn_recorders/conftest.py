"""Shared set-up of the recorder tests: the reference helpers beside them."""
import os
import sys

# recorders_reference lives beside the tests
sys.path.insert(0, os.path.dirname(__file__))
