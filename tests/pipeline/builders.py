"""Builders shared by the pipeline tests: the day they run on, risk-form scores and
policy."""

import datetime as dt

from salesdesk.core.services import policy_update


def factors(*scores):
    """factors(3) -> all seven 3; factors(1, 2, 3, 4, 5, 5, 5) -> one each."""
    if len(scores) == 1:
        scores = scores * 7
    return {n: s for n, s in enumerate(scores, start=1)}


def set_policy(people, effective_from=dt.date(2000, 1, 1), **values):
    """Change policy values (keys with dots written with double underscores)."""
    policy_update(
        values={key.replace("__", "."): value for key, value in values.items()},
        effective_from=effective_from,
        actor=people.admin,
        reason="test",
    )
