import os
import sys

# lms_compiler and resume_script live beside the tests
sys.path.insert(0, os.path.dirname(__file__))
