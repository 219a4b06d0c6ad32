"""Framework-free stages of the talking-clip pipeline: audio features and MP4 encoding.

Nothing here imports Django, so the stages can run in a worker, a script or a benchmark alike.
"""
