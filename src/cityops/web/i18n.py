"""Interface text: Simplified Chinese first, English second (`?lang=en` or the lang cookie)."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime

from fastapi import Request

from cityops.events.models import RATING_NAMES, SEVERITY_NAMES, SOURCE_NAMES, STATUS_NAMES

TEXT: dict[str, tuple[str, str]] = {
    "app": ("城市运行和治理平台", "City Operation and Governance"),
    "login": ("登录", "Log in"),
    "logout": ("退出", "Log out"),
    "username": ("用户名", "Username"),
    "password": ("密码", "Password"),
    "cockpit": ("驾驶舱", "Cockpit"),
    "events": ("事件", "Events"),
    "runways": ("跑道", "Runways"),
    "received_today": ("今日受理", "Received today"),
    "closed_today": ("今日办结", "Closed today"),
    "open": ("在办", "Open"),
    "overdue": ("超期", "Overdue"),
    "on_time_rate": ("按期办结率", "On-time closure"),
    "alarms": ("感知告警", "Sensor alarms"),
    "satisfaction": ("满意率", "Satisfaction"),
    "last_30": ("近30日（含今日）", "last 30 days incl. today"),
    "updated_at": ("更新于", "Updated"),
    "china_time": ("北京时间（UTC+8）", "China time (UTC+8)"),
    "runway_scope_hint": ("每项注明统计期间与范围：本单位或全市数据", "each figure names its period and whose it is"),
    "wall_mode": ("大屏模式", "Wall mode"),
    "communities_ranked": ("社区在办排名", "Communities by open events"),
    "no_street_map": (
        "街道以下没有公开的边界数据，此处不画地图，按社区排名列出。",
        "No public boundaries exist below the district: communities are ranked instead of mapped.",
    ),
    "map": ("一张图", "One map"),
    "live": ("实时动态", "Live feed"),
    "top_categories": ("高频事项", "Top categories"),
    "trend": ("30天趋势", "30-day trend"),
    "units": ("下级单位", "Units below"),
    "recent": ("最新事件", "Latest events"),
    "filter": ("筛选", "Filter"),
    "export": ("导出CSV", "Export CSV"),
    "status": ("状态", "Status"),
    "category": ("类别", "Category"),
    "location": ("位置", "Location"),
    "owner": ("承办", "Handler"),
    "deadline": ("时限", "Deadline"),
    "timeline": ("处置过程", "Timeline"),
    "actions": ("操作", "Actions"),
    "note": ("意见/理由", "Note / reason"),
    "submit": ("提交", "Submit"),
    "not_found": ("未找到或无权查看", "Not found, or not yours"),
    "prev": ("上一页", "Previous"),
    "next": ("下一页", "Next"),
    "all": ("全部", "All"),
    "search": ("搜索", "Search"),
    "received": ("受理时间", "Received"),
    "bad_login": ("用户名或密码错误", "Wrong username or password"),
    "drill_down": ("点击地图或列表下钻", "Click the map or a row to drill down"),
    "no_data": ("暂无数据", "No data yet"),
    "todo": ("待办", "My work"),
    "notifications": ("通知", "Notifications"),
    "unread": ("未读", "Unread"),
    "read": ("已读", "Read"),
    "mark_read": ("标为已读", "Mark read"),
    "mark_all_read": ("全部标为已读", "Mark all read"),
    "emergency_report": ("突发事件直报", "Emergency report"),
    "acknowledge": ("确认收到", "Acknowledge"),
    "urgent": ("紧急", "Urgent"),
    "due_in": ("剩余", "due in"),
    "overdue_by": ("已超期", "overdue by"),
    "no_deadline": ("无时限", "no deadline"),
    "nothing_waiting": ("暂无待办", "Nothing waits on you"),
    "export_xlsx": ("导出Excel", "Export Excel"),
    "assigned_to": ("承办部门", "Assigned to"),
    "stage_deadline": ("本环节时限", "Stage deadline"),
    "source": ("来源", "Source"),
    "severity": ("紧急程度", "Severity"),
    "reporter": ("报事人", "Reporter"),
    "danger_zone": ("作废（不可恢复）", "Void (cannot be undone)"),
    "kind": ("类型", "Kind"),
    "title": ("标题", "Title"),
    "time": ("时间", "Time"),
    "pin": ("地图位置", "Map position"),
    "no_coordinates": ("该事件没有坐标", "This event has no coordinates"),
}

SEVERITY = SEVERITY_NAMES

SOURCE = SOURCE_NAMES

STAGE: dict[str, tuple[str, str]] = {
    "accept": ("受理", "accept"),
    "sign": ("签收", "sign for"),
    "handle": ("处置", "handle"),
    "verify": ("核查", "verify"),
    "close": ("办结", "close"),
    "none": ("无时限", "no clock"),
}

LEVEL: dict[str, tuple[str, str]] = {
    "city": ("市级", "City"),
    "district": ("区县", "District"),
    "street": ("镇街", "Street"),
    "community": ("村社", "Community"),
    "grid": ("网格", "Grid"),
}

# Plan runs and steps.
RUN_STATUS: dict[str, tuple[str, str]] = {"open": ("进行中", "Open"), "closed": ("已结束", "Closed")}
STEP_STATUS: dict[str, tuple[str, str]] = {
    "pending": ("待完成", "Pending"),
    "done": ("已完成", "Done"),
    "skipped": ("已跳过", "Skipped"),
}

NOTIFICATION_KIND: dict[str, tuple[str, str]] = {
    "direct_report": ("突发事件直报", "Emergency report"),
    "direct_report_reminder": ("直报催确认", "Report reminder"),
    "direct_report_unacked": ("下级未确认直报", "Unacknowledged below"),
    "plan_task": ("预案任务", "Plan task"),
    "plan_notify": ("预案通知", "Plan notice"),
    "task_overdue": ("预案任务超期", "Plan task overdue"),
    "data_request": ("数据申请", "Data request"),
    "data_request_overdue": ("数据申请超期", "Data request overdue"),
    "risk_prompt": ("风险提示", "Risk prompt"),
}

STATUS = STATUS_NAMES

ACTIONS: dict[str, tuple[str, str]] = {
    "accept": ("受理", "Accept"),
    "dispatch": ("派遣", "Dispatch"),
    "sign": ("签收", "Sign for"),
    "start": ("开始处置", "Start"),
    "report": ("反馈", "Report back"),
    "verify": ("核查通过", "Verify"),
    "reject": ("核查不通过", "Reject"),
    "close": ("办结", "Close"),
    "rate": ("评价", "Rate"),
    "return": ("退单", "Return"),
    "reassign": ("改派", "Reassign"),
    "request_extension": ("申请延期", "Ask extension"),
    "approve_extension": ("批准延期", "Approve extension"),
    "deny_extension": ("驳回延期", "Deny extension"),
    "suspend": ("挂起", "Suspend"),
    "resume": ("恢复", "Resume"),
    "supervise": ("督办", "Supervise"),
    "urge": ("催办", "Urge"),
    "escalate": ("升级上报", "Escalate"),
    "merge": ("并案", "Merge"),
    "reopen": ("重开", "Reopen"),
    "void": ("作废", "Void"),
    "recategorize": ("改类", "Recategorize"),
    "receive": ("上报", "Received"),
    "route": ("分拨", "Routed"),
    "warn": ("临期预警", "Deadline warning"),
    "overdue": ("超期督办", "Overdue"),
    "merged_in": ("并入", "Merged in"),
    "master_closed": ("主件办结", "Master closed"),
    "direct_report": ("突发事件直报", "Emergency report"),
    "plan": ("预案", "Plan"),
    "alarm": ("感知告警", "Sensor alarm"),
    "external_update": ("外部更新", "External update"),
}

# Code tables the templates use by name: {{ label(names.severity, e.severity, li) }}.
NAMES: dict[str, dict[str, tuple[str, str]]] = {
    "status": STATUS,
    "action": ACTIONS,
    "severity": SEVERITY,
    "source": SOURCE,
    "stage": STAGE,
    "level": LEVEL,
    "run_status": RUN_STATUS,
    "step_status": STEP_STATUS,
    "notification_kind": NOTIFICATION_KIND,
    "rating": RATING_NAMES,
}


# The platform's own actors (`system:<part>`), as a timeline names them: the part of the platform that acted.
SYSTEM_PARTS: dict[str, tuple[str, str]] = {
    "deadlines": ("时限监控", "deadline monitor"),
    "sensing": ("感知告警", "sensor alarms"),
    "plans": ("预案", "plans"),
    "ai": ("智能助手", "AI assistant"),
    "import": ("批量导入", "bulk import"),
    "wages": ("欠薪监测", "wage monitoring"),
    "muck": ("渣土监管", "muck monitoring"),
    "risks": ("风险管理", "risk register"),
    "sim": ("模拟", "simulation"),
    "simulate": ("模拟", "simulation"),
    "demo": ("演示数据", "demo data"),
}


_HAN = re.compile("[\u4e00-\u9fff]")


def actor_label(name: str, li: int) -> str:
    """Who acted, for a timeline: a staff member's username as it is; the platform's own actors and the
    citizen's channels in words ("citizen:CQ…", "public:web", "system:deadlines" are no names)."""
    kind, _, rest = name.partition(":")
    if kind == "citizen":
        return ("市民（反映人）", "Citizen (the reporter)")[li]
    if kind == "public":
        return ("市民（网页）", "Citizen (web form)")[li]
    if kind == "open311":
        return (f"Open311 应用 {rest}", f"Open311 app {rest}")[li]
    if kind == "system":
        if any("\u4e00" <= ch <= "\u9fff" for ch in rest):  # named in Chinese already (e.g. 值班员（模拟）)
            return rest
        part = SYSTEM_PARTS.get(rest)
        platform = ("平台", "Platform")[li]
        return f"{platform}·{part[li]}" if part else platform
    return name


