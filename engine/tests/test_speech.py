"""The speech stage: every voice speaks, its timings match the audio, and bad scripts or files get clear errors."""

import itertools
import re
import subprocess
import wave
from functools import cache
from pathlib import Path

import imageio_ffmpeg
import numpy as np
import pytest

from engine import espeak, speech
from engine.align import warp_times
from engine.speech import (
    DEFAULT_VOICE,
    MAX_AUDIO_SECONDS,
    MAX_SCRIPT_CHARS,
    VOICES,
    Speech,
    SpeechError,
    load_audio,
    preview,
    synthesize,
    voice,
)

SCRIPT = "Well, hello there. My name is Nora, and I really like lemonade!"
SCRIPT_WORDS = ["Well", "hello", "there", "My", "name", "is", "Nora", "and", "I", "really", "like", "lemonade"]
PAUSE_SCRIPT = "Hello. ... World."
ALL_VOICES = sorted(VOICES)
PIPER_VOICES = [voice_id for voice_id, entry in VOICES.items() if entry.engine == "piper"]
ONSET_TOLERANCE = 0.06


@cache
def spoken(script: str, voice_id: str) -> Speech:
    """Each (script, voice) is synthesized once per test session; Piper takes a few tenths of a second per sentence."""
    return synthesize(script, voice_id)


def frame_rms(samples: np.ndarray, sample_rate: int, hop: float) -> np.ndarray:
    """RMS of consecutive ``hop``-second frames."""
    size = int(sample_rate * hop)
    count = samples.size // size
    return np.sqrt((samples[: count * size].reshape(count, size) ** 2).mean(axis=1))


def longest_pause(samples: np.ndarray, sample_rate: int, hop: float = 0.005) -> tuple[float, float]:
    """(start, end) seconds of the longest stretch quieter than 5 % of the loudest frame, between sounds."""
    loud = np.flatnonzero(frame_rms(samples, sample_rate, hop) >= 0.05 * frame_rms(samples, sample_rate, hop).max())
    widest = int(np.argmax(np.diff(loud)))
    return (loud[widest] + 1) * hop, loud[widest + 1] * hop


def median_pitch(samples: np.ndarray, sample_rate: int) -> float:
    """Median F0 of the clearly voiced 46 ms frames, by autocorrelation."""
    size, hop = 1024, 256
    pitches = []
    for start in range(0, samples.size - size, hop):
        frame = samples[start : start + size] * np.hanning(size)
        if np.sqrt((frame**2).mean()) < 0.03:
            continue
        autocorrelation = np.fft.irfft(np.abs(np.fft.rfft(frame, 2 * size)) ** 2)[:size]
        low, high = sample_rate // 500, sample_rate // 60
        lag = low + int(np.argmax(autocorrelation[low:high]))
        if autocorrelation[lag] > 0.5 * autocorrelation[0]:
            pitches.append(sample_rate / lag)
    return float(np.median(pitches))


def spectral_centroid(samples: np.ndarray, sample_rate: int) -> float:
    spectrum = np.abs(np.fft.rfft(samples))
    return float((spectrum * np.fft.rfftfreq(samples.size, 1 / sample_rate)).sum() / spectrum.sum())


def ffmpeg(*args: str) -> None:
    subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args], check=True)


def write_wav(path: Path, samples: np.ndarray, rate: int = 22050) -> Path:
    with wave.open(str(path), "wb") as file:
        file.setnchannels(1)
        file.setsampwidth(2)
        file.setframerate(rate)
        file.writeframes((np.clip(samples, -1, 1) * 32767).astype("<i2").tobytes())
    return path


# The catalogue


def test_catalogue_offers_at_least_eight_voices() -> None:
    assert len(VOICES) >= 8
    assert DEFAULT_VOICE in VOICES
    assert {entry.engine for entry in VOICES.values()} == {"piper", "espeak"}
    for voice_id, entry in VOICES.items():
        assert entry.id == voice_id and re.fullmatch(r"[a-z][a-z0-9-]*", voice_id)
        assert entry.name and entry.description
    assert len({entry.name for entry in VOICES.values()}) == len(VOICES)


