"""libespeak-ng through ctypes: speech plus the phoneme and word events it reports while speaking.

Design notes
------------
* The synchronous output mode hands every audio buffer to a callback together with the events
  that fall inside it. Each phoneme event carries ``sample``, its position in samples from the
  start of the utterance, and the text position of the word it belongs to, so phone and word
  timings come from the synthesizer itself, not from guesses. Phoneme names are requested in IPA
  (``espeakINITIALIZE_PHONEME_IPA``); a pause is a phoneme event with an empty name.
* The library keeps its state in globals, and not all of it is reset between utterances: the
  wave generator's phase, cycle counter and echo buffer carry over, so the same text came out a
  few samples different every time. The library is therefore loaded, initialized, used once,
  terminated and unloaded for every utterance (about 2 ms), under one process-wide lock. This
  makes output depend only on text and settings. Variants that add breath noise or use the
  Klatt generator draw on a random generator seeded from the clock, so the catalogue avoids them.
  The price: espeak-ng 1.51 keeps a few allocations (the voice list) only in static pointers that
  ``espeak_Terminate`` does not free, so every utterance leaves about 3-4 KB behind (4 MB per
  thousand clips); long-lived workers should be recycled now and then (Celery's
  ``worker_max_tasks_per_child``). Later espeak-ng releases free them.
* ``espeakINITIALIZE_DONT_EXIT`` stops the library from calling ``exit()`` when its data is
  missing; the error is raised as ``EspeakError`` instead.
* The library is opened with ``RTLD_LOCAL`` (ctypes' default). Piper links its own copy of
  espeak-ng statically into ``piper.espeakbridge``; neither copy can see the other's symbols.
"""

from __future__ import annotations

import _ctypes
import ctypes
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

LIBRARY = "libespeak-ng.so.1"

AUDIO_OUTPUT_SYNCHRONOUS = 2
INITIALIZE_PHONEME_EVENTS = 0x0001
INITIALIZE_PHONEME_IPA = 0x0002
INITIALIZE_DONT_EXIT = 0x8000
CHARS_UTF8 = 1
POS_CHARACTER = 1

EVENT_LIST_TERMINATED = 0
EVENT_PHONEME = 7

PARAMETER_RATE = 1
PARAMETER_PITCH = 3
PARAMETER_RANGE = 4


class EspeakError(RuntimeError):
    """libespeak-ng is missing, has no data, or refused a voice."""


class _EventId(ctypes.Union):
    _fields_ = [("number", ctypes.c_int), ("name", ctypes.c_char_p), ("string", ctypes.c_char * 8)]


class _Event(ctypes.Structure):
    """``espeak_EVENT`` from speak_lib.h."""

    _fields_ = [
        ("type", ctypes.c_int),
        ("unique_identifier", ctypes.c_uint),
        ("text_position", ctypes.c_int),
        ("length", ctypes.c_int),
        ("audio_position", ctypes.c_int),
        ("sample", ctypes.c_int),
        ("user_data", ctypes.c_void_p),
        ("id", _EventId),
    ]


_CALLBACK = ctypes.CFUNCTYPE(ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.POINTER(_Event))


@dataclass(frozen=True)
class PhonemeMark:
    """A phoneme starts at ``sample``; ``symbol`` is IPA, empty for a pause; ``text_position`` is its word's offset."""

    symbol: str
    sample: int
    text_position: int


@dataclass(frozen=True)
class Utterance:
    """What libespeak-ng produced for one text."""

    samples: np.ndarray  # int16 mono
    sample_rate: int
    phonemes: tuple[PhonemeMark, ...]


@dataclass(frozen=True)
class Settings:
    """A voice name (``language[+variant]``) and the prosody parameters applied on top of it."""

    voice: str
    rate: int = 175  # words per minute
    pitch: int = 50  # 0..100
    pitch_range: int = 50  # 0..100; 0 is a monotone


_lock = threading.Lock()
_chunks: list[np.ndarray] = []
_phonemes: list[PhonemeMark] = []


