"""The "hot" score that orders the For you feed, in the spirit of Reddit's.

    engagement = 1·likes + 2·comments + 4·remixes + 0.1·views
    hot        = log10(1 + engagement) + (created_at − EPOCH) / 45 000 s

The log makes the first interactions count most: ten likes weigh as much as the next ninety. The
time term grows by one every 12.5 hours, so a post needs ten times the engagement of one made
12.5 hours later to rank level with it. Both terms are fixed for a post until someone interacts
with it, so the score is stored on the row, recomputed only on engagement, and indexed: the feed
is an index scan, not a sort of every post by an age-dependent formula. Comments and remixes
weigh more than likes because they cost the viewer more effort; views count a little, so a clip
that many people watch to the end rises without anyone liking it.

Framework-free on purpose: the bench and the tests build scores without Django.
"""

import math
from datetime import UTC, datetime

EPOCH = datetime(2026, 1, 1, tzinfo=UTC)
SECONDS_PER_ORDER_OF_MAGNITUDE = 45_000
LIKE_WEIGHT = 1.0
COMMENT_WEIGHT = 2.0
REMIX_WEIGHT = 4.0
VIEW_WEIGHT = 0.1


def engagement(*, likes: int, comments: int, remixes: int, views: int) -> float:
    return LIKE_WEIGHT * likes + COMMENT_WEIGHT * comments + REMIX_WEIGHT * remixes + VIEW_WEIGHT * views


def hot_score(*, likes: int, comments: int, remixes: int, views: int, created_at: datetime) -> float:
    """The stored score; higher ranks first."""
    weight = math.log10(1 + engagement(likes=likes, comments=comments, remixes=remixes, views=views))
    return weight + (created_at - EPOCH).total_seconds() / SECONDS_PER_ORDER_OF_MAGNITUDE
