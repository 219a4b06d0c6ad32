"""The stages of a clip, in order: what a progress bar lists, importable without the engine's heavy modules."""

STAGES: tuple[str, ...] = ("speech", "features", "rig", "motion", "render", "encode", "sign")
