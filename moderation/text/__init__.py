"""Text screening: normalization, rules and the bundled classifiers (runtime code and assets only)."""
