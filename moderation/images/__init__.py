"""Portrait checks: real-photo signal, faces and likeness (runtime code and the fitted model only)."""
