"""The default category tree of the register, with a checklist per leaf and a default inspection cycle.

The families follow the brief of the 城市治理风险清单 (地质灾害, 燃气, 高层建筑消防, 桥隧, 内涝点, 危化品,
人员密集场所); the checklist items are generic inspection points written for this platform, not quoted from
a regulation.
"""

from __future__ import annotations

# The event category a hazard of each risk category becomes when other departments are needed.
EVENT_CATEGORY = {
    "geohazard.rock": "geohazard.rockfall",
    "geohazard.landslide": "geohazard.landslide",
    "gas.pipeline": "lifeline.gas_pipeline",
    "gas.station": "lifeline.gas_pipeline",
    "fire.highrise": "work_safety.fire_hazard",
    "bridge_tunnel.bridge": "lifeline.bridge_tunnel",
    "bridge_tunnel.tunnel": "lifeline.bridge_tunnel",
    "waterlogging.point": "lifeline.waterlogging",
    "hazchem.enterprise": "work_safety.hazardous_chemicals",
    "crowd.venue": "public_security.public_order",
}
