"""The renderer: frame format, a still background, mouth and lids that move, no mesh folds."""

from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

from engine.motion import FIELD, MOTION_FIELDS, MOTION_SIZE
from engine.render import Renderer, deform, fit_image
from engine.rig import GROUPS, detect_rig

ROOT = Path(__file__).resolve().parents[2]
PHOTO = ROOT / "evals/data/portraits/photos/astronaut_00.jpg"
DRAWN = ROOT / "evals/data/portraits/drawn/demo_mira.png"


def _image(path: Path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def _motion(**values: float) -> np.ndarray:
    vector = np.zeros(MOTION_SIZE, np.float32)
    for name, value in values.items():
        vector[FIELD[name]] = value
    return vector


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    image = _image(DRAWN)
    return Renderer(image, detect_rig(image), badge=False)


def _box(points: np.ndarray, pad: int) -> tuple[slice, slice]:
    x0, y0 = np.floor(points.min(axis=0)).astype(int) - pad
    x1, y1 = np.ceil(points.max(axis=0)).astype(int) + pad
    return slice(y0, y1), slice(x0, x1)


def _dark_pixels(frame: np.ndarray, box: tuple[slice, slice]) -> int:
    return int((frame[box].astype(int).sum(axis=2) < 200).sum())


def test_fit_keeps_the_aspect_and_makes_even_sides():
    tall = np.zeros((600, 401, 3), np.uint8)
    assert fit_image(tall, 512).shape == (512, 342, 3)


def test_frames_are_rgb_of_the_fitted_size_and_deterministic(renderer):
    motion = _motion(jaw_open=0.6, blink_l=0.5, head_yaw=2.0)
    frame = renderer.frame(motion)
    assert frame.shape == (512, 512, 3) and frame.dtype == np.uint8
    assert np.array_equal(frame, renderer.frame(motion))


def test_the_background_outside_the_head_never_moves(renderer):
    frame = renderer.frame(_motion(jaw_open=1.0, head_yaw=4.0, head_roll=2.0, head_x=0.02, brow_l=1.0))
    x0, y0, x1, y1 = renderer._roi
    outside = np.ones(frame.shape[:2], bool)
    outside[y0:y1, x0:x1] = False
    assert outside.any()
    assert np.array_equal(frame[outside], renderer.image[outside])


def test_the_neutral_pose_is_the_portrait(renderer):
    frame = renderer.frame(_motion()).astype(int)
    eyes = _box(renderer.rig.group("eye_l"), 4)
    assert np.abs(frame[eyes] - renderer.image[eyes]).mean() < 3


def test_an_open_jaw_shows_a_dark_mouth(renderer):
    mouth = _box(renderer.rig.group("lips_outer"), 12)
    closed = _dark_pixels(renderer.frame(_motion()), mouth)
    half = _dark_pixels(renderer.frame(_motion(jaw_open=0.5)), mouth)
    wide = _dark_pixels(renderer.frame(_motion(jaw_open=1.0)), mouth)
    assert closed < half < wide
    assert wide - closed > 300


def test_a_blink_covers_the_eye(renderer):
    eye = _box(renderer.rig.group("eye_l"), 2)
    open_eye = renderer.frame(_motion())[eye].astype(float)
    shut = renderer.frame(_motion(blink_l=1.0))[eye].astype(float)
    assert np.abs(shut - open_eye).mean() > 20
    assert shut.std(axis=(0, 1)).mean() < open_eye.std(axis=(0, 1)).mean()  # skin is flatter than an eye
    right = _box(renderer.rig.group("eye_r"), 2)
    assert np.abs(renderer.frame(_motion(blink_l=1.0))[right].astype(float) - renderer.frame(_motion())[right]).mean() < 2


def test_a_portrait_with_parted_lips_is_closed_at_rest():
    rig = detect_rig(_image(PHOTO))
    inner = GROUPS["lips_inner"]
    assert np.linalg.norm(rig.points[inner][2] - rig.points[inner][6]) > 2  # the photo smiles with its teeth
    rest = deform(rig, _motion())[inner]
    assert np.linalg.norm(rest[2] - rest[6]) < 0.5


def test_the_badge_is_drawn_only_when_asked():
    image = _image(DRAWN)
    rig = detect_rig(image)
    plain = Renderer(image, rig, badge=False).frame(_motion())
    labelled = Renderer(image, rig, badge=True).frame(_motion())
    corner = (slice(440, 512), slice(380, 512))
    assert np.abs(labelled[corner].astype(int) - plain[corner]).mean() > 10
    assert np.array_equal(labelled[:400], plain[:400])


def test_the_mesh_never_folds_over_the_motion_range(renderer):
    """Every triangle keeps its orientation for random motion vectors across each field's full range."""
    rng = np.random.default_rng(0)
    low = np.array([0, -1, 0, 0, 0, -1, -1, -1, -1, -5, -5, -3, -0.03, -0.03], np.float32)
    high = np.array([1, 1, 1, 1, 1, 1, 1, 1, 1, 5, 5, 3, 0.03, 0.03], np.float32)
    assert len(low) == len(MOTION_FIELDS)
    # Orientation with the mouth half open (a closed mouth's inner-lip triangles have no area).
    sign = np.sign(_signed_areas(renderer.mesh(_motion(jaw_open=0.5)), renderer._triangles))
    for motion in rng.uniform(low, high, size=(200, MOTION_SIZE)).astype(np.float32):
        areas = _signed_areas(renderer.mesh(motion), renderer._triangles)
        flipped = (np.sign(areas) != sign) & (np.abs(areas) > 0.5)
        assert not flipped.any(), (motion, renderer._triangles[flipped])


def _signed_areas(points: np.ndarray, triangles: np.ndarray) -> np.ndarray:
    a, b, c = points[triangles[:, 0]], points[triangles[:, 1]], points[triangles[:, 2]]
    return 0.5 * ((b[:, 0] - a[:, 0]) * (c[:, 1] - a[:, 1]) - (c[:, 0] - a[:, 0]) * (b[:, 1] - a[:, 1]))


def _inner_mouth(renderer: Renderer, frame_motion: np.ndarray) -> np.ndarray:
    """The frame's pixels well inside the open inner-lip ring (away from the anti-aliased edge)."""
    face = renderer.mesh(frame_motion)[: len(renderer.rig.points)]
    ring = face[GROUPS["lips_inner"]]
    centre = ring.mean(axis=0)
    shrunk = centre + (ring - centre) * 0.6
    mask = np.zeros(renderer.image.shape[:2], np.uint8)
    cv2.fillPoly(mask, [np.round(shrunk).astype(np.int32)], 255)
    return renderer.frame(frame_motion)[mask > 0].astype(int)


def test_a_black_and_white_portrait_gets_a_grey_mouth():
    grey = np.repeat(np.asarray(Image.open(PHOTO).convert("L"))[..., None], 3, axis=2)
    renderer = Renderer(grey, detect_rig(grey), badge=False)
    mouth = _inner_mouth(renderer, _motion(jaw_open=1.0))
    assert mouth.size and np.abs(mouth - mouth.mean(axis=1, keepdims=True)).max() <= 2  # R = G = B, no red or cream


def test_a_colour_portrait_gets_a_mouth_in_its_own_lip_tones(renderer):
    mouth = _inner_mouth(renderer, _motion(jaw_open=1.0)).mean(axis=0)
    assert mouth[0] > mouth[2]  # reddish, as the drawn lips are


def test_teeth_show_only_once_the_mouth_is_open_enough(renderer):
    def brightest(jaw: float) -> float:
        return float(_inner_mouth(renderer, _motion(jaw_open=jaw)).sum(axis=1).max(initial=0))

    assert brightest(0.08) < 300  # a sliver: throat only
    assert brightest(0.8) > 450  # wide: teeth under the upper lip


def test_bangs_over_the_brows_do_not_colour_the_lids():
    """Dark hair across the strip above the eyes (where the lid's tone used to be sampled) leaves the lids skin-toned."""
    image = _image(DRAWN).copy()
    rig = detect_rig(image)
    brows = np.concatenate([rig.group("brow_l"), rig.group("brow_r")])
    lids = np.concatenate([rig.group("eye_l")[[1, 2, 3]], rig.group("eye_r")[[1, 2, 3]]])
    top, bottom = int(brows[:, 1].min()) - 10, int(lids[:, 1].min()) - 2
    image[top:bottom, int(brows[:, 0].min()) - 10 : int(brows[:, 0].max()) + 10] = (40, 24, 16)  # bangs
    renderer = Renderer(image, rig, badge=False)
    eye = _box(renderer.rig.group("eye_l"), 0)
    shut = renderer.frame(_motion(blink_l=1.0, blink_r=1.0))[eye].reshape(-1, 3).astype(float)
    skin = image[_box(rig.group("nose"), 2)].reshape(-1, 3).astype(float).mean(axis=0)
    assert np.abs(np.median(shut, axis=0) - skin).max() < 45
