"""The portrait photo check: real-person photos are held back, drawn characters go through."""

import io
import json
from functools import cache

import pytest
from PIL import Image

from demo.art import DEMO_STYLES, draw_portrait
from evals.portraits import EVAL_DIR, load_samples, shared_card_samples
from moderation.images.portrait import BLOCK_AT, ImageVerdict, check_portrait, decide
from moderation.images.upload import camera_name, estimate_jpeg_quality, load_upload

PERSON_PHOTOS = [
    "photos/astronaut_00.jpg",
    "photos/hopper_00.jpg",
    "photos/cameraman_00.jpg",
    "photos/hopper_03.jpg",
    "photos/astronaut_07.jpg",
]
DRAWN = [
    "drawn/flat_00.png",
    "drawn/cel_01.jpg",
    "drawn/render3d_00.png",
    "drawn/lowpoly_01.jpg",
    "drawn/sketch_02.jpg",
    "drawn/animal_03.jpg",
]


def read(name: str) -> bytes:
    return (EVAL_DIR / name).read_bytes()


def jpeg_bytes(image: Image.Image, exif: Image.Exif | None = None) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "JPEG", quality=90, **({"exif": exif.tobytes()} if exif is not None else {}))
    return buffer.getvalue()


def canon_exif() -> Image.Exif:
    exif = Image.Exif()
    exif[271] = "Canon"
    exif[272] = "Canon EOS 80D"
    return exif


@cache
def verdict_of(name: str, attested: bool = False) -> ImageVerdict:
    return check_portrait(read(name), attested_own_likeness=attested)


@pytest.mark.parametrize("name", PERSON_PHOTOS)
def test_photographs_of_real_people_are_blocked(name):
    verdict = verdict_of(name)
    assert verdict.decision == "block"
    assert verdict.faces >= 1
    assert verdict.photo_probability >= BLOCK_AT
    assert "photograph of a real person" in verdict.reasons[0]
    assert any("own likeness" in reason for reason in verdict.reasons)  # tells the creator what they can do


@pytest.mark.parametrize("name", PERSON_PHOTOS[:3])
def test_attested_own_likeness_goes_to_review(name):
    verdict = verdict_of(name, attested=True)
    assert verdict.decision == "review"
    assert verdict.signals["attested_own_likeness"] is True
    assert any("moderator" in reason for reason in verdict.reasons)


@pytest.mark.parametrize("style", sorted(DEMO_STYLES))
def test_every_demo_portrait_is_allowed(style):
    image = draw_portrait(DEMO_STYLES[style])
    png = io.BytesIO()
    image.save(png, "PNG")
    for upload in (image, png.getvalue(), jpeg_bytes(image)):
        verdict = check_portrait(upload)
        assert verdict.decision == "allow", (style, verdict.photo_probability, verdict.reasons)


@pytest.mark.parametrize("name", DRAWN)
def test_drawn_rendered_and_animal_characters_are_allowed(name):
    verdict = verdict_of(name)
    assert verdict.decision == "allow", verdict.reasons
    assert verdict.photo_probability < BLOCK_AT


@pytest.mark.parametrize("sample", shared_card_samples(), ids=lambda sample: sample.file.rsplit("/", 1)[-1])
def test_shared_anime_and_cat_cards_are_allowed(sample):
    verdict = check_portrait(sample.read())
    assert verdict.decision == "allow"


def test_shared_cards_are_present_in_a_full_checkout():
    assert len(shared_card_samples()) == 2


def test_photos_without_a_person_are_allowed():
    for name in ("photos/chelsea_00.jpg", "photos/coffee_00.jpg"):
        verdict = verdict_of(name)
        assert verdict.faces == 0
        assert verdict.decision == "allow"
        assert "No face" in verdict.reasons[0]


def test_camera_exif_raises_the_photo_probability():
    image = Image.open(io.BytesIO(read("photos/hopper_00.jpg"))).convert("RGB")
    plain = check_portrait(jpeg_bytes(image))
    tagged = check_portrait(jpeg_bytes(image, canon_exif()))
    assert tagged.photo_probability > plain.photo_probability
    assert tagged.signals["exif_camera"] == {"Make": "Canon", "Model": "Canon EOS 80D"}
    assert "camera metadata: Canon EOS 80D" in tagged.reasons[0]


