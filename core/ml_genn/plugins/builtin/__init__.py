"""Core's built-in components, registered through the same hooks as any third-party plugin.

Targets are lazy ``"module:Class"`` strings so that loading these plugins imports nothing heavy.
"""
