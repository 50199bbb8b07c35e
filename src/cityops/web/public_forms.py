"""The citizen's report form: its checks in plain Chinese, each placed beside its field, and the refusal of
a place outside Chongqing (a point outside every district polygon, or an address naming another
province-level region) — told plainly rather than sent to manual triage."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from cityops.core.errors import CityOpsError, Invalid
from cityops.events import catalogue
from cityops.events.intake import PHONE
from cityops.org import geo

# The form's own fields; an error on any other (internal) field is shown at the top of the form.
FIELDS = ("category", "description", "location", "phone")
# Messages a citizen reads: no field names, no English, no codes. Keyed by the service's field.
PLAIN = {
    "category": ("category", "请选择问题类别。"),
    "source": ("category", "请选择问题类别。"),
    "reporter_phone": ("phone", "手机号格式不对，请填写11位手机号，或带区号的座机号（如 023-12345678）。"),
    "address": ("location", "请填写问题所在的地址，或在地图上点选位置。"),
    "text": ("location", "请填写问题所在的地址，或在地图上点选位置。"),
    "lon": ("location", "地图位置不正确，请在地图上重新点选。"),
    "lat": ("location", "地图位置不正确，请在地图上重新点选。"),
}
OUTSIDE = "您选择的位置不在重庆市范围内。本平台只受理重庆市内的问题，请重新选择位置；市外问题请拨打当地 12345 热线。"
# Province-level regions other than Chongqing, as an address begins with them ("四川省成都市…").
_OTHER_REGIONS = re.compile(
    "^(北京市?|天津市?|上海市?|(河北|山西|辽宁|吉林|黑龙江|江苏|浙江|安徽|福建|江西|山东|河南|湖北|湖南|广东|海南|四川|贵州"
    "|云南|陕西|甘肃|青海|台湾)省|(内蒙古|广西|西藏|宁夏|新疆)(自治区)?|香港|澳门)"
)


class FormError(Invalid):
    """An error placed beside one field of the public form."""


def plain(exc: CityOpsError) -> FormError:
    """The service's error as the citizen should read it, beside the field it concerns."""
    field = str(exc.data.get("field", ""))
    if field in PLAIN:
        target, message = PLAIN[field]
        return FormError(message, field=target)
    if field == "description":
        return FormError(_chinese(exc.detail), field="description")
    if field.startswith("attributes."):  # beside the category's own field (web.category_fields)
        return FormError(_chinese(exc.detail), field=field)
    return FormError("提交未成功，请检查后重试。", field="")


def _chinese(detail: str) -> str:
    """The Chinese half of a service message ("缺少必填项「拖欠金额(元)」/ attribute amount_yuan is required")."""
    return re.split(r"\s?/ ", detail, maxsplit=1)[0].strip().rstrip("。") + "。"


def number(text: str) -> float | None:
    if not text.strip():
        return None
    try:
        return float(text)
    except ValueError:
        raise FormError("地图位置不正确，请在地图上重新点选。", field="location") from None


def form_errors(
    session: Session,
    *,
    category: str,
    description: str,
    point: tuple[float | None, float | None],
    address: str,
    phone: str,
    typed: dict[str, str],
) -> dict[str, str]:
    """Everything the form itself can tell is wrong, all at once, each beside its field (intake checks the
    rest once these pass): a citizen who sent an empty form learns every missing field from one answer."""
    errors: dict[str, str] = {}
    if not category:
        errors["category"] = "请选择问题类别。"
    if not description.strip():
        errors["description"] = "请描述您看到的问题。"
    place = _place_error(session, point, address)
    if place:
        errors["location"] = place
    if phone.strip() and not PHONE.match(phone.strip()):
        errors["phone"] = PLAIN["reporter_phone"][1]
    cat = catalogue.view(session).by_code.get(category) if category else None
    for spec in cat.required_fields if cat else ():
        if not typed.get(spec["code"]):
            errors[f"attributes.{spec['code']}"] = f"缺少必填项「{spec['name']}」。"
    return errors


def _place_error(session: Session, point: tuple[float | None, float | None], address: str) -> str:
    lon, lat = point
    if lon is None and lat is None and not address.strip():
        return "请填写问题所在的地址，或在地图上点选位置。"
    if (lon is None) != (lat is None):
        return "地图位置不完整，请在地图上重新点选。"
    if _OTHER_REGIONS.match(address.strip()):
        return OUTSIDE
    if lon is not None and lat is not None:
        idx = geo.index(session)
        if idx.tree is not None and geo.districts_for_points(idx, [lon], [lat])[0] is None:
            return OUTSIDE
    return ""
