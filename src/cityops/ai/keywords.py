"""The keyword baseline (and the fallback when there is too little history): a category scores by the
catalogue words its text contains — its name and keywords — longer words weighing more."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Vocabulary:
    words: dict[str, tuple[str, ...]]  # category code -> its name and keywords

    @classmethod
    def of(cls, categories: Iterable[tuple[str, str, Iterable[str]]]) -> Vocabulary:
        return cls({code: tuple(dict.fromkeys([name, *kws])) for code, name, kws in categories})

    def rank(self, text: str, k: int = 3) -> list[tuple[str, float]]:
        """The k best categories with a score in [0, 1] (the share of the matched weight); [] if none match."""
        raw: dict[str, float] = {}
        for code, words in self.words.items():
            score = sum(len(w) for w in words if w and w in text)
            if score:
                raw[code] = float(score)
        total = sum(raw.values())
        ranked = sorted(raw.items(), key=lambda kv: (-kv[1], kv[0]))[:k]
        return [(code, round(score / total, 3)) for code, score in ranked]
