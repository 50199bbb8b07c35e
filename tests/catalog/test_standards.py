"""DCAT-AP export parsed by rdflib; the CKAN Action API subset answers in CKAN's shape."""

from __future__ import annotations

from fastapi.testclient import TestClient
from rdflib import RDF, Graph, Namespace, URIRef
from rdflib.namespace import DCTERMS, FOAF

from tests.catalog.conftest import World

DCAT = Namespace("http://www.w3.org/ns/dcat#")
OPEN_ENTRY = {
    "code": "CQ-CG-0101",
    "title": "城市道路照明设施分布",
    "classification": "主题/城乡建设/市政设施",
    "summary": "中心城区城市道路照明设施（路灯）的位置、类型和管养单位。",
    "format_class": "电子表格",
    "format": "JSON",
    "update_cycle": "每月",
    "share_type": "unconditional",
    "open_type": "open",
    "items": [
        {"name": "lamp_id", "label": "路灯编号", "type": "字符"},
        {"name": "road", "label": "所在道路", "type": "字符"},
        {
            "name": "keeper_phone",
            "label": "管养人电话",
            "type": "字符",
            "share_type": "none",
            "share_condition": "个人信息",
        },
    ],
}


def _publish_open_entry(client: TestClient, world: World) -> int:
    r = client.post("/api/catalog/entries", headers=world.provider.headers, json=OPEN_ENTRY)
    assert r.status_code == 201, r.text
    entry_id = int(r.json()["id"])
    assert (
        client.post(f"/api/catalog/entries/{entry_id}/actions/publish", headers=world.provider.headers).status_code
        == 200
    )
    return entry_id


def _check_dcat(g: Graph) -> None:
    catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
    assert len(catalogs) == 1
    cat = catalogs[0]
    assert g.value(cat, DCTERMS.title) is not None and g.value(cat, DCTERMS.publisher) is not None
    datasets = list(g.objects(cat, DCAT.dataset))
    assert len(datasets) == 1, "only the open part: the self-catalogue is 不予开放"
    ds = datasets[0]
    assert (ds, RDF.type, DCAT.Dataset) in g
    assert str(g.value(ds, DCTERMS.identifier)) == "CQ-CG-0101"
    assert str(g.value(ds, DCTERMS.title)) == "城市道路照明设施分布"
    for prop in (DCTERMS.description, DCTERMS.publisher, DCTERMS.issued, DCTERMS.accrualPeriodicity):
        assert g.value(ds, prop) is not None, prop
    assert g.value(ds, DCTERMS.accessRights) == URIRef(
        "http://publications.europa.eu/resource/authority/access-right/PUBLIC"
    )
    assert g.value(ds, DCTERMS.accrualPeriodicity) == URIRef(
        "http://publications.europa.eu/resource/authority/frequency/MONTHLY"
    )
    publisher = g.value(ds, DCTERMS.publisher)
    assert (publisher, RDF.type, FOAF.Agent) in g and str(g.value(publisher, FOAF.name)) == "重庆市城市管理局"
    dist = g.value(ds, DCAT.distribution)
    assert (dist, RDF.type, DCAT.Distribution) in g
    assert g.value(dist, DCAT.accessURL) is not None and g.value(dist, DCAT.mediaType) is not None
    assert "管养人电话" not in g.serialize(format="nt")  # 不予共享 items never leave


def test_dcat_turtle_and_jsonld_parse_in_rdflib(client: TestClient, world: World) -> None:
    _publish_open_entry(client, world)
    ttl = client.get("/api/catalog/dcat.ttl")  # anonymous: the open catalogue is public
    assert ttl.status_code == 200 and ttl.headers["content-type"].startswith("text/turtle")
    _check_dcat(Graph().parse(data=ttl.text, format="turtle"))
    ld = client.get("/api/catalog/dcat.jsonld")
    assert ld.status_code == 200
    _check_dcat(Graph().parse(data=ld.text, format="json-ld"))


def test_ckan_action_api_answers_in_ckan_shape(client: TestClient, world: World) -> None:
    _publish_open_entry(client, world)
    r = client.get("/api/3/action/package_search", params={"q": "路灯"})
    assert r.status_code == 200
    body = r.json()
    assert body["success"] is True and body["result"]["count"] == 1
    pkg = body["result"]["results"][0]
    assert pkg["name"] == "cq-cg-0101" and pkg["title"] == "城市道路照明设施分布"
    assert pkg["organization"]["title"] == "重庆市城市管理局" and pkg["resources"][0]["format"] == "JSON"
    assert "keeper_phone" not in r.text
    assert client.get("/api/3/action/package_search", params={"q": "不存在的资源"}).json()["result"]["count"] == 0

    names = client.get("/api/3/action/package_list").json()
    assert names == {**names, "success": True} and names["result"] == ["cq-cg-0101"]
    shown = client.get("/api/3/action/package_show", params={"id": "cq-cg-0101"}).json()
    assert shown["success"] and shown["result"]["id"] == "CQ-CG-0101"
    missing = client.get("/api/3/action/package_show", params={"id": "nope"})
    assert missing.status_code == 404 and missing.json()["success"] is False
    orgs = client.get("/api/3/action/organization_list", params={"all_fields": "true"}).json()["result"]
    assert [(o["title"], o["package_count"]) for o in orgs] == [("重庆市城市管理局", 1)]

    # a logged-in street user browses the catalogue it may see, self-catalogue included
    staff = client.get(
        "/api/3/action/package_search", params={"q": "事件统计", "rows": 50}, headers=world.street.headers
    )
    assert staff.json()["result"]["count"] >= 2
