"""根治欠薪's working constants. Its platform content — the 欠薪预警 category, routed like 拖欠工资 to the
district's 人力社保 — ships as the `wages` bundle (src/cityops/data/bundles/wages/); complaints use 民呼我为's
`labour.wage_arrears` (拖欠工资)."""

from __future__ import annotations

COMPLAINT_CATEGORY = "labour.wage_arrears"
WARNING_CATEGORY = "labour.wage_warning"
CATEGORIES = (COMPLAINT_CATEGORY, WARNING_CATEGORY)
# A project's wage account is expected to pay at least monthly (工资按月足额支付); a project may set its own.
DEFAULT_PAY_PERIOD_DAYS = 31
