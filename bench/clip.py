"""Benchmark the whole clip pipeline on a 10-second script, with the encoder alone as the floor.

    python -m bench.clip        # prints one JSON object (run from the repository root)

For each engine (an espeak-ng voice and the Piper neural voice) a fresh process makes the clip
twice from a demo portrait: the first run pays the one-time loads (face mesh, voice model), the
second is what a warm worker sees. Per-stage seconds, the real-time factor (wall time / clip
duration) and the peak resident memory of the process are reported (ffmpeg runs beside it as
its own process, a few tens of MB). In the same process, encoding the same number of frames of
the still portrait with the same audio is timed as the floor no renderer can beat.
"""

import json
import resource
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from bench import harness

SCRIPT = (
    "Good evening, travellers. The storm outside will not let up before morning, so pull your chairs "
    "closer to the fire. I have a story about a lighthouse keeper who spoke to the sea, and the sea answered."
)
PORTRAIT = harness.ROOT / "evals/data/portraits/drawn/demo_mira.png"
TARGET_REAL_TIME_FACTOR = 0.5


def measure(voice_id: str) -> dict[str, Any]:
    """Runs in its own process so the peak memory belongs to this voice alone."""
    import numpy as np
    from PIL import Image

    from engine.encode import encode_clip
    from engine.pipeline import ClipRequest, make_clip
    from engine.render import still_frame
    from provenance import manifest, watermark

    image = np.asarray(Image.open(PORTRAIT).convert("RGB"))
    runs = []
    with tempfile.TemporaryDirectory() as tmp:
        identity = manifest.dev_identity(Path(tmp) / "c2pa")
        for attempt in range(2):
            workdir = Path(tmp) / f"run{attempt}"
            workdir.mkdir()
            request = ClipRequest(image=image, text=SCRIPT, audio=None, voice=voice_id)
            result, wall = harness.timed(make_clip, request, workdir=workdir, identity=identity)
            runs.append({"wall_s": round(wall, 3), "stages_s": {k: round(v, 3) for k, v in result.timings.items()}})
        frame = watermark.embed(still_frame(image), watermark.new_payload())
        frames = round(result.duration * result.fps)
        _, floor = harness.timed(
            encode_clip, (frame for _ in range(frames)), audio_wav=workdir / "speech.wav", out=Path(tmp) / "floor.mp4"
        )
    warm = runs[1]
    return {
        "voice": voice_id,
        "clip_seconds": round(result.duration, 2),
        "frames": frames,
        "size": [result.width, result.height],
        "rig_source": result.rig_source,
        "fallback": result.fallback_reason,
        "cold": runs[0],
        "warm": warm,
        "real_time_factor_warm": round(warm["wall_s"] / result.duration, 3),
        "real_time_factor_cold": round(runs[0]["wall_s"] / result.duration, 3),
        "encode_floor_s": round(floor, 3),
        "warm_over_floor": round(warm["wall_s"] / floor, 2),
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
    }


def measure_in_child(voice_id: str) -> dict[str, Any]:
    """A fresh interpreter per voice (`python -m bench.clip --voice ID` at the root): its peak memory is that voice's alone."""
    out = subprocess.run(
        [sys.executable, "-m", "bench.clip", "--voice", voice_id],
        cwd=harness.ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def bench_voices() -> list[str]:
    """The default voice, then the first Piper and the first espeak-ng voice (each once)."""
    from engine import speech

    firsts = (next(v.id for v in speech.VOICES.values() if v.engine == engine) for engine in ("piper", "espeak"))
    return list(dict.fromkeys([speech.DEFAULT_VOICE, *firsts]))


def main() -> None:
    parser = harness.parser(__doc__)
    parser.add_argument("--voice", help="measure this voice alone, in this process, and print one JSON line")
    args = parser.parse_args()
    if args.voice:
        harness.emit(measure(args.voice), indent=None)
        return
    results = [measure_in_child(voice_id) for voice_id in bench_voices()]
    harness.emit(
        {
            "script_words": len(SCRIPT.split()),
            "portrait": PORTRAIT.name,
            "target_real_time_factor": TARGET_REAL_TIME_FACTOR,
            "results": results,
            "meets_target_warm": {r["voice"]: r["real_time_factor_warm"] <= TARGET_REAL_TIME_FACTOR for r in results},
        }
    )


if __name__ == "__main__":
    main()
