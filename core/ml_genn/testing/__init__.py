"""Testing kit for ml_genn and its plugin authors."""