def test_espeak_voices_use_installed_variants_without_random_noise() -> None:
    variants = espeak.data_path() / "voices" / "!v"
    for entry in VOICES.values():
        _, _, variant = entry.espeak_voice.partition("+")
        if variant:
            lines = (variants / variant).read_text(encoding="utf-8", errors="replace").splitlines()
            assert not any(line.split()[:1] in (["breath"], ["klatt"]) for line in lines), entry.id


def test_unknown_voice_is_refused_with_the_valid_ids() -> None:
    with pytest.raises(SpeechError, match="Unknown voice 'nobody'") as error:
        synthesize("Hello.", "nobody")
    assert all(voice_id in str(error.value) for voice_id in VOICES)
    with pytest.raises(SpeechError):
        voice("nobody")
    assert voice(DEFAULT_VOICE) is VOICES[DEFAULT_VOICE]


# Synthesis and timings


@pytest.mark.parametrize("voice_id", ALL_VOICES)
def test_every_voice_speaks_with_phones_and_words_that_fit_the_audio(voice_id: str) -> None:
    result = spoken(SCRIPT, voice_id)
    assert result.samples.dtype == np.float32 and result.samples.ndim == 1
    assert result.sample_rate == speech.SAMPLE_RATE
    assert 2.0 < result.duration < 8.0
    assert np.abs(result.samples).max() <= 1.0
    starts = np.array([phone.start for phone in result.phones])
    ends = np.array([phone.end for phone in result.phones])
    assert len(result.phones) > 30 and all(phone.symbol for phone in result.phones)
    assert np.all(starts <= ends) and np.all(ends[:-1] <= starts[1:] + 1e-9)
    assert starts[0] >= 0 and ends[-1] <= result.duration + 1e-9
    assert [word.text for word in result.words] == SCRIPT_WORDS
    for word, following in itertools.pairwise(result.words):
        assert word.start < word.end <= following.start + 1e-9
        assert any(phone.start == word.start for phone in result.phones)


@pytest.mark.parametrize("voice_id", ALL_VOICES)
def test_phones_cover_the_voice_and_nothing_is_heard_before_them(voice_id: str) -> None:
    result = spoken(SCRIPT, voice_id)
    hop = 0.01
    rms = frame_rms(result.samples, result.sample_rate, hop)
    loud_centers = (np.flatnonzero(rms > 0.1 * rms.max()) + 0.5) * hop
    spans = np.array([(phone.start, phone.end) for phone in result.phones])
    distance = np.maximum(spans[None, :, 0] - loud_centers[:, None], loud_centers[:, None] - spans[None, :, 1]).min(axis=1)
    tolerance = 0.04 if VOICES[voice_id].engine == "piper" else 0.015  # Piper's timings are warped, eSpeak's exact
    assert distance.max() <= tolerance
    assert np.abs(result.samples[: int(result.phones[0].start * result.sample_rate)]).max(initial=0.0) < 0.01


@pytest.mark.parametrize("voice_id", ALL_VOICES)
def test_a_pause_in_the_script_separates_the_words_where_the_audio_is_silent(voice_id: str) -> None:
    result = spoken(PAUSE_SCRIPT, voice_id)
    pause_start, pause_end = longest_pause(result.samples, result.sample_rate)
    hello, world = result.words
    assert (hello.text, world.text) == ("Hello", "World")
    assert pause_end - pause_start > 0.15
    assert hello.end == pytest.approx(pause_start, abs=ONSET_TOLERANCE)
    assert world.start == pytest.approx(pause_end, abs=ONSET_TOLERANCE)


