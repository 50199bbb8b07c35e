"""Worker side of the AI: scheduled retraining (a new version, not live until an admin chooses it)."""

from __future__ import annotations

from cityops.ai.training import retrain_job

__all__ = ["retrain_job"]
