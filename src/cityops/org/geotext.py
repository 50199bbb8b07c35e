"""Reading address text as a chain of names (district > street > community) that agrees with itself, and
telling generic place words (广场, 机场, 滨江路 …) from names of one place. Used by cityops.org.geo."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from cityops.org.models import OrgLevel


@dataclass
class IndexedUnit:
    id: int
    name: str
    level: str
    parent_id: int | None
    path: str
    district_id: int | None = None
    street_id: int | None = None


@dataclass
class NameMatch:
    start: int
    end: int
    unit: IndexedUnit
    full: bool


# Words that name a kind of place, not one place: a community named after one (广场社区, 机场社区,
# 滨江路社区) matched by that word alone, with no district or street around it, says nothing about where.
GENERIC_WORDS = frozenset(
    """
广场 机场 中心 车站 码头 公园 大桥 新村 花园 市场 医院 学校 滨江 江滨 新区 老街 小区 商业街 步行街 火车站
客运站 工业园 开发区 新城 城南 城北 城东 城西 城中 河街 正街 大街 中街 东街 西街 南街 北街 人民 解放 建设
胜利 和平 新华 光明 红旗 团结 幸福 民主 中山 东风 文化 工农 先锋 朝阳 复兴 五一 新民 民生 向阳 东方
    """.split()  # noqa: SIM905 (a word list reads better as text)
)
GENERIC_ENDINGS = ("路", "街", "巷", "广场", "中心", "站", "码头", "公园", "花园", "市场", "大道")
TRIAGE_CONFIDENCE = 0.2
_DEPTH: dict[str, int] = {"district": 1, "street": 2, "community": 3}
MAX_CANDIDATES = 6


def is_generic(m: NameMatch, text: str) -> bool:
    form = text[m.start : m.end]
    if m.unit.level not in (OrgLevel.community,) or form.endswith(("社区", "村")):
        return False
    return form in GENERIC_WORDS or (len(form) <= 3 and form.endswith(GENERIC_ENDINGS))


@dataclass
class Chain:
    """A reading of the text: the deepest unit named, with the names of its own street and district."""

    deepest: NameMatch
    street: NameMatch | None
    district: NameMatch | None

    def key(self) -> tuple[int, int, int, int, int]:
        """Most text explained first; then a named district; more levels; a higher unit (a street before
        a same-named community); full names."""
        ms = [m for m in (self.district, self.street, self.deepest) if m is not None]
        named_district = any(m.unit.level == OrgLevel.district for m in ms)
        height = -_DEPTH.get(self.deepest.unit.level, 9)
        return sum(m.end - m.start for m in ms), int(named_district), len(ms), height, sum(m.full for m in ms)


def _overlap(a: NameMatch, b: NameMatch) -> bool:
    return a.start < b.end and b.start < a.end


def _best_above(
    matches: list[NameMatch], deepest: NameMatch, unit_id: int | None, taken: list[NameMatch]
) -> NameMatch | None:
    best = None
    for m in matches:
        if m.unit.id != unit_id or any(_overlap(m, t) for t in taken):
            continue
        if best is None or (m.end - m.start, m.full) > (best.end - best.start, best.full):
            best = m
    return best


def chains(matches: list[NameMatch]) -> list[Chain]:
    by_level: dict[str, list[NameMatch]] = defaultdict(list)
    for m in matches:
        by_level[m.unit.level].append(m)
    chains = []
    for m in matches:
        u = m.unit
        street = None
        if u.level == OrgLevel.community:
            street = _best_above(by_level[OrgLevel.street], m, u.street_id, [m])
        elif u.level == OrgLevel.street:
            street = m
        district_id = u.id if u.level == OrgLevel.district else u.district_id
        taken = [x for x in (m, street) if x is not None]
        district = (
            m if u.level == OrgLevel.district else _best_above(by_level[OrgLevel.district], m, district_id, taken)
        )
        chains.append(Chain(m, street if street is not m else None, district if district is not m else None))
    return chains
