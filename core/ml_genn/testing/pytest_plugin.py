"""pytest plugin shipped with ml_genn: fixtures for plugin authors (filled in by the plugin system)."""
