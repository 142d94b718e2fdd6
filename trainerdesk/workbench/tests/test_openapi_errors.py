"""The OpenAPI documents every operation's error answers (issue 8, section 6)."""

import pytest

API = "/api/v1"


@pytest.fixture
def spec(client):
    return client.get(f"{API}/openapi.json").json()


def _operations(spec):
    for path, methods in spec["paths"].items():
        for method, operation in methods.items():
            yield f"{method.upper()} {path}", path, operation


def test_every_operation_documents_its_error_answers(spec):
    missing = []
    for name, path, op in _operations(spec):
        params = op.get("parameters", [])
        expected = {401} if op.get("security") else set()
        if "{" in path:
            expected |= {404, 422}
        if "requestBody" in op or any(p["in"] == "query" for p in params):
            expected |= {400, 422}
        if "requestBody" in op:
            expected.add(413)
        documented = {int(code) for code in op["responses"]}
        if expected - documented:
            missing.append(f"{name}: {sorted(expected - documented)}")
        for code in documented - set(range(200, 300)):
            schema = op["responses"][str(code)]["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorOut"}, (name, code)
    assert missing == []
    assert len(list(_operations(spec))) >= 61


def test_conflicts_and_refusals_are_documented_where_they_happen(spec):
    paths = spec["paths"]
    assert "409" in paths[f"{API}/projects/{{project_id}}/annotations"]["post"]["responses"]
    assert "409" in paths[f"{API}/projects/{{project_id}}/reviews"]["post"]["responses"]
    assert "409" in paths[f"{API}/projects/{{project_id}}/quality/report"]["post"]["responses"]
    assert "403" in paths[f"{API}/projects"]["post"]["responses"]
    error = spec["components"]["schemas"]["ErrorOut"]
    assert error["required"] == ["message"] and "errors" in error["properties"]
