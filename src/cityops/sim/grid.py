"""The demo's grid workers (解放碑街道): they patrol their grids in the daily window, check in (now and
then from outside the grid), report what they find with a photo and fix small things on the spot with
before/after photos, and fill the 一表通 visit form of the residents they meet (sim/grid_forms.py) — all
through the grid services, so the street's grid KPIs and its 一表通 figure move on the cockpit and runways.

Demo data is marked: the extra grid workers are named "（演示）" and the photos are plain generated
images labelled as demo photos.
"""

from __future__ import annotations

import io
import random
from dataclasses import dataclass, field
from datetime import datetime

from PIL import Image, ImageDraw
from sqlalchemy import select
from sqlalchemy.orm import Session

from cityops.core import files
from cityops.core.actor import Actor, Role, system_actor
from cityops.core.auth import User, actor_for, create_user
from cityops.core.errors import CityOpsError
from cityops.demo.users import DEMO_PASSWORD
from cityops.events import catalogue
from cityops.events.calendar import CST
from cityops.grid import patrols, reports
from cityops.grid import service as grids
from cityops.grid.models import GridAssignment, PatrolPlan, PatrolSession
from cityops.org import service as org
from cityops.org.models import OrgLevel, OrgUnit
from cityops.sim.grid_forms import OneFormDemo
from cityops.sim.texts import report_text

STREET = "500103003"  # 解放碑街道, where the demo's grid worker logs in
WORKERS = ("jfb_grid", "jfb_grid_demo2", "jfb_grid_demo3", "jfb_grid_demo4")
# The first is the login the README gives a person trying the phone pages: it gets grids and patrol plans
# but the simulation never acts as it (it used to end the person's own patrol within minutes).
SIMULATED = WORKERS[1:]
ON_THE_SPOT = ("city_appearance.exposed_garbage", "city_appearance.illegal_ads", "municipal.drain_blocked")
PLATFORM = system_actor("system:demo-grid")


@dataclass
class GridStats:
    patrols: int = 0
    checkins: int = 0
    reports: int = 0
    on_spot: int = 0
    skipped: int = 0


