"""Counter-based randomness: every attribute of a person is a pure function of (seed, person, stream).

Because a value never depends on generation order or chunking, a student keeps her name, class and
adoption date from week to week, and two runs with the same seed write the same bytes. Weekly
noise (messages in a chat) uses the same hashing with the week number in the stream.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

UInt = npt.NDArray[np.uint64]
Float = npt.NDArray[np.float64]
Int = npt.NDArray[np.int64]

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_MIX1 = np.uint64(0xBF58476D1CE4E5B9)
_MIX2 = np.uint64(0x94D049BB133111EB)


def splitmix64(values: UInt) -> UInt:
    """The SplitMix64 finaliser (Steele et al.): a bijective, well-mixed 64-bit hash."""
    with np.errstate(over="ignore"):
        z = values + _GOLDEN
        z = (z ^ (z >> np.uint64(30))) * _MIX1
        z = (z ^ (z >> np.uint64(27))) * _MIX2
    result: UInt = z ^ (z >> np.uint64(31))
    return result


def hashed(keys: npt.ArrayLike, stream: int, seed: int) -> UInt:
    """A 64-bit hash per key for a named stream; different streams are independent."""
    base = np.asarray(keys, dtype=np.int64).astype(np.uint64)
    salt = splitmix64(np.array([seed * 1_000_003 + stream], dtype=np.uint64))[0]
    return splitmix64(base ^ salt)


def uniform(keys: npt.ArrayLike, stream: int, seed: int) -> Float:
    """Uniform [0, 1) per key."""
    result: Float = (hashed(keys, stream, seed) >> np.uint64(11)).astype(np.float64) / float(2**53)
    return result


def pick(keys: npt.ArrayLike, stream: int, seed: int, count: int) -> Int:
    """An index in [0, count) per key."""
    result: Int = (uniform(keys, stream, seed) * count).astype(np.int64)
    return result


def weighted_pick(keys: npt.ArrayLike, stream: int, seed: int, weights: npt.ArrayLike) -> Int:
    """An index per key, drawn with the given weights."""
    cumulative = np.cumsum(np.asarray(weights, dtype=np.float64))
    cumulative /= cumulative[-1]
    result: Int = np.searchsorted(cumulative, uniform(keys, stream, seed), side="right").astype(np.int64)
    return np.minimum(result, len(cumulative) - 1)


def logit(u: Float) -> Float:
    clipped = np.clip(u, 1e-9, 1 - 1e-9)
    result: Float = np.log(clipped / (1 - clipped))
    return result


def lognormal(keys: npt.ArrayLike, stream: int, seed: int, median: float, sigma: float) -> Float:
    """Lognormal per key (Box–Muller from two hashed uniforms)."""
    u1 = np.maximum(uniform(keys, stream, seed), 1e-12)
    u2 = uniform(keys, stream + 7919, seed)
    normal = np.sqrt(-2 * np.log(u1)) * np.cos(2 * np.pi * u2)
    result: Float = median * np.exp(sigma * normal)
    return result


def hex_ids(keys: npt.ArrayLike, stream: int, seed: int) -> npt.NDArray[np.str_]:
    """Opaque 16-hex-digit identifiers (user keys, chat ids)."""
    values = hashed(keys, stream, seed)
    result: npt.NDArray[np.str_] = np.char.zfill(np.char.mod("%x", values), 16)
    return result
