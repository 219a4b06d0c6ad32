"""Make a clip from the command line, without Django.

python -m engine --image portrait.png --text "Hello there" --voice joe --out clip.mp4
python -m engine --image portrait.png --audio speech.ogg --out clip.mp4
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

from engine import speech
from engine.pipeline import ClipRequest, make_clip
from engine.rig import Rig, RigError, RigUncertain
from provenance import manifest


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m engine", description="Turn a portrait and a script into a talking clip.")
    parser.add_argument("--voices", action="store_true", help="list the voice catalogue and exit")
    parser.add_argument("--image", type=Path, help="portrait (PNG, JPEG or WebP)")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--text", help="the script to speak")
    source.add_argument("--audio", type=Path, help="recorded speech instead of a script (WAV, MP3, OGG; at most 60 s)")
    parser.add_argument(
        "--voice", default=speech.DEFAULT_VOICE, help=f"voice id (default {speech.DEFAULT_VOICE}; --voices lists them)"
    )
    parser.add_argument("--out", type=Path, help="where to write the MP4 (the poster goes beside it as .jpg)")
    parser.add_argument("--rig", type=Path, help="a face rig JSON (as stored by the rig editor); detected when left out")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--size", type=int, default=512, help="long side of the video in pixels")
    parser.add_argument("--no-badge", action="store_true", help="leave out the visible AI-generated label")
    parser.add_argument("--c2pa-dir", type=Path, default=Path("var/c2pa"), help="where the development signing certificates live")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    if args.voices:
        _print_voices()
        return 0
    if args.image is None or args.out is None or (args.text is None and args.audio is None):
        parser.error("--image, --out and one of --text or --audio are required")
    try:
        image = np.asarray(Image.open(args.image).convert("RGB"))
        rig = Rig.from_dict(json.loads(args.rig.read_text())) if args.rig else None
    except (OSError, ValueError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    request = ClipRequest(
        image=image,
        text=args.text,
        audio=args.audio,
        voice=args.voice,
        rig=rig,
        seed=args.seed,
        size=args.size,
        badge=not args.no_badge,
    )
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as workdir:
        try:
            result = make_clip(
                request, workdir=Path(workdir), identity=manifest.dev_identity(args.c2pa_dir), on_progress=_progress
            )
        except RigUncertain as error:
            print(f"\nerror: {error} Or pass --rig with a rig JSON.", file=sys.stderr)
            return 2
        except (speech.SpeechError, RigError) as error:
            print(f"\nerror: {error}", file=sys.stderr)
            return 2
        args.out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(result.video, args.out)
        shutil.move(result.poster, args.out.with_suffix(".jpg"))
    wall = time.perf_counter() - started
    print(
        f"\r{args.out}: {result.width}×{result.height}, {result.duration:.2f} s, rig from {result.rig_source}, watermark {result.watermark_payload.hex()}"
    )
    for stage, seconds in result.timings.items():
        print(f"  {stage:<9}{seconds:7.3f} s")
    print(f"  {'total':<9}{wall:7.3f} s  (real-time factor {wall / result.duration:.2f})")
    if result.fallback_reason:
        print(f"  fallback: {result.fallback_reason}")
    return 0


def _print_voices() -> None:
    for voice in speech.VOICES.values():
        default = " (default)" if voice.id == speech.DEFAULT_VOICE else ""
        print(f"{voice.id:<8}{voice.name:<12}{voice.description}{default}")


def _progress(stage: str, percent: int) -> None:
    print(f"\r{percent:3d}% {stage:<10}", end="", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
