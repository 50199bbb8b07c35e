"""The answer a citizen reads when tracking a report: the handler's 反馈 of the latest round of handling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cityops.events.models import EventLog
from cityops.web.public import _reply

T0 = datetime(2026, 12, 1, 9, tzinfo=UTC)


def _log(minutes: int, action: str, note: str, unit: str = "渝中区城市管理局") -> EventLog:
    return EventLog(at=T0 + timedelta(minutes=minutes), action=action, actor_name="x", actor_unit=unit, note=note)


def test_the_feedback_is_the_answer_not_the_centres_close_note() -> None:
    timeline = [_log(0, "report", "已更换路灯灯泡，联系电话13987654321"), _log(5, "close", "已办结", "渝中区中心")]
    reply = _reply(timeline)
    assert reply is not None and reply["text"] == "已更换路灯灯泡，联系电话139****4321"
    assert reply["unit"] == "渝中区城市管理局"


def test_after_a_reopen_the_earlier_feedback_is_not_the_answer() -> None:
    first = [_log(0, "report", "已更换灯泡"), _log(5, "close", "已办结")]
    reopened = [*first, _log(60, "reopen", "还是不亮"), _log(90, "close", "经查为线路故障，已报供电公司抢修")]
    reply = _reply(reopened)
    assert reply is not None and reply["text"] == "经查为线路故障，已报供电公司抢修"
    again = [*reopened[:3], _log(80, "report", "已更换整条线路")]
    assert (_reply(again) or {})["text"] == "已更换整条线路"
    assert _reply([*first, _log(60, "reopen", "还是不亮")]) is None  # reopened, not yet answered
