"""The garbage collector of a long-running web process, settled once the app is loaded.

Everything loaded at start-up (Django, the apps, the engine's numerical libraries: some 400k
objects) lives as long as the process. Freezing it keeps full collections from walking it, which
otherwise pauses a request for a few hundred milliseconds every hundred or so requests (measured
in bench/feed.py: p99 of a feed page 340 ms before, 45-90 ms after). The feed benchmark calls
this too, so it measures what the server does.
"""

import gc


def settle() -> None:
    gc.collect()
    gc.freeze()