@pytest.mark.parametrize("voice_id", PIPER_VOICES)
def test_piper_words_after_every_pause_start_at_the_energy_onset(voice_id: str) -> None:
    script = "Well, hello. Mama made lemonade, and Nora ate melons. Anyone? Really!"
    result = spoken(script, voice_id)
    hop = 0.005
    active = frame_rms(result.samples, result.sample_rate, hop) > 0.02 * frame_rms(result.samples, result.sample_rate, hop).max()
    loud = np.flatnonzero(active)
    onsets = [loud[0] * hop] + [later * hop for earlier, later in itertools.pairwise(loud) if (later - earlier) * hop > 0.15]
    assert len(onsets) >= 5
    word_starts = np.array([word.start for word in result.words])
    for onset in onsets:
        assert np.abs(word_starts - onset).min() <= ONSET_TOLERANCE, onset


def test_warping_recovers_the_known_timings_of_another_speaker() -> None:
    """Two eSpeak renditions (different voice, pitch and rate) share their phonemes, and both know their true timings."""
    text = "The quick brown fox jumps over the lazy dog. Then, after a pause, it ran away into the forest!"
    reference = espeak.speak(text, espeak.Settings("en-us"))
    other = espeak.speak(text, espeak.Settings("en-us+m7", rate=140, pitch=25))
    reference_starts = [mark.sample / reference.sample_rate for mark in reference.phonemes if mark.symbol]
    true_starts = np.array([mark.sample / other.sample_rate for mark in other.phonemes if mark.symbol])
    assert len(reference_starts) == len(true_starts)
    found = warp_times(
        reference.samples / 32768.0, reference.sample_rate, other.samples / 32768.0, other.sample_rate, reference_starts
    )
    error = np.abs(found - true_starts)
    assert np.median(error) < 0.01
    assert np.percentile(error, 95) < 0.03
    assert np.all(np.diff(found) >= 0)


def test_voices_sound_different_from_each_other() -> None:
    """Each pair differs by at least 10 % in pitch, brightness or pace."""
    traits = {}
    for voice_id in ALL_VOICES:
        result = spoken(SCRIPT, voice_id)
        pace = result.words[-1].end - result.words[0].start
        traits[voice_id] = np.log(
            [median_pitch(result.samples, result.sample_rate), spectral_centroid(result.samples, result.sample_rate), pace]
        )
    for first, second in itertools.combinations(ALL_VOICES, 2):
        assert np.abs(traits[first] - traits[second]).max() >= 0.1, (first, second)


@pytest.mark.parametrize("voice_id", [DEFAULT_VOICE, "ada", "fiona"])
def test_the_same_script_and_voice_give_identical_audio(voice_id: str) -> None:
    first = synthesize("Testing, one, two, three.", voice_id)
    synthesize("Something else in between, to disturb any leftover state.", voice_id)
    second = synthesize("Testing, one, two, three.", voice_id)
    assert np.array_equal(first.samples, second.samples)
    assert first.phones == second.phones and first.words == second.words


def test_words_folded_together_by_the_synthesizer_each_keep_a_span() -> None:
    result = synthesize("Tell me, for a moment, what's 23 plus 19?", "ada")
    assert [word.text for word in result.words] == ["Tell", "me", "for", "a", "moment", "what's", "23", "plus", "19"]
    for word, following in itertools.pairwise(result.words):
        assert word.start < word.end <= following.start


def test_script_is_cleaned_of_control_characters_and_line_breaks() -> None:
    result = synthesize("Hello\x00 \u200bthere,\n\n\tfriend.", "ada")
    assert [word.text for word in result.words] == ["Hello", "there", "friend"]


@pytest.mark.parametrize("text", ["", "   \n\t", "?!... --", "\x00\x01"])
def test_empty_script_is_refused(text: str) -> None:
    with pytest.raises(SpeechError, match="empty"):
        synthesize(text, "ada")


def test_too_long_script_is_refused() -> None:
    with pytest.raises(SpeechError, match=f"limit is {MAX_SCRIPT_CHARS}"):
        synthesize("a" * (MAX_SCRIPT_CHARS + 1), "ada")


def test_script_that_takes_longer_than_a_clip_is_refused() -> None:
    script = ("Slowly now. " * 90)[:MAX_SCRIPT_CHARS]
    with pytest.raises(SpeechError, match=f"at most {MAX_AUDIO_SECONDS} seconds"):
        synthesize(script, "rex")


