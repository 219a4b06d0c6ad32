"""Background lines for the text classifier: the short, ordinary strings a platform sees most and that written
training data under-represents (names, usernames, titles, codes, fragments of everyday words).

Without them the heads learn that a short text is usually harmful (most short written lines are slang attacks) and
read "Luna", "plan" or "Unit 07" as harm. They are generated, not written: Faker's names and phrases and random runs
of common English words, seeded so every training run sees the same lines. A line the platform's rules already find
harmful is dropped, so a slur or a threat that a random draw happens to form is never taught as benign.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator

from faker import Faker

from moderation.text.classify import classify

STYLE = "background"


def _shapes(fake: Faker, draw: random.Random) -> list[Callable[[], str]]:
    """The kinds of everyday string, each a function that makes one."""
    word = fake.word
    return [
        fake.first_name,
        fake.name,
        fake.user_name,
        fake.company,
        fake.catch_phrase,
        fake.job,
        fake.city,
        fake.color_name,
        lambda: fake.sentence(nb_words=draw.randint(1, 6)),
        lambda: " ".join(fake.words(draw.randint(1, 3))).title(),
        lambda: f"The {word().title()} {word().title()}",
        lambda: f"{word().title()} {draw.randint(1, 99):02d}",
        lambda: f"{word()} {draw.randint(0, 30)}",
        lambda: fake.bothify(draw.choice(["?##", "??-#", "Unit ?-##", "#? ?", "v#.#"])).upper(),
        lambda: f"{fake.first_name()} the {word()}",
        lambda: f"{word()} {word()}".lower(),
        lambda: fake.bs(),
    ]


def lines(count: int, seed: int = 11) -> Iterator[dict]:
    """`count` benign background rows in the training-data format, reproducible for a seed."""
    fake = Faker("en_US")
    fake.seed_instance(seed)
    draw = random.Random(seed)
    shapes = _shapes(fake, draw)
    seen: set[str] = set()
    while len(seen) < count:
        text = draw.choice(shapes)().strip()
        if not text or text.casefold() in seen or classify(text, use_learned=False).decision != "allow":
            continue
        seen.add(text.casefold())
        yield {"text": text, "labels": [], "expected": "allow", "style": STYLE}
