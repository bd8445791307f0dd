"""The OpenAPI 3.1 document, generated from the route table and the pydantic models."""

from __future__ import annotations

import html
import re
from typing import Any

from aiohttp import web

from hub.api.routes import Route, Scope

_PARAM = re.compile(r"\{([a-z_]+)\}")


def build_document(routes: list[Route], version: str) -> dict[str, Any]:
    paths: dict[str, dict[str, Any]] = {}
    schemas: dict[str, Any] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "summary": route.summary,
            "operationId": route.handler.__name__,
            "tags": [route.tag],
            "responses": _responses(route),
        }
        parameters = [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in _PARAM.findall(route.path)
        ]
        if parameters:
            operation["parameters"] = parameters
        if route.scope is not Scope.NONE:
            operation["security"] = [{"bearer": [str(route.scope)]}]
        if route.body is not None:
            schema = route.body.model_json_schema(
                by_alias=True, ref_template="#/components/schemas/{model}"
            )
            schemas.update(schema.pop("$defs", {}))
            schemas[route.body.__name__] = schema
            operation["requestBody"] = {
                "required": True,
                "content": {"application/json": {
                    "schema": {"$ref": f"#/components/schemas/{route.body.__name__}"}}},
            }  # fmt: skip
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "mihub", "version": version,
                 "description": "Local-first hub for the Xiaomi / Mi Home ecosystem."},
        "paths": paths,
        "components": {
            "schemas": {**schemas, "Error": _ERROR},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


_ERROR = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "field": {"type": "string"}}, "required": ["code", "message"]}},
    "required": ["error"],
}  # fmt: skip


def _responses(route: Route) -> dict[str, Any]:
    error = {"description": "error", "content": {
        "application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}  # fmt: skip
    ok = "204" if route.method == "DELETE" else "200"
    responses: dict[str, Any] = {ok: {"description": "success"}}
    if ok == "200":
        responses[ok]["content"] = {route.response: {}}
    for status in ("400", "401", "403", "404", "415", "422", "429"):
        responses[status] = error
    return responses


def docs_page(document: dict[str, Any]) -> str:
    rows = []
    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            scope = operation.get("security", [{"bearer": ["none"]}])[0]["bearer"][0]
            rows.append(
                f"<tr><td>{method.upper()}</td><td><code>{html.escape(path)}</code></td>"
                f"<td>{html.escape(scope)}</td><td>{html.escape(operation['summary'])}</td></tr>"
            )
    return (
        "<!doctype html><html><head><meta charset='utf-8'><title>mihub API</title>"
        "<meta name='viewport' content='width=device-width, initial-scale=1'>"
        "<link rel='stylesheet' href='/style.css'></head><body class='docs'>"
        "<h1>mihub API</h1><p>The machine-readable document: "
        "<a href='/api/openapi.json'>/api/openapi.json</a>. Send "
        "<code>Authorization: Bearer &lt;token&gt;</code>; get a token with "
        "<code>mihub pair</code>.</p><table><tr><th>method</th><th>path</th><th>scope</th>"
        "<th>what</th></tr>" + "".join(rows) + "</table></body></html>"
    )


def openapi_handler(document: dict[str, Any]) -> Any:
    async def openapi(request: web.Request) -> web.Response:
        return web.json_response(document)

    return openapi


def docs_handler(document: dict[str, Any]) -> Any:
    page = docs_page(document)

    async def docs(request: web.Request) -> web.Response:
        return web.Response(text=page, content_type="text/html")

    return docs