@dataclass
class GridPatrols:
    store: files.FileStore
    rng: random.Random
    max_bytes: int = 10 * 1024 * 1024
    stats: GridStats = field(default_factory=GridStats)
    communities: dict[int, str] = field(default_factory=dict)  # grid id -> its community's short name
    checkins: dict[int, int] = field(default_factory=dict)  # running patrol id -> check-ins so far
    one_form: OneFormDemo | None = None  # 一表通 facts filled during patrols (set up with the workers)

    def setup(self, s: Session) -> None:
        """Demo grid workers on the first grids of the street, each with a plan of two patrols a day."""
        street = org.get_by_code(s, STREET)
        if street is None:
            return
        stmt = select(OrgUnit).where(OrgUnit.level == OrgLevel.grid, org.in_subtree(OrgUnit.path, street.path))
        grid_units = list(s.scalars(stmt.order_by(OrgUnit.code).limit(len(WORKERS) * 2)))
        names = dict(s.execute(select(OrgUnit.id, OrgUnit.name).where(OrgUnit.parent_id == street.id)).all())
        for g in grid_units:
            self.communities[g.id] = str(names.get(g.parent_id or 0, "")).replace("社区居民委员会", "社区")
        for n, username in enumerate(WORKERS):
            user = s.scalars(select(User).where(User.username == username)).one_or_none()
            if user is None:
                user = create_user(
                    s,
                    PLATFORM,
                    username=username,
                    password=DEMO_PASSWORD,
                    roles=[Role.grid_worker],
                    display_name=f"解放碑网格员{n + 1}（演示）",
                    unit_id=street.id,
                )
            for g in grid_units[2 * n : 2 * n + 2]:
                self._ensure_assigned(s, g, user, full_time=n % 2 == 0)
        self.one_form = OneFormDemo(random.Random(self.rng.random()))
        parents = {g.parent_id for g in grid_units if g.parent_id}
        self.one_form.setup(s, list(s.scalars(select(OrgUnit).where(OrgUnit.id.in_(parents)).order_by(OrgUnit.code))))

    def _ensure_assigned(self, s: Session, grid: OrgUnit, user: User, *, full_time: bool) -> None:
        have = s.scalar(
            select(GridAssignment.id).where(GridAssignment.grid_unit_id == grid.id, GridAssignment.user_id == user.id)
        )
        if have is None:
            data = grids.AssignmentInput(user.id, "full_time" if full_time else "part_time", "每日 08:30-17:30", "")
            grids.assign_worker(s, PLATFORM, grid, data)
        if s.scalar(select(PatrolPlan.id).where(PatrolPlan.grid_unit_id == grid.id)) is None:
            plan = patrols.PlanInput(f"{grid.name}日常巡查（演示）", [{"name": "主干道"}, {"name": "背街小巷"}], 2)
            patrols.create_plan(s, PLATFORM, grid, plan)

    def tick(self, s: Session, now: datetime) -> None:
        local = now.astimezone(CST).strftime("%H:%M")
        for username in SIMULATED:
            user = s.scalars(select(User).where(User.username == username)).one_or_none()
            if user is None:
                continue
            actor = actor_for(s, user)
            try:
                with s.begin_nested():
                    self._step(s, actor, local)
            except CityOpsError:
                self.stats.skipped += 1

    def _step(self, s: Session, actor: Actor, local: str) -> None:
        running = patrols.open_session_of(s, actor)
        if running is None:
            plans = patrols.plans_for_worker(s, actor)
            if plans and "08:00" <= local <= "17:30" and self.rng.random() < 0.04:
                patrols.start(s, actor, self.rng.choice(plans))
                self.stats.patrols += 1
            return
        done = self.checkins.get(running.id, 0)
        if done >= 4:
            patrols.end(s, actor, running)
            self.checkins.pop(running.id, None)
            return
        roll = self.rng.random()
        if roll < 0.15:
            self._check_in(s, actor, running)
        elif roll < 0.19:
            self._report(s, actor, running.grid_unit_id)
        elif roll < 0.23 and self.one_form is not None:
            grid = s.get(OrgUnit, running.grid_unit_id)
            if grid is not None and grid.parent_id:
                self.one_form.visit(s, actor, grid.parent_id)

    def _check_in(self, s: Session, actor: Actor, running: PatrolSession) -> None:
        community = self.communities.get(running.grid_unit_id, "")
        stray = self.rng.random() < 0.1  # now and then a check-in from the next community
        others = [c for c in self.communities.values() if c != community]
        where = self.rng.choice(others) if stray and others else community
        patrols.check_in(s, actor, running, patrols.CheckInInput(address=f"渝中区解放碑街道{where}"))
        self.checkins[running.id] = self.checkins.get(running.id, 0) + 1
        self.stats.checkins += 1

    def _photo(self, s: Session, actor: Actor, label: str) -> int:
        img = Image.new("RGB", (480, 360), tuple(self.rng.randint(60, 200) for _ in range(3)))
        ImageDraw.Draw(img).text((12, 12), f"DEMO PHOTO / {label}", fill=(255, 255, 255))
        out = io.BytesIO()
        img.save(out, "JPEG", quality=70)
        return files.save_upload(
            s, actor, self.store, out.getvalue(), name=f"demo-{label}.jpg", max_bytes=self.max_bytes
        ).id

    def _report(self, s: Session, actor: Actor, grid_id: int) -> None:
        on_spot = self.rng.random() < 0.45
        view = catalogue.view(s)
        code = self.rng.choice(
            ON_THE_SPOT if on_spot else [c for c in view.by_code if not view.by_code[c].required_fields]
        )
        cat = view.category(code)
        text = report_text(self.rng, cat.code, cat.name, f"解放碑街道{self.communities.get(grid_id, '')}")
        data = reports.ReportInput(
            category=code, description=text, grid_id=grid_id, photo_ids=[self._photo(s, actor, "before")]
        )
        if on_spot:
            data.on_spot, data.after_photo_ids, data.note = True, [self._photo(s, actor, "after")], "已现场处置（演示）"
        reports.report(s, actor, data)
        self.stats.reports += 1
        self.stats.on_spot += int(on_spot)
