"""What 根治欠薪 adds to the platform, in one place so it can ship as an application bundle: the 欠薪预警
event category (routed, like 拖欠工资, to the district's 人力社保) and the default no-payment period.

Complaints use the catalogue's existing `labour.wage_arrears` (拖欠工资). `seed` is idempotent."""

from __future__ import annotations

from sqlalchemy.orm import Session

from cityops.core.actor import Actor
from cityops.events.catalogue import seed_specs
from cityops.events.catalogue_data import CASEWORK, CategorySpec, dept

COMPLAINT_CATEGORY = "labour.wage_arrears"
WARNING_CATEGORY = "labour.wage_warning"
CATEGORIES = (COMPLAINT_CATEGORY, WARNING_CATEGORY)
# A project's wage account is expected to pay at least monthly (工资按月足额支付); a project may set its own.
DEFAULT_PAY_PERIOD_DAYS = 31

FAMILIES: dict[str, tuple[str, str, tuple[CategorySpec, ...]]] = {
    "labour": (
        "劳动保障",
        "Labour and wages",
        (
            CategorySpec(
                "wage_warning",
                "欠薪预警",
                "Wage arrears warning",
                "high",
                CASEWORK,
                dept("hrss"),
                ("工资专户", "未发放工资", "欠薪预警"),
            ),
        ),
    ),
}


def seed(session: Session, actor: Actor) -> int:
    """Add the application's categories and duties where missing; returns how many were added."""
    return seed_specs(session, actor, FAMILIES)
