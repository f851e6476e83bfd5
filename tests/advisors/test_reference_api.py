from __future__ import annotations

import csv
from pathlib import Path

import pytest

CSV = Path(__file__).resolve().parents[2] / "advisors" / "data" / "se_municipalities.csv"


def test_all_21_regions_are_listed_with_their_municipalities(client, db, django_assert_max_num_queries):
    with django_assert_max_num_queries(3):  # count, regions, municipalities
        response = client.get("/api/v1/regions/")

    assert response.status_code == 200
    regions = response.json()["results"]
    assert len(regions) == 21
    assert sum(len(r["municipalities"]) for r in regions) == 290
    assert regions[0]["code"] == "01"


def test_codes_keep_their_leading_zero_and_match_the_scb_list(client, db):
    with CSV.open(encoding="utf-8") as f:
        expected = {
            r["municipality_code"]: (r["region_code"], r["municipality_name"]) for r in csv.DictReader(f)
        }

    regions = client.get("/api/v1/regions/").json()["results"]
    got = {m["code"]: (r["code"], m["name"]) for r in regions for m in r["municipalities"]}
    assert got == expected
    assert got["0114"] == ("01", "Upplands Väsby")
    assert got["2080"] == ("20", "Falun")


def test_one_region_by_its_code(client, db):
    response = client.get("/api/v1/regions/07/")

    assert response.status_code == 200
    body = response.json()
    assert body["name"] == "Kronobergs län"
    assert {"code": "0780", "name": "Växjö"} in body["municipalities"]


@pytest.mark.parametrize("code", ["99", "7", "abc", "2080"])
def test_an_unknown_region_code_is_a_404_with_a_message(client, db, code):
    response = client.get(f"/api/v1/regions/{code}/")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_topics_are_named_in_the_language_asked_for(client, db):
    sv = client.get("/api/v1/topics/", HTTP_ACCEPT_LANGUAGE="sv").json()["results"]
    en = client.get("/api/v1/topics/", HTTP_ACCEPT_LANGUAGE="en").json()["results"]

    by_slug_sv = {t["slug"]: t["name"] for t in sv}
    by_slug_en = {t["slug"]: t["name"] for t in en}
    assert len(sv) == 8
    assert by_slug_sv["financing"] == "Finansiering"
    assert by_slug_en["financing"] == "Financing"
    assert by_slug_en["public-procurement"] == "Public procurement and reserved contracts"


def test_inactive_topics_are_not_listed(client, db):
    from advisors.models import Topic

    Topic.objects.filter(slug="financing").update(is_active=False)
    slugs = {t["slug"] for t in client.get("/api/v1/topics/").json()["results"]}
    assert "financing" not in slugs


def test_reference_data_is_read_only(client, db, staff):
    client.force_login(staff)
    assert client.post("/api/v1/regions/", {"code": "99", "name": "X"}).status_code == 405
    assert client.delete("/api/v1/topics/financing/").status_code == 405


def test_the_list_is_paginated_with_a_page_size_up_to_500(client, db):
    body = client.get("/api/v1/regions/?page_size=5").json()
    assert len(body["results"]) == 5
    assert body["count"] == 21
    assert "page=2" in body["next"]
    assert len(client.get("/api/v1/regions/?page_size=100000").json()["results"]) == 21


def test_a_page_past_the_end_is_a_404_not_a_500(client, db):
    assert client.get("/api/v1/regions/?page=99").status_code == 404
    assert client.get("/api/v1/regions/?page=abc").status_code == 404


def test_the_openapi_schema_and_its_docs_are_served_offline(client, db):
    schema = client.get("/api/schema/")
    docs = client.get("/api/docs/")

    assert schema.status_code == 200
    assert b"/api/v1/regions/" in schema.content
    assert b"/api/v1/auth/token/" in schema.content
    assert docs.status_code == 200
    # Swagger UI from the sidecar package, not from a CDN.
    assert b"/static/drf_spectacular_sidecar/" in docs.content
    assert b"cdn.jsdelivr" not in docs.content
