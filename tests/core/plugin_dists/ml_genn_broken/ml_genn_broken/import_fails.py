"""A plugin module that cannot be imported."""
raise RuntimeError("the broken plugin failed on purpose")
