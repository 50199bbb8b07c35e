"""Standards out: DCAT-AP 3 (Turtle and JSON-LD) of the open part of the catalogue, and the shapes of a
read-only CKAN Action API subset. Both are written here from our own model (CKAN and ckanext-dcat are
AGPL: only their public shapes and property names are mirrored)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from cityops.catalog.models import CatalogEntry, OpenType
from cityops.catalog.vocab import (
    ACCESS_RIGHT_BASE,
    ACCESS_RIGHTS,
    FREQUENCY_BASE,
    OPEN_LABELS,
    SHARE_LABELS,
    UPDATE_CYCLES,
)
from cityops.core import clock

PREFIXES = {
    "dcat": "http://www.w3.org/ns/dcat#",
    "dct": "http://purl.org/dc/terms/",
    "foaf": "http://xmlns.com/foaf/0.1/",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "cityops": "https://cityops.example/ns/catalog#",  # 共享属性 has no DCAT term: our own namespace
}
JSON_MEDIA = "https://www.iana.org/assignments/media-types/application/json"


@dataclass(frozen=True)
class Lit:
    value: str
    lang: str = ""
    datatype: str = ""  # a prefixed name, e.g. "xsd:date"


@dataclass
class Node:
    iri: str
    types: list[str]
    props: dict[str, list[str | Lit]] = field(default_factory=dict)  # str = an IRI

    def add(self, pred: str, obj: str | Lit | None) -> None:
        if obj is not None and (not isinstance(obj, Lit) or obj.value != ""):
            self.props.setdefault(pred, []).append(obj)


def _zh(text: str) -> Lit:
    return Lit(text, lang="zh")


def _date(d: date | None) -> Lit | None:
    return Lit(d.isoformat(), datatype="xsd:date") if d else None


def _dt(d: datetime) -> Lit:
    return Lit(clock.as_utc(d).isoformat(timespec="seconds"), datatype="xsd:dateTime")


def _agent_key(entry: CatalogEntry) -> str:
    return f"dept-{entry.department_id}" if entry.department_id is not None else f"centre-{entry.unit_id}"


def graph(entries: list[CatalogEntry], base: str, *, title: str, items: dict[int, list[dict[str, Any]]]) -> list[Node]:
    """The DCAT-AP nodes: one dcat:Catalog, a dcat:Dataset (+ dcat:Distribution) per entry, foaf:Agents."""
    catalog = Node(f"{base}/api/catalog/dcat", ["dcat:Catalog"])
    catalog.add("dct:title", _zh(title))
    catalog.add("dct:description", _zh("政务信息资源目录中向社会开放的资源（DCAT-AP 3）。"))
    catalog.add("foaf:homepage", f"{base}/catalog")
    catalog.add("dct:modified", _dt(clock.now()))
    agents: dict[str, Node] = {}
    nodes: list[Node] = [catalog]
    for e in entries:
        key = _agent_key(e)
        agent_iri = f"{base}/api/catalog/providers/{key}"
        if key not in agents:
            agents[key] = Node(agent_iri, ["foaf:Agent"])
            agents[key].add("foaf:name", _zh(e.provider_name))
            agents[key].add("dct:identifier", Lit(key))
        ds = Node(f"{base}/api/catalog/entries/{e.id}", ["dcat:Dataset"])
        ds.add("dct:identifier", Lit(e.code))
        ds.add("dct:title", _zh(e.title))
        ds.add("dct:description", _zh(e.summary))
        ds.add("dct:publisher", agent_iri)
        ds.add("dct:issued", _date(e.published_on))
        ds.add("dct:modified", _dt(e.updated_at))
        if e.update_cycle in UPDATE_CYCLES:
            ds.add("dct:accrualPeriodicity", FREQUENCY_BASE + UPDATE_CYCLES[e.update_cycle])
        ds.add("dct:accessRights", ACCESS_RIGHT_BASE + ACCESS_RIGHTS[OpenType(e.open_type)])
        for kw in [p for p in re.split(r"[/／]", e.classification) if p]:
            ds.add("dcat:keyword", _zh(kw))
        for code in e.related_codes or []:
            ds.add("dct:relation", Lit(code))
        ds.add("cityops:shareType", _zh(SHARE_LABELS.get(e.share_type, e.share_type)))  # type: ignore[call-overload]
        ds.add("cityops:openType", _zh(OPEN_LABELS.get(e.open_type, e.open_type)))  # type: ignore[call-overload]
        for item in items.get(e.id, []):
            ds.add("cityops:item", _zh(f"{item['label']}（{item['name']}，{item['type']}）"))
        dist = Node(f"{ds.iri}#distribution", ["dcat:Distribution"])
        dist.add("dct:title", _zh(f"{e.title}（{e.format}）"))
        dist.add("dcat:accessURL", f"{base}/catalog/entries/{e.id}")
        dist.add("dct:format", Lit(e.format))
        if "JSON" in e.format.upper():
            dist.add("dcat:mediaType", JSON_MEDIA)
        ds.add("dcat:distribution", dist.iri)
        catalog.add("dcat:dataset", ds.iri)
        nodes += [ds, dist]
    platform = Node(f"{base}/api/catalog/providers/platform", ["foaf:Agent"])
    platform.add("foaf:name", _zh("城市运行和治理平台 一体化智能化公共数据平台"))
    catalog.add("dct:publisher", platform.iri)
    return [*nodes, *agents.values(), platform]


# -- Turtle ------------------------------------------------------------------------------------------
def _ttl_string(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n").replace("\r", "\\r")
    return '"' + escaped.replace("\t", "\\t") + '"'


def _ttl_obj(obj: str | Lit) -> str:
    if isinstance(obj, str):
        return f"<{obj}>"
    text = _ttl_string(obj.value)
    if obj.lang:
        return f"{text}@{obj.lang}"
    return f"{text}^^{obj.datatype}" if obj.datatype else text


def turtle(nodes: list[Node]) -> str:
    out = [f"@prefix {p}: <{iri}> ." for p, iri in PREFIXES.items()] + [""]
    for n in nodes:
        lines = [f"<{n.iri}> a {', '.join(n.types)}"]
        for pred, objs in n.props.items():
            lines.append(f"    {pred} {', '.join(_ttl_obj(o) for o in objs)}")
        out.append(" ;\n".join(lines) + " .\n")
    return "\n".join(out)


# -- JSON-LD -----------------------------------------------------------------------------------------
def _jsonld_obj(obj: str | Lit) -> dict[str, str]:
    if isinstance(obj, str):
        return {"@id": obj}
    value = {"@value": obj.value}
    if obj.lang:
        value["@language"] = obj.lang
    elif obj.datatype:
        value["@type"] = obj.datatype
    return value


def jsonld(nodes: list[Node]) -> str:
    body = {
        "@context": PREFIXES,
        "@graph": [
            {"@id": n.iri, "@type": n.types, **{p: [_jsonld_obj(o) for o in objs] for p, objs in n.props.items()}}
            for n in nodes
        ],
    }
    return json.dumps(body, ensure_ascii=False, indent=1)


# -- CKAN Action API shapes ------------------------------------------------------------------------------
def ckan_name(entry: CatalogEntry) -> str:
    """CKAN's dataset `name`: lowercase letters, digits, - and _ (2–100 characters)."""
    return re.sub(r"[^a-z0-9_-]+", "-", entry.code.lower()).strip("-")[:100] or f"entry-{entry.id}"