@_CALLBACK
def _collect(wav: ctypes._Pointer[ctypes.c_short], count: int, events: ctypes._Pointer[_Event]) -> int:
    """Copy the buffer and its events out of the library; 0 tells it to go on."""
    if count > 0 and wav:
        _chunks.append(np.ctypeslib.as_array(wav, (count,)).copy())
    index = 0
    while events and events[index].type != EVENT_LIST_TERMINATED:
        event = events[index]
        if event.type == EVENT_PHONEME:
            _phonemes.append(_phoneme_mark(event))
        index += 1
    return 0


def speak(text: str, settings: Settings) -> Utterance:
    """Synthesize ``text`` with a freshly loaded library, so the result depends on nothing but the arguments."""
    encoded = text.encode("utf-8")
    with _lock:
        _chunks.clear()
        _phonemes.clear()
        library, sample_rate = _open()
        try:
            _apply(library, settings)
            status = library.espeak_Synth(encoded, len(encoded) + 1, 0, POS_CHARACTER, 0, CHARS_UTF8, None, None)
            if status != 0:
                raise EspeakError(f"espeak-ng could not synthesize the text (status {status})")
        finally:
            _close(library)
        samples = np.concatenate(_chunks) if _chunks else np.zeros(0, dtype=np.int16)
        phonemes = tuple(_phonemes)
    return Utterance(samples=samples.astype(np.int16, copy=False), sample_rate=sample_rate, phonemes=phonemes)


def data_path() -> Path:
    """The espeak-ng data directory the library uses (voices, variants, dictionaries)."""
    with _lock:
        library, _ = _open()
        try:
            path = ctypes.c_char_p()
            library.espeak_Info.restype = ctypes.c_char_p
            library.espeak_Info(ctypes.byref(path))
            if path.value is None:
                raise EspeakError("libespeak-ng did not say where its voice data is.")
            return Path(path.value.decode())
        finally:
            _close(library)


def _open() -> tuple[ctypes.CDLL, int]:
    """Load and initialize the library in synchronous mode with IPA phoneme events."""
    try:
        library = ctypes.CDLL(LIBRARY)
    except OSError as error:
        raise EspeakError(f"{LIBRARY} is not installed (Debian package libespeak-ng1): {error}") from error
    options = INITIALIZE_PHONEME_EVENTS | INITIALIZE_PHONEME_IPA | INITIALIZE_DONT_EXIT
    sample_rate = library.espeak_Initialize(AUDIO_OUTPUT_SYNCHRONOUS, 0, None, options)
    if sample_rate <= 0:
        _ctypes.dlclose(library._handle)
        raise EspeakError("espeak-ng could not load its data (Debian package espeak-ng-data)")
    library.espeak_SetSynthCallback(_collect)
    library.espeak_Synth.argtypes = [
        ctypes.c_char_p, ctypes.c_size_t, ctypes.c_uint, ctypes.c_int, ctypes.c_uint, ctypes.c_uint, ctypes.c_void_p, ctypes.c_void_p,
    ]  # fmt: skip
    library.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
    library.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
    return library, sample_rate


def _close(library: ctypes.CDLL) -> None:
    """Free the library's memory and unload it, so the next load starts from pristine globals."""
    library.espeak_Terminate()
    _ctypes.dlclose(library._handle)


def _apply(library: ctypes.CDLL, settings: Settings) -> None:
    """Select the voice, then set the prosody on top of it."""
    if library.espeak_SetVoiceByName(settings.voice.encode("ascii")) != 0:
        raise EspeakError(f"espeak-ng has no voice named {settings.voice!r}")
    for parameter, value in (
        (PARAMETER_RATE, settings.rate),
        (PARAMETER_PITCH, settings.pitch),
        (PARAMETER_RANGE, settings.pitch_range),
    ):
        library.espeak_SetParameter(parameter, value, 0)


def _phoneme_mark(event: _Event) -> PhonemeMark:
    """The event's IPA name (up to 8 bytes, NUL-padded, possibly cut mid-character) and 0-based word position."""
    name = bytes(event.id.string).split(b"\0", 1)[0].decode("utf-8", errors="ignore")
    return PhonemeMark(symbol=name, sample=event.sample, text_position=event.text_position - 1)
