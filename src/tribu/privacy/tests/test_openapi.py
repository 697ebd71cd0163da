"""The personal-data and import endpoints are described in the OpenAPI schema."""
import pytest


@pytest.mark.django_db
def test_the_endpoints_are_in_the_openapi_schema(client):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert {"/api/v1/me/export", "/api/v1/me/erase", "/api/v1/imports", "/api/v1/imports/{job_id}"} <= set(paths)
