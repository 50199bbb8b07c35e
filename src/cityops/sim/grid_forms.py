"""The demo's 一表通: a demo visit form of 渝中区 over demo person records of the patrolled communities, which
the grid workers fill during their patrols (each fact once), and a demo indicator over it on the 一表通
runway — so the street's 一表通 figure moves with the patrols. Everything here is marked demo（演示）."""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core.actor import Actor, system_actor
from cityops.core.errors import CityOpsError
from cityops.grid import forms
from cityops.grid.form_models import BaseRecord, FormField, ReportTemplate
from cityops.indicators import custom
from cityops.indicators.models import Indicator
from cityops.org import service as org
from cityops.org.models import OrgUnit

DISTRICT = "500103"  # 渝中区, whose form the streets fill
TEMPLATE = "独居老人走访表（演示）"
INDICATOR = "今日走访独居老人数（演示）"
FIELDS = (
    forms.NewField("demo_visited_today", "今日是否走访（演示）"),
    forms.NewField("demo_household_size", "同住人数（演示）", "number"),
)
RECORDS_PER_COMMUNITY = 3


@dataclass
class OneFormDemo:
    rng: random.Random
    template_id: int | None = None
    records: dict[int, list[int]] = field(default_factory=dict)  # community id -> demo record ids
    filled: int = 0

    def setup(self, s: Session, communities: list[OrgUnit]) -> None:
        district = org.get_by_code(s, DISTRICT)
        if district is None:
            return
        owner = system_actor("system:demo-grid", unit_path=district.path, unit_id=district.id)
        template = s.scalars(select(ReportTemplate).where(ReportTemplate.name == TEMPLATE)).first()
        if template is None:
            have = set(s.scalars(select(FormField.code).where(FormField.code.in_([f.code for f in FIELDS]))))
            template = forms.create_template(
                s,
                owner,
                name=TEMPLATE,
                record_kind="person",
                field_codes=[f.code for f in FIELDS if f.code in have],
                new_fields=[f for f in FIELDS if f.code not in have],
            )
        self.template_id = template.id
        for community in communities:
            ids = list(
                s.scalars(
                    select(BaseRecord.id).where(BaseRecord.community_id == community.id, BaseRecord.is_demo.is_(True))
                )
            )
            for n in range(len(ids), RECORDS_PER_COMMUNITY):
                label = f"{community.short_name or community.name} 居民{n + 1}（演示）"
                ids.append(forms.add_record(s, owner, community, "person", label, demo=True).id)
            self.records[community.id] = ids
        if s.scalar(select(Indicator.id).where(Indicator.name == INDICATOR)) is None:
            source = {"template": template.id, "field": FIELDS[0].code, "agg": "count_eq", "equals": "是"}
            try:
                with s.begin_nested():
                    custom.define_form_indicator(s, owner, name=INDICATOR, source=source, period="today", unit="人")
            except CityOpsError:
                pass  # no 一表通 runway (indicators not seeded): the form is still filled

    def visit(self, s: Session, worker: Actor, community_id: int) -> None:
        """A grid worker on patrol visits one demo resident of the community and fills the form's facts."""
        ids = self.records.get(community_id)
        if not ids:
            return
        record = forms.access_record(s, worker, self.rng.choice(ids))
        values = {FIELDS[0].code: "是", FIELDS[1].code: str(self.rng.randint(0, 3))}
        self.filled += forms.fill(s, worker, record, values)