def test_exif_passed_by_the_caller_counts_too():
    drawing = Image.open(io.BytesIO(read("drawn/flat_00.png"))).convert("RGB")
    plain = check_portrait(drawing)
    by_name = check_portrait(drawing, exif={"Make": "NIKON CORPORATION", "Model": "NIKON D800"})
    by_tag = check_portrait(drawing, exif={271: "NIKON CORPORATION", 272: "NIKON D800", 33434: "1/200"})
    assert by_name.photo_probability > plain.photo_probability
    assert by_tag.photo_probability == by_name.photo_probability
    assert by_name.signals["metadata_logit"] > 0


def test_exposure_fields_alone_are_weaker_evidence_than_a_named_camera():
    drawing = Image.open(io.BytesIO(read("drawn/cel_01.jpg"))).convert("RGB")
    exposure = check_portrait(drawing, exif={"ExposureTime": "1/125", "FNumber": "2.8"})
    camera = check_portrait(drawing, exif={"Make": "Apple", "Model": "iPhone 15"})
    assert check_portrait(drawing).photo_probability < exposure.photo_probability < camera.photo_probability


def test_drawing_software_lowers_the_photo_probability():
    image = Image.open(io.BytesIO(read("photos/astronaut_00.jpg"))).convert("RGB")
    exif = Image.Exif()
    exif[305] = "Clip Studio Paint 2.0"
    tagged = check_portrait(jpeg_bytes(image, exif))
    assert tagged.photo_probability < check_portrait(jpeg_bytes(image)).photo_probability
    assert tagged.signals["art_software"] == "Clip Studio Paint 2.0"


def test_verdict_is_json_serializable_for_the_moderator_preview():
    data = verdict_of("photos/astronaut_00.jpg").to_dict()
    assert set(data) == {"decision", "photo_probability", "faces", "reasons", "signals"}
    round_trip = json.loads(json.dumps(data))
    assert round_trip["signals"]["face_boxes"] and round_trip["signals"]["scored"] == "faces"
    assert len(round_trip["signals"]["crop_photo_probabilities"]) == len(round_trip["signals"]["face_boxes"])


def test_unusual_images_are_handled():
    rgba = Image.new("RGBA", (300, 300), (0, 0, 0, 0))
    grey = Image.new("L", (40, 30), 128)
    for image in (rgba, grey, Image.new("P", (10, 10)), Image.new("RGB", (1, 1))):
        assert check_portrait(image).decision == "allow"


def test_garbage_bytes_raise_value_error():
    with pytest.raises(ValueError, match="not a readable image"):
        check_portrait(b"definitely not an image")


def test_decision_rule():
    assert decide(0.99, 0, False) == "allow"  # no face: nobody to protect
    assert decide(0.1, 2, False) == "allow"
    assert decide(0.4, 1, False) == "review"  # uncertain
    assert decide(0.4, 1, True) == "review"
    assert decide(0.9, 1, False) == "block"
    assert decide(0.9, 1, True) == "review"


def test_upload_metadata_helpers():
    image = Image.new("RGB", (32, 32), (90, 40, 10))
    upload = load_upload(jpeg_bytes(image, canon_exif()))
    assert upload.format == "JPEG" and upload.jpeg_quality == 90
    assert camera_name(upload.exif) == "Canon EOS 80D"
    assert camera_name({"Make": "SONY", "Model": "ILCE-7M3"}) == "SONY ILCE-7M3"
    assert estimate_jpeg_quality(Image.new("RGB", (4, 4))) is None


def test_evaluation_set_figures_hold():
    """Regression guard over the whole shipped set (in-sample; the bench prints the honest figures)."""
    samples = load_samples(include_shared=False)
    decisions = [check_portrait(sample.read()).decision for sample in samples]
    correct = sum(decision == sample.expected for sample, decision in zip(samples, decisions, strict=True))
    drawn_blocked = sum(
        decision == "block" for sample, decision in zip(samples, decisions, strict=True) if sample.label == "drawn"
    )
    drawn = sum(sample.label == "drawn" for sample in samples)
    assert len(samples) >= 100
    assert correct / len(samples) >= 0.9
    assert drawn_blocked / drawn <= 0.05
