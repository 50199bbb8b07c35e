"""What the org domain plugs into the platform: how core.auth finds a user's unit."""

from __future__ import annotations

from cityops.core.hooks import Hooks
from cityops.org.service import unit_path_and_level


def install(hooks: Hooks) -> None:
    hooks.unit_lookup = unit_path_and_level
