"""Interface text: Simplified Chinese first, English second (`?lang=en` or the lang cookie)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import Request

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
}

STATUS: dict[str, tuple[str, str]] = {
    "reported": ("待受理", "Reported"),
    "accepted": ("待派遣", "Accepted"),
    "dispatched": ("待签收", "Dispatched"),
    "signed": ("已签收", "Signed"),
    "in_progress": ("处置中", "In progress"),
    "reported_back": ("待核查", "Reported back"),
    "verified": ("待办结", "Verified"),
    "suspended": ("挂起", "Suspended"),
    "closed": ("已办结", "Closed"),
    "merged": ("已并案", "Merged"),
    "voided": ("已作废", "Voided"),
}

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
    "receive": ("上报", "Received"),
    "route": ("分拨", "Routed"),
    "warn": ("临期预警", "Deadline warning"),
    "overdue": ("超期督办", "Overdue"),
    "merged_in": ("并入", "Merged in"),
    "master_closed": ("主件办结", "Master closed"),
}


def lang_of(request: Request) -> str:
    lang = request.query_params.get("lang") or request.cookies.get("lang") or "zh"
    return "en" if lang == "en" else "zh"


def translator(lang: str) -> Callable[[str], str]:
    i = 1 if lang == "en" else 0

    def t(key: str) -> str:
        pair = TEXT.get(key) or STATUS.get(key) or ACTIONS.get(key)
        return pair[i] if pair else key

    return t
