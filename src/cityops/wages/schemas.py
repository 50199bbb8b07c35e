"""根治欠薪 API shapes (money in yuan on the wire, fen in the tables)."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from cityops.core.schemas import InSchema, Schema


class EmployerCreate(InSchema):
    credit_code: str = Field(max_length=40, description="统一社会信用代码 (GB 32100-2015, checked)")
    name: str = Field(min_length=1, max_length=160)
    unit_id: int = Field(description="the unit where the employer is registered")
    legal_person: str = Field("", max_length=40)
    phone: str = Field("", max_length=20)


class EmployerRead(Schema):
    id: int
    credit_code: str
    name: str
    legal_person: str
    unit_id: int
    is_demo: bool
    created_at: datetime


class ProjectCreate(InSchema):
    name: str = Field(min_length=1, max_length=200)
    employer_id: int
    unit_id: int = Field(description="the street or community where the site is: decides the district")
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    account_bank: str = Field("", max_length=80)
    account_no: str = Field("", max_length=40)
    account_status: str = Field("none", description="none | normal | frozen | closed")
    account_opened_on: date | None = None
    pay_period_days: int = Field(31, description="no payment for this many days raises a warning")


class ProjectRead(Schema):
    id: int
    name: str
    employer_id: int
    unit_id: int
    address: str
    lon: float | None
    lat: float | None
    status: str
    account_bank: str
    account_status: str
    account_opened_on: date | None
    pay_period_days: int
    is_demo: bool
    last_paid_on: date | None = None


class PaymentCreate(InSchema):
    paid_on: date
    amount_yuan: float = Field(ge=0)
    workers: int = Field(ge=1, le=100_000)
    wage_month: str = Field(pattern=r"^\d{4}-\d{2}$")
    note: str = Field("", max_length=300)


class PaymentRead(Schema):
    id: int
    project_id: int
    paid_on: date
    amount_yuan: float
    workers: int
    wage_month: str


class ComplaintCreate(InSchema):
    description: str = Field(min_length=1, max_length=4000)
    workers: int = Field(ge=1, le=100_000, description="涉及农民工人数")
    amount_owed_yuan: float = Field(gt=0, description="拖欠金额（元）")
    channel: str = Field("citizen", description="citizen | hotline (12345) | grid_worker")
    project_id: int | None = None
    credit_code: str | None = Field(None, max_length=40, description="the employer, when no project is named")
    address: str = Field("", max_length=300)
    lon: float | None = Field(None, ge=-180, le=180)
    lat: float | None = Field(None, ge=-90, le=90)
    reporter_name: str = Field("", max_length=40)
    reporter_phone: str = Field("", max_length=20)


class RecoveryIn(InSchema):
    amount_recovered_yuan: float = Field(ge=0)
    paid_on: date
    workers_paid: int | None = Field(None, ge=0, le=100_000)
    note: str = Field("", max_length=1000)


class CaseRead(Schema):
    id: int
    event_id: int
    event_ref: str = ""
    event_status: str = ""
    kind: str
    channel: str
    employer_id: int | None
    project_id: int | None
    workers: int
    amount_owed_yuan: float
    amount_recovered_yuan: float | None
    paid_on: date | None
    workers_paid: int | None


class KpisOut(Schema):
    first: str
    last: str
    cases: int
    closed: int
    closure_rate: float | None
    recovered_yuan: float
    workers_helped: int
    repeat_employers: int


class EmployerDetail(Schema):
    employer: EmployerRead
    projects: list[ProjectRead]
    cases: list[CaseRead]


class ProjectDetail(Schema):
    project: ProjectRead
    payments: list[PaymentRead]
    cases: list[CaseRead]
