"""The category classifier: character 1–2-grams (TF-IDF) and a logistic-loss linear model (SGD) from scikit-learn,
trained in-process on the platform's own texts; nothing is downloaded. Also its evaluation: top-1 and
top-3 accuracy and macro-F1, beside the keyword baseline on the same held-out texts."""

from __future__ import annotations

import pickle
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import SGDClassifier
from sklearn.metrics import f1_score
from sklearn.pipeline import Pipeline

from cityops.ai.keywords import Vocabulary
from cityops.ai.text import normalize


@dataclass
class Classifier:
    pipeline: Pipeline

    @property
    def classes(self) -> list[str]:
        return [str(c) for c in self.pipeline.classes_]

    def rank(self, texts: Sequence[str], k: int = 3) -> list[list[tuple[str, float]]]:
        """For each text its k most likely category codes with their probability."""
        probs = self.pipeline.predict_proba([normalize(t) for t in texts])
        classes = self.classes
        out = []
        for row in probs:
            best = sorted(range(len(classes)), key=lambda i: -row[i])[:k]
            out.append([(classes[i], round(float(row[i]), 3)) for i in best])
        return out

    def dumps(self) -> bytes:
        return pickle.dumps(self.pipeline, protocol=pickle.HIGHEST_PROTOCOL)

    @classmethod
    def loads(cls, blob: bytes) -> Classifier:
        # The blob is one this platform trained and stored itself (ai_model.blob), never an upload.
        return cls(pickle.loads(blob))  # noqa: S301


def train(texts: Sequence[str], labels: Sequence[str]) -> Classifier:
    pipeline = Pipeline(
        [
            # Characters and their pairs carry Chinese words without a segmenter; SGD with logistic loss
            # gives probabilities (the confidence shown and compared with thresholds) and trains in a second.
            # At most 40,000 features keeps a version stored in the database to a few megabytes at city scale.
            ("grams", TfidfVectorizer(analyzer="char", ngram_range=(1, 2), sublinear_tf=True, max_features=40_000)),
            ("model", SGDClassifier(loss="log_loss", alpha=1e-5, max_iter=100, tol=1e-4, random_state=0)),
        ]
    )
    pipeline.fit([normalize(t) for t in texts], list(labels))
    return Classifier(pipeline)


def _figures(ranked: list[list[tuple[str, float]]], truth: Sequence[str]) -> dict[str, float]:
    n = len(truth) or 1
    top1 = [r[0][0] if r else "" for r in ranked]
    labels = sorted(set(truth))
    return {
        "top1": round(sum(p == t for p, t in zip(top1, truth, strict=True)) / n, 4),
        "top3": round(sum(t in [c for c, _ in r[:3]] for r, t in zip(ranked, truth, strict=True)) / n, 4),
        "macro_f1": round(float(f1_score(list(truth), top1, labels=labels, average="macro", zero_division=0)), 4),
    }


def evaluate(model: Classifier, vocab: Vocabulary, texts: Sequence[str], truth: Sequence[str]) -> dict[str, Any]:
    """The model's figures and the keyword baseline's on the same texts, and the ratio of their top-1."""
    ours = _figures(model.rank(texts), truth)
    base = _figures([vocab.rank(normalize(t)) for t in texts], truth)
    return {
        **ours,
        "baseline": base,
        "n_test": len(truth),
        "top1_ratio": round(ours["top1"] / base["top1"], 2) if base["top1"] else None,
    }
