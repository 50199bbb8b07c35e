"""Reading an app bundle folder: `bundle.yaml` (what the application is, its version, what it requires,
its menu entries) and one `<kind>.yaml` per content kind, each a YAML list of items. See docs/bundles.md."""

from __future__ import annotations

import copy
import hashlib
import re
from dataclasses import dataclass, field
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any

import yaml

from cityops.core.errors import Invalid, NotFound

KEY = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
LEDGER_FIELDS = (
    "name",
    "name_en",
    "family",
    "level",
    "owner_department",
    "description",
    "security_level",
    "funding_source",
    "launched_on",
    "operator",
    "offers_api",
)
try:  # the C loader reads the 经济运行 values (4,000 lines) ten times faster
    Loader: Any = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML built without libyaml
    Loader = yaml.SafeLoader


class BundleNotFound(NotFound):
    message = "应用包不存在 / No such app bundle."
    default_code = "apps.bundle_not_found"


@dataclass(frozen=True)
class Bundle:
    key: str
    version: int
    meta: dict[str, Any]
    requires: tuple[str, ...]
    contents: dict[str, list[dict[str, Any]]] = field(default_factory=dict)  # kind -> items
    source: str = ""

    @property
    def name(self) -> str:
        return str(self.meta.get("name") or self.key)

    @property
    def ledger(self) -> bool:
        return bool(self.meta.get("ledger", True))


def shipped_root() -> Traversable:
    return resources.files("cityops") / "data" / "bundles"


def shipped_keys() -> list[str]:
    return sorted(p.name for p in shipped_root().iterdir() if p.is_dir() and (p / "bundle.yaml").is_file())


def load_shipped(key: str) -> Bundle:
    """A bundle shipped with cityops, by key (not a path: what an API or a page names cannot reach the disk)."""
    if key not in shipped_keys():
        raise BundleNotFound(f"没有内置应用包 {key!r} / no shipped bundle {key!r}", field="key")
    return load(key)


def _folder(source: str) -> Traversable:
    if KEY.match(source) and (shipped_root() / source / "bundle.yaml").is_file():
        return shipped_root() / source
    path = Path(source)
    if path.is_dir() and (path / "bundle.yaml").is_file():
        return path
    raise BundleNotFound(
        f"找不到应用包 {source!r}（内置包名或含 bundle.yaml 的目录）/ no bundle {source!r}", field="bundle"
    )


_PARSED: dict[tuple[str, str], Any] = {}


def _yaml(path: Traversable, what: str) -> Any:
    """Parsed once per process and file content (building YAML objects is slow; the text is quick to read)."""
    text = path.read_text(encoding="utf-8")
    key = (str(path), hashlib.sha256(text.encode()).hexdigest())
    if key in _PARSED:
        return copy.deepcopy(_PARSED[key])
    try:
        _PARSED[key] = yaml.load(text, Loader=Loader)  # noqa: S506 - a safe loader
        return copy.deepcopy(_PARSED[key])
    except yaml.YAMLError as exc:
        raise Invalid(
            f"{what} 不是有效的 YAML / {what} is not valid YAML: {exc}", field=what, code="apps.bad_yaml"
        ) from None


def load(source: str) -> Bundle:
    folder = _folder(source)
    meta = _yaml(folder / "bundle.yaml", "bundle.yaml")
    if not isinstance(meta, dict):
        raise Invalid(
            "bundle.yaml 应为映射 / bundle.yaml must be a mapping", field="bundle.yaml", code="apps.bad_bundle"
        )
    key, version = str(meta.get("key") or ""), meta.get("version")
    if not KEY.match(key):
        raise Invalid("key 应为小写字母、数字和下划线 / key: a-z, 0-9, _", field="key", code="apps.bad_bundle")
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise Invalid(
            "version 应为正整数 / version must be a positive integer", field="version", code="apps.bad_bundle"
        )
    contents: dict[str, list[dict[str, Any]]] = {}
    for path in sorted((p for p in folder.iterdir() if p.name.endswith(".yaml")), key=lambda p: p.name):
        if path.name == "bundle.yaml":
            continue
        items = _yaml(path, path.name) or []
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            raise Invalid(
                f"{path.name} 应为条目列表 / must be a list of items", field=path.name, code="apps.bad_bundle"
            )
        contents[path.name.removesuffix(".yaml")] = items
    if meta.get("menu"):
        contents["menu"] = list(meta["menu"])
    requires = tuple(str(r) for r in meta.get("requires") or ())
    return Bundle(key=key, version=version, meta=meta, requires=requires, contents=contents, source=source)


def install_order(bundles: list[Bundle]) -> list[Bundle]:
    """Bundles sorted so each comes after those it requires (those outside the list are assumed present)."""
    by_key = {b.key: b for b in bundles}
    done: list[Bundle] = []
    seen: set[str] = set()

    def visit(b: Bundle, path: tuple[str, ...]) -> None:
        if b.key in seen:
            return
        if b.key in path:
            raise Invalid(f"应用包循环依赖 / circular requires: {' → '.join((*path, b.key))}", code="apps.cycle")
        for r in b.requires:
            if r in by_key:
                visit(by_key[r], (*path, b.key))
        seen.add(b.key)
        done.append(b)

    for b in bundles:
        visit(b, ())
    return done
