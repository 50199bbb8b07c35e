"""Text shared by the classifier, the duplicate finder and the summaries: what an event says, its
character shingles and MinHash signature (Chinese needs no segmentation for either)."""

from __future__ import annotations

import re
from functools import lru_cache

from datasketch import MinHash

from cityops.core.pii import mask_text

NUM_PERM = 128
_SPACE = re.compile(r"\s+")
_PUNCT = re.compile(r"[，。！？、；：,.!?;:\"'“”‘’（）()【】\[\]…—\-~～]+")


def event_text(title: str, description: str, address: str = "") -> str:
    """Title + description + address, as the model reads a report (the title often repeats the start)."""
    title, description = title.strip(), description.strip()
    parts = [description] if description.startswith(title) else [title, description]
    return " ".join(p for p in [*parts, address.strip()] if p)


def normalize(text: str) -> str:
    return _SPACE.sub("", _PUNCT.sub(" ", mask_text(text or "")))


def shingles(text: str, n: int = 2) -> set[str]:
    t = normalize(text)
    if len(t) <= n:
        return {t} if t else set()
    return {t[i : i + n] for i in range(len(t) - n + 1)}


@lru_cache(maxsize=4096)
def signature(text: str) -> MinHash:
    """The MinHash of a text's character pairs (cached: the same open events are compared often)."""
    m = MinHash(num_perm=NUM_PERM, seed=7)
    grams = shingles(text)
    if grams:
        m.update_batch([g.encode("utf-8") for g in grams])
    return m


def similarity(a: str, b: str) -> float:
    """Estimated Jaccard similarity of two texts' character pairs."""
    if not a.strip() or not b.strip():
        return 0.0
    return float(signature(a).jaccard(signature(b)))
