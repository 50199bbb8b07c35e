"""Chinese unit names: the short forms people write (渝中 for 渝中区, 解放碑 for 解放碑街道)."""

from __future__ import annotations

# Longest first, so "社区居民委员会" is removed whole rather than leaving "社区居民委员".
SUFFIXES: tuple[str, ...] = (
    "土家族苗族自治县",
    "苗族土家族自治县",
    "土家族自治县",
    "社区居民委员会",
    "社区工作站",
    "居民委员会",
    "村民委员会",
    "街道办事处",
    "社区居委会",
    "居委会",
    "村委会",
    "自治县",
    "街道",
    "社区",
    "镇",
    "乡",
    "村",
    "区",
    "县",
)


def strip_suffix(name: str) -> str:
    """The name without its administrative suffix; unchanged when nothing is left but one character."""
    for suffix in SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


def aliases(name: str, kind: str) -> set[str]:
    """Every form of a unit's name that we accept in address text."""
    short = strip_suffix(name)
    forms = {name, short}
    if kind in ("社区", "村"):
        forms.add(short + kind)  # 多福巷社区, 新华村
    if kind == "县" and short != name:
        forms.add(short + "县")  # 石柱县 for 石柱土家族自治县
    return {f for f in forms if len(f) >= 2}


def common_name(name: str, kind: str) -> str:
    """The name as people write it: 解放碑社区 for 解放碑社区居民委员会, 五根村 for 五根村村民委员会."""
    short = strip_suffix(name)
    if kind in ("社区", "村") and not short.endswith(kind):
        short += kind
    return short
