"""The demo portraits: right shape, reproducible, distinct, and actually drawn."""

import itertools

import pytest
from PIL import Image, ImageChops, ImageStat

from demo.art import DEMO_STYLES, PortraitStyle, draw_portrait, face_landmarks

SIZE = 192  # small keeps the suite fast; the drawing is resolution-independent


@pytest.fixture(scope="module")
def portraits() -> dict[str, Image.Image]:
    return {name: draw_portrait(style, size=SIZE) for name, style in DEMO_STYLES.items()}


def test_the_promised_characters_are_there():
    assert {"juniper", "quill", "mira", "bolt"} <= set(DEMO_STYLES)
    assert all(isinstance(style, PortraitStyle) for style in DEMO_STYLES.values())


@pytest.mark.parametrize("name", sorted(DEMO_STYLES))
def test_portrait_is_a_square_rgb_image_of_the_requested_size(name, portraits):
    assert portraits[name].mode == "RGB"
    assert portraits[name].size == (SIZE, SIZE)


def test_default_size_is_768():
    image = draw_portrait(DEMO_STYLES["bolt"])
    assert (image.mode, image.size) == ("RGB", (768, 768))


@pytest.mark.parametrize("name", sorted(DEMO_STYLES))
def test_drawing_is_deterministic(name, portraits):
    assert draw_portrait(DEMO_STYLES[name], size=SIZE).tobytes() == portraits[name].tobytes()


def test_portraits_are_distinct(portraits):
    for (a, first), (b, second) in itertools.combinations(portraits.items(), 2):
        mean_difference = sum(ImageStat.Stat(ImageChops.difference(first, second)).mean) / 3
        assert mean_difference > 20, f"{a} and {b} look too alike"


@pytest.mark.parametrize("name", sorted(DEMO_STYLES))
def test_portrait_is_not_blank(name, portraits):
    assert min(ImageStat.Stat(portraits[name]).var) > 300
    assert len(portraits[name].getcolors(maxcolors=SIZE * SIZE)) > 1000


@pytest.mark.parametrize("name", sorted(DEMO_STYLES))
def test_pupils_are_where_the_landmarks_say(name, portraits):
    """Animation relies on the shared layout: a dark pupil at each eye landmark."""
    image = portraits[name]
    for eye in ("left_eye", "right_eye"):
        x, y = face_landmarks(SIZE)[eye]
        assert sum(image.getpixel((round(x), round(y)))) < 200, f"no pupil at {name}'s {eye}"