# WAV output and previews


def test_write_wav_writes_16_bit_pcm(tmp_path: Path) -> None:
    result = spoken(SCRIPT, "ada")
    result.write_wav(tmp_path / "speech.wav")
    with wave.open(str(tmp_path / "speech.wav"), "rb") as file:
        assert (file.getnchannels(), file.getsampwidth(), file.getframerate()) == (1, 2, result.sample_rate)
        assert file.getnframes() == result.samples.size


def test_preview_is_a_short_wav_made_once() -> None:
    audio = preview("nova")
    assert audio[:4] == b"RIFF" and audio[8:12] == b"WAVE"
    assert preview("nova") is audio
    with pytest.raises(SpeechError):
        preview("nobody")


# Uploaded recordings


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("audio") / "speech.wav"
    spoken(SCRIPT, "ada").write_wav(path)
    return path


@pytest.mark.parametrize(("suffix", "codec"), [(".wav", None), (".mp3", "libmp3lame"), (".ogg", "libvorbis"), (".m4a", "aac")])
def test_load_audio_decodes_common_formats(recording: Path, tmp_path: Path, suffix: str, codec: str | None) -> None:
    path = recording
    if codec:
        path = tmp_path / f"speech{suffix}"
        ffmpeg("-i", str(recording), "-ar", "44100", "-ac", "2", "-c:a", codec, str(path))
    result = load_audio(path)
    assert result.sample_rate == speech.SAMPLE_RATE and result.samples.dtype == np.float32
    assert result.duration == pytest.approx(spoken(SCRIPT, "ada").duration, abs=0.1)
    assert np.abs(result.samples).max() > 0.5
    assert result.phones == () and result.words == ()


def test_load_audio_accepts_a_full_minute_despite_encoder_padding(tmp_path: Path) -> None:
    tone = write_wav(tmp_path / "minute.wav", 0.3 * np.sin(np.arange(60 * 22050) * 0.05))
    ffmpeg("-i", str(tone), "-c:a", "libmp3lame", str(tmp_path / "minute.mp3"))
    assert load_audio(tmp_path / "minute.mp3").duration == MAX_AUDIO_SECONDS


def test_load_audio_refuses_more_than_a_minute(tmp_path: Path) -> None:
    path = write_wav(tmp_path / "long.wav", 0.3 * np.sin(np.arange(61 * 22050) * 0.05))
    with pytest.raises(SpeechError, match=f"longer than {MAX_AUDIO_SECONDS} seconds"):
        load_audio(path)


def test_load_audio_refuses_a_text_file_named_mp3(tmp_path: Path) -> None:
    path = tmp_path / "song.mp3"
    path.write_text("This is not audio at all.\n" * 20)
    with pytest.raises(SpeechError, match="could not be read as audio"):
        load_audio(path)


def test_load_audio_refuses_an_empty_file(tmp_path: Path) -> None:
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(SpeechError, match="empty"):
        load_audio(tmp_path / "empty.wav")


def test_load_audio_refuses_silence(tmp_path: Path) -> None:
    with pytest.raises(SpeechError, match="silent"):
        load_audio(write_wav(tmp_path / "silence.wav", np.zeros(22050)))


def test_load_audio_refuses_a_video_without_sound(tmp_path: Path) -> None:
    path = tmp_path / "mute.mp4"
    ffmpeg("-f", "lavfi", "-i", "color=c=red:s=64x64:d=1", "-c:v", "libx264", str(path))
    with pytest.raises(SpeechError, match="no audio track"):
        load_audio(path)


def test_load_audio_will_not_follow_a_playlist_to_other_files(recording: Path, tmp_path: Path) -> None:
    path = tmp_path / "playlist.mp3"
    path.write_text(f"#EXTM3U\n#EXTINF:3,\nfile:{recording}\n")
    with pytest.raises(SpeechError, match="could not be read as audio"):
        load_audio(path)
