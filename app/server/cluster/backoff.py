"""Exponential backoff with full jitter: after a Redis outage the nodes spread out."""

import random


class Backoff:
    def __init__(self, base: float, cap: float, rng: random.Random | None = None) -> None:
        if not 0 < base <= cap:
            raise ValueError("need 0 < base <= cap")
        self._base = base
        self._cap = cap
        self._rng = rng or random.Random()

    def ceiling(self, attempt: int) -> float:
        """The longest wait before attempt `attempt` (0-based)."""
        return min(self._cap, self._base * 2.0 ** min(attempt, 62))

    def delay(self, attempt: int) -> float:
        """A wait drawn uniformly from [0, ceiling]: "full jitter"."""
        return self._rng.uniform(0.0, self.ceiling(attempt))
