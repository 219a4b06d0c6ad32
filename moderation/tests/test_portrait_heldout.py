"""The portrait check on portraits it was never fitted on (evals/data/portraits/heldout/ and the SillyTavern cards).

The held-out images come from packages the training set shares nothing with (see the README
there). The policy's targets are below; the check does not reach them yet, so that test is an
expected failure, strict: the day it passes, the mark must go. A second test pins today's figures
so the check cannot quietly get worse.
"""

from functools import cache

import numpy as np
import pytest

from evals.portraits import EVAL_DIR, load_gathered, shared_card_samples
from moderation.images import backbone
from moderation.images.portrait import check_portrait
from moderation.images.upload import load_upload

PEOPLE_HELD_TARGET = 0.99
OTHERS_PASSED_TARGET = 0.97
# Measured when the head was fitted (evals/data/portraits/README.md): 59 of 60 people held, 50 of 61 others passed.
PEOPLE_HELD_NOW = 59
OTHERS_PASSED_NOW = 50


@cache
def heldout_outcomes() -> tuple[list[bool], list[bool]]:
    """(held? for each real-person photo, passed? for each other portrait), held meaning block or review."""
    people, others = [], []
    for sample in load_gathered("heldout") + shared_card_samples():
        decision = check_portrait(sample.read()).decision
        if sample.expected == "block":
            people.append(decision != "allow")
        else:
            others.append(decision == "allow")
    return people, others


def test_heldout_set_is_in_the_repository():
    people, others = heldout_outcomes()
    assert len(people) >= 60 and len(others) >= 59


@pytest.mark.xfail(strict=True, reason="realistic paintings and digital art are still taken for photos (50 of 61 others passed)")
def test_heldout_targets():
    people, others = heldout_outcomes()
    assert sum(people) / len(people) >= PEOPLE_HELD_TARGET
    assert sum(others) / len(others) >= OTHERS_PASSED_TARGET


def test_heldout_figures_do_not_get_worse():
    people, others = heldout_outcomes()
    assert sum(people) >= PEOPLE_HELD_NOW
    assert sum(others) >= OTHERS_PASSED_NOW


def test_backbone_recognizes_imagenet_classes():
    """The hand-written network reproduces the pretrained one: a cat is a cat, an espresso an espresso."""
    weights = backbone._weights()
    for file, classes in (("sources/chelsea.jpg", range(281, 286)), ("sources/coffee.jpg", (967,))):
        features = backbone.embed([load_upload((EVAL_DIR / file).read_bytes()).rgb])
        logits = features @ weights["_fc.weight"].numpy().T + weights["_fc.bias"].numpy()
        assert int(np.argmax(logits)) in classes


def test_embed_handles_no_crops_and_odd_sizes():
    assert backbone.embed([]).shape == (0, backbone.FEATURE_SIZE)
    tiny = np.zeros((3, 500, 3), np.uint8)
    assert backbone.embed([tiny]).shape == (1, backbone.FEATURE_SIZE)
