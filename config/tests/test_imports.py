"""The web process starts without the models' libraries: they load in workers, where clips are made."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("torch", "mediapipe", "onnxruntime", "piper")

START_WEB = """
import json, sys
import config.asgi
from django.urls import get_resolver
get_resolver().url_patterns  # every app's urls, views and forms
print(json.dumps(sorted(name for name in sys.modules if name.split(".")[0] in {heavy})))
"""


def loaded_by(code: str) -> list[str]:
    result = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        check=True,
    )
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_starting_the_web_process_loads_no_model_library():
    assert loaded_by(START_WEB.format(heavy=set(HEAVY))) == []


def test_the_worker_does_load_them():
    """The check above can fail: the worker's module does pull torch in."""
    code = START_WEB.replace("import config.asgi", "import config.asgi\nimport generation.services.worker").format(
        heavy=set(HEAVY)
    )
    assert "torch" in loaded_by(code)
