"""Sensing defaults that are code, not content. The device types with their rules ship in the app bundles
(data/bundles/{rockfall,highrise_fire,lifeline}/device_types.yaml): thresholds are typical engineering
values, editable per type and per device; defaults to start from, not regulation."""

from __future__ import annotations

# Attributes an alarm supplies when the category asks for them.
EVENT_ATTRIBUTES = {"municipal.manhole_missing": {"manhole_type": "智能井盖（传感器告警）"}}
