"""Face embeddings and matching against the moderators' gallery of protected public figures.

The shipped photos hold one photo per person, so "same person" here means two different edits of
one photo (mirrored, blurred, recompressed, cropped): weaker than two photos taken on different
days. The bench's --likeness-dir measures real pairs when they are available.
"""

from functools import cache

import numpy as np
import pytest
from PIL import Image

from evals.portraits import EVAL_DIR
from moderation.images.likeness import EMBEDDING_SIZE, LikenessMatch, face_distance, face_embeddings, match_faces, similarity


@cache
def embedding(name: str) -> np.ndarray:
    found = face_embeddings((EVAL_DIR / "photos" / name).read_bytes())
    assert found, f"no face in {name}"
    return found[0]


def gallery() -> list[tuple[str, str, np.ndarray]]:
    return [
        ("p-collins", "Eileen Collins", embedding("astronaut_00.jpg")),
        ("p-hopper", "Grace Hopper", embedding("hopper_00.jpg")),
        ("p-cameraman", "Cameraman", embedding("cameraman_00.jpg")),
    ]


def test_embeddings_are_128_dimensional_one_per_face():
    found = face_embeddings((EVAL_DIR / "photos" / "hopper_00.jpg").read_bytes())
    assert len(found) == 1
    assert found[0].shape == (EMBEDDING_SIZE,) and found[0].dtype == np.float64
    assert 0.1 < np.linalg.norm(found[0]) < 2.0


def test_no_face_gives_no_embeddings():
    assert face_embeddings((EVAL_DIR / "photos" / "coffee_00.jpg").read_bytes()) == []
    assert face_embeddings(Image.new("RGB", (200, 200), (30, 120, 200))) == []


@pytest.mark.parametrize("edited", ["astronaut_02.jpg", "astronaut_08.jpg", "astronaut_03.jpg", "astronaut_01.jpg"])
def test_same_person_is_closer_than_different_people(edited):
    same = face_distance(embedding("astronaut_00.jpg"), embedding(edited))
    different = min(face_distance(embedding(edited), embedding(other)) for other in ("hopper_00.jpg", "cameraman_00.jpg"))
    assert same < 0.6 < different
    assert same < different


def test_match_finds_the_person_and_respects_the_threshold():
    probe = embedding("astronaut_08.jpg")  # blurred copy
    matches = match_faces(probe, gallery())
    assert [match.person_id for match in matches] == ["p-collins"]
    assert matches[0].distance < 0.6 and matches[0].similarity == pytest.approx(similarity(matches[0].distance), abs=1e-4)
    assert match_faces(probe, gallery(), threshold=matches[0].distance) == []  # strictly under the threshold


def test_matches_are_ordered_closest_first():
    matches = match_faces([embedding("hopper_02.jpg")], gallery(), threshold=2.0)
    assert matches[0].person_id == "p-hopper"
    assert len(matches) == 3
    distances = [match.distance for match in matches]
    assert distances == sorted(distances)


def test_match_accepts_an_image_and_several_references_per_person():
    stacked = [
        ("p-collins", "Eileen Collins", np.stack([embedding("astronaut_00.jpg"), embedding("astronaut_02.jpg")])),
        ("p-collins", "Eileen Collins", embedding("astronaut_08.jpg")),
        (7, "Grace Hopper", embedding("hopper_00.jpg")),
    ]
    matches = match_faces((EVAL_DIR / "photos" / "astronaut_06.jpg").read_bytes(), stacked)
    assert [match.person_id for match in matches] == ["p-collins"]  # one match per person, its closest reference
    assert match_faces(Image.new("RGB", (100, 100)), stacked) == []
    assert match_faces([], stacked) == []


def test_similarity_mapping_and_serialization():
    assert similarity(0.0) == 1.0
    assert similarity(0.6) == pytest.approx(0.5)
    assert similarity(1.5) == 0.0
    match = LikenessMatch("id", "Name", 0.3, similarity(0.3))
    assert match.to_dict() == {"person_id": "id", "name": "Name", "distance": 0.3, "similarity": 0.75}


def test_wrong_embedding_size_is_rejected():
    with pytest.raises(ValueError, match="128"):
        match_faces(np.zeros(64), gallery())
