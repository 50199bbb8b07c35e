"""Who is told about a data request, in the notification centre: the provider's data administrators when one
arrives, the requester when it is answered, and the centre above when the answer is overdue. Outbox
subscribers: each runs once, in the transaction that marks its message delivered."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from cityops.catalog.models import DataRequest, RequestState
from cityops.events.calendar import CST
from cityops.plans.notify import notify

ANSWER_NAMES = {
    RequestState.approved: "同意",
    RequestState.approved_with_conditions: "有条件同意",
    RequestState.refused: "不同意",
}


def _request(session: Session, payload: dict[str, Any]) -> DataRequest | None:
    return session.get(DataRequest, int(payload["request_id"]))


def on_submitted(session: Session, payload: dict[str, Any]) -> None:
    request = _request(session, payload)
    if request is None:
        return
    due = request.due_at.astimezone(CST)
    notify(
        session,
        unit_id=request.provider_unit_id,
        department_id=request.provider_department_id,
        roles=["data_admin"],
        kind="data_request",
        title=f"数据申请待答复：{request.ref}",
        body=f"{request.requester_name} 申请数据（用途：{request.purpose[:80]}），请于 {due:%m月%d日 %H:%M} 前答复",
        subject=("data_request", request.id),
        drill=False,
    )


def on_answered(session: Session, payload: dict[str, Any]) -> None:
    request = _request(session, payload)
    if request is None:
        return
    answer = ANSWER_NAMES.get(RequestState(request.state), request.state)
    notify(
        session,
        unit_id=request.requester_unit_id,
        department_id=request.requester_department_id,
        roles=[],
        kind="data_request",
        title=f"数据申请已答复：{request.ref}（{answer}）",
        body=(request.conditions or request.reason or "可在数据目录中查看授权与读取数据")[:200],
        subject=("data_request", request.id),
        drill=False,
    )


def on_overdue(session: Session, payload: dict[str, Any]) -> None:
    request = _request(session, payload)
    if request is None or payload.get("to_unit_id") is None:
        return
    notify(
        session,
        unit_id=int(payload["to_unit_id"]),
        roles=["data_admin", "leader"],
        kind="data_request_overdue",
        title=f"数据申请答复超期：{request.ref}",
        body=f"{request.requester_name} 的数据申请已过答复时限，请督促提供方答复",
        subject=("data_request", request.id),
        drill=False,
    )