def ckan_organization(entry: CatalogEntry) -> dict[str, Any]:
    key = _agent_key(entry)
    return {"id": key, "name": key, "title": entry.provider_name, "type": "organization", "is_organization": True}


def ckan_package(entry: CatalogEntry, base: str, items: list[dict[str, Any]]) -> dict[str, Any]:
    resources = [
        {
            "id": f"{entry.id}-api",
            "package_id": ckan_name(entry),
            "name": f"{entry.title}（{entry.format}）",
            "format": entry.format,
            "url": f"{base}/catalog/entries/{entry.id}",
            "position": 0,
        }
    ]
    extras = {
        "identifier": entry.code,
        "classification": entry.classification,
        "share_type": SHARE_LABELS.get(entry.share_type, entry.share_type),  # type: ignore[call-overload]
        "share_condition": entry.share_condition,
        "open_type": OPEN_LABELS.get(entry.open_type, entry.open_type),  # type: ignore[call-overload]
        "update_cycle": entry.update_cycle,
        "format_class": entry.format_class,
        "issued": entry.published_on.isoformat() if entry.published_on else "",
        "items": "；".join(f"{i['label']}({i['name']})" for i in items),
    }
    return {
        "id": entry.code,
        "name": ckan_name(entry),
        "title": entry.title,
        "notes": entry.summary,
        "type": "dataset",
        "state": "active",
        "private": entry.open_type == OpenType.closed,
        "version": str(entry.version),
        "url": f"{base}/catalog/entries/{entry.id}",
        "owner_org": ckan_organization(entry)["id"],
        "organization": ckan_organization(entry),
        "metadata_created": clock.as_utc(entry.created_at).isoformat(),
        "metadata_modified": clock.as_utc(entry.updated_at).isoformat(),
        "num_resources": len(resources),
        "resources": resources,
        "num_tags": 0,
        "tags": [{"name": kw} for kw in re.split(r"[/／]", entry.classification) if kw],
        "extras": [{"key": k, "value": v} for k, v in extras.items()],
    }


def ckan_ok(base: str, action: str, result: Any) -> dict[str, Any]:
    return {"help": f"{base}/api/3/action/help_show?name={action}", "success": True, "result": result}


def ckan_error(base: str, action: str, kind: str, message: str) -> dict[str, Any]:
    return {
        "help": f"{base}/api/3/action/help_show?name={action}",
        "success": False,
        "error": {"__type": kind, "message": message},
    }