def bilingual(text: str | None, li: int) -> str:
    """The page's half of a message the services write in both languages ("无权查看 / you may not see"):
    the Chinese before the first " / ", the English after it. Text not in that shape (a person's note, a
    message in one language) is shown as it is."""
    if not text:
        return ""
    zh, sep, en = text.partition(" / ")
    if not sep or not zh.strip() or not en.strip() or not _HAN.search(zh) or _HAN.search(en):
        return text
    return (zh.strip(), en.strip())[li]


def label(table: dict[str, tuple[str, str]], code: str | None, li: int) -> str:
    """A code's name in the page's language; an unknown code shows as itself rather than failing."""
    if code is None:
        return ""
    pair = table.get(code)
    return pair[li] if pair else code


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return "en" if lang == "en" else "zh"


def translator(lang: str) -> Callable[[str], str]:
    i = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = TEXT.get(key) or STATUS.get(key) or ACTIONS.get(key)
        return pair[i] if pair else key

    return t


_DURATION_UNITS = {
    "m": ("分钟", " min"),
    "h": ("小时", " h"),
    "d": ("天", " days"),
    "wd": ("个工作日", " working days"),
}


def duration_label(text: str | None, li: int) -> str:
    """'2wd' -> '2个工作日' / '2 working days' (the form in which extensions are requested and stored)."""
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*(wd|m|h|d)\s*", text or "")
    if m is None:
        return text or ""
    amount = m.group(1).removesuffix(".0")
    return amount + _DURATION_UNITS[m.group(2)][li]


def countdown(due: datetime | None, now: datetime, li: int) -> str:
    """'剩余 2小时05分' / 'due in 2h 05m', or '已超期 1天3小时' / 'overdue by 1d 3h'."""
    if due is None:
        return ("无时限", "no deadline")[li]
    seconds = int((due - now).total_seconds())
    minutes = abs(seconds) // 60
    days, hours, mins = minutes // 1440, minutes % 1440 // 60, minutes % 60
    if li == 0:
        span = f"{days}天{hours}小时" if days else (f"{hours}小时{mins:02d}分" if hours else f"{mins}分钟")
        return ("剩余 " if seconds >= 0 else "已超期 ") + span
    span = f"{days}d {hours}h" if days else (f"{hours}h {mins:02d}m" if hours else f"{mins}m")
    return ("due in " if seconds >= 0 else "overdue by ") + span
