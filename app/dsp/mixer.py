"""Summing mixer with N-1 ("mix-minus") outputs for speakers."""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Generic, TypeVar

import numpy as np
from numpy.typing import NDArray

K = TypeVar("K", bound=Hashable)

Int16Frame = NDArray[np.int16]


def _accumulate_int(frames: Iterable[Int16Frame], n: int) -> NDArray[np.int32]:
    # int32 headroom holds 65,536 full-scale int16 sources before overflow.
    acc = np.zeros(n, dtype=np.int32)
    for frame in frames:
        acc += frame
    return acc


def clip_int16(acc: NDArray[np.int32]) -> Int16Frame:
    """Saturate a wide accumulator to int16 (no wrap-around)."""
    return np.clip(acc, -32768, 32767).astype(np.int16)


@dataclass
class MixResult(Generic[K]):
    """One tick's output: what the audience hears, and each speaker's return."""

    audience: Int16Frame
    minus: dict[K, Int16Frame] = field(default_factory=dict)

    def for_speaker(self, key: K) -> Int16Frame:
        """Return mix for ``key``; a speaker who contributed nothing hears the audience mix."""
        return self.minus.get(key, self.audience)


def mix_minus(sources: Mapping[K, Int16Frame], n: int) -> MixResult[K]:
    """Mix all ``sources`` and, for each contributor, the mix without it.

    N-1 mixes are computed as (wide total - own) *before* clipping, so a loud
    speaker never distorts the others' return: O(N) work rather than O(N²).
    """
    total = _accumulate_int(sources.values(), n)
    result: MixResult[K] = MixResult(audience=clip_int16(total))
    for key, frame in sources.items():
        result.minus[key] = clip_int16(total - frame)
    return result


def personal_mix(
    sources: Mapping[K, Int16Frame],
    gains: Mapping[K, float],
    n: int,
    without: K | None = None,
) -> Int16Frame:
    """One listener's mix: every source at its gain (1.0 if not in ``gains``),
    ``without`` left out (a speaker's own voice), summed wide then clipped."""
    acc = np.zeros(n, dtype=np.float32)
    for key, frame in sources.items():
        if key == without:
            continue
        gain = gains.get(key, 1.0)
        if gain == 1.0:
            acc += frame
        elif gain > 0.0:
            acc += frame * np.float32(gain)
    return np.clip(np.rint(acc), -32768, 32767).astype(np.int16)
