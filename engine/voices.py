"""The catalogue of voices a character can speak with.

Two engines: the bundled Piper voice (neural, natural, 0.07-0.2 x real time on two CPU cores) and
eSpeak NG (formant synthesis, robotic but instant, many accents). eSpeak voices differ by
language/accent, by variant (a vocal-tract and pitch profile from ``espeak-ng-data/voices/!v``)
and by rate, pitch and pitch range, so each one is audibly its own character.

Variants that add breath noise (f2, f3, f5, whisper, ...) or use the Klatt generator are left out:
their noise comes from a random generator that the library seeds from the clock, so the same
script would not give the same audio twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from engine.espeak import Settings


@dataclass(frozen=True)
class Voice:
    """One voice of the catalogue.

    For eSpeak voices the ``espeak_*``, ``rate``, ``pitch`` and ``pitch_range`` fields are the voice.
    For Piper voices they describe the eSpeak rendition whose phone timings are mapped onto
    Piper's audio, paced roughly like the Piper voice so the warp stays small.
    """

    id: str
    name: str
    description: str
    engine: str  # "piper" | "espeak"
    espeak_voice: str = "en-us"  # language[+variant]
    rate: int = 175  # words per minute
    pitch: int = 50  # 0..100
    pitch_range: int = 50  # 0..100, 0 is a monotone
    length_scale: float = 1.0  # Piper only: > 1 speaks slower

    @property
    def espeak_settings(self) -> Settings:
        """The eSpeak voice and prosody: the voice itself, or a Piper voice's alignment reference."""
        return Settings(voice=self.espeak_voice, rate=self.rate, pitch=self.pitch, pitch_range=self.pitch_range)


DEFAULT_VOICE = "joe"

VOICES: dict[str, Voice] = {
    voice.id: voice
    for voice in (
        Voice("joe", "Joe", "Warm US male, neural (Piper)", "piper"),
        Voice("jet", "Jet", "Joe's neural US male voice at a brisk pace (Piper)", "piper", rate=220, length_scale=0.78),
        Voice("ada", "Ada", "Bright British female (eSpeak)", "espeak", "en+f4", rate=170, pitch=60),
        Voice("basil", "Basil", "Measured, received-pronunciation British male (eSpeak)", "espeak", "en-gb-x-rp+m3", 165, 45),
        Voice("fiona", "Fiona", "Low, unhurried Scottish female (eSpeak)", "espeak", "en-gb-scotland+f1", 150, 35),
        Voice("rex", "Rex", "Deep, slow US male (eSpeak)", "espeak", "en-us+m7", 140, 10, 40),
        Voice("nova", "Nova", "Quick, high, lively US female (eSpeak)", "espeak", "en-us+f4", 200, 80, 80),
        Voice("sol", "Sol", "Relaxed, sing-song Caribbean male (eSpeak)", "espeak", "en-029+m1", 145, 75, 70),
        Voice("vinnie", "Vinnie", "Fast-talking New York male (eSpeak)", "espeak", "en-us-nyc+m2", 210, 50),
        Voice("unit", "Unit Seven", "Flat, monotone robot (eSpeak)", "espeak", "en-us+m3", 160, 40, 0),
    )
}
