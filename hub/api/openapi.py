"""The OpenAPI 3.1 document, generated from the route table and the pydantic models, and a
readable page of it (plain HTML: no script, nothing from elsewhere)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from typing import Any

from aiohttp import web
from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from hub.api.jsonio import json_response
from hub.api.models import ErrorBody
from hub.api.routes import Route, Scope

DOCUMENT: web.AppKey[Callable[[], dict[str, Any]]] = web.AppKey("openapi")
"""The app's OpenAPI document, built when first asked for."""
_PATH_PARAM = re.compile(r"\{([A-Za-z_]+)\}")
_REF = "#/components/schemas/{model}"
_REASONS = {
    101: "switching to the WebSocket protocol", 200: "done", 201: "created", 202: "started",
    204: "done, nothing to say", 400: "the body is not JSON", 401: "no token, or a bad one",
    403: "the token lacks the scope (or the origin is not allowed)",
    404: "no such thing", 409: "it exists already", 413: "the body is too large",
    415: "the body is not application/json", 422: "a value is wrong: the error names the field",
    426: "connect as a WebSocket", 429: "too many failed attempts: wait Retry-After seconds",
    502: "the device refused, or the hub cannot talk to it", 503: "not available on this hub",
    504: "the device did not answer",
}  # fmt: skip


def _models(routes: list[Route]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    found: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(ErrorBody, "serialization"): None}
    for route in routes:
        bodies = route.body if isinstance(route.body, tuple) else (route.body,)
        for body in bodies:
            if body is not None:
                found[(body, "validation")] = None
        if route.response is not None:
            found[(route.response, "serialization")] = None
    return list(found)


def build_document(routes: list[Route], version: str) -> dict[str, Any]:
    refs, definitions = models_json_schema(_models(routes), ref_template=_REF)
    error_ref = refs[(ErrorBody, "serialization")]
    paths: dict[str, dict[str, Any]] = {}
    for route in routes:
        operation: dict[str, Any] = {
            "operationId": route.handler.__name__,
            "summary": route.summary,
            "tags": [route.tag],
        }
        if route.description:
            operation["description"] = route.description
        parameters = [
            {"name": name, "in": "path", "required": True,
             "schema": {"type": "string", "minLength": 1, "pattern": "^[^/]+$"}}
            for name in _PATH_PARAM.findall(route.path)
        ]  # fmt: skip
        parameters += [
            {"name": p.name, "in": p.location, "required": p.required, "schema": dict(p.schema),
             "description": p.description}
            for p in route.params
        ]  # fmt: skip
        if parameters:
            operation["parameters"] = parameters
        if route.scope is Scope.NONE:
            operation["security"] = []
        else:
            operation["security"] = [{"bearer": []}]
            operation["x-scope"] = str(route.scope)
        if route.body is not None:
            bodies = route.body if isinstance(route.body, tuple) else (route.body,)
            schemas = [refs[(b, "validation")] for b in bodies]
            schema = schemas[0] if len(schemas) == 1 else {"oneOf": schemas}
            operation["requestBody"] = {
                "required": route.body_required,
                "content": {"application/json": {"schema": schema}}}  # fmt: skip
        operation["responses"] = _responses(route, refs, error_ref)
        paths.setdefault(route.path, {})[route.method.lower()] = operation
    return {
        "openapi": "3.1.0",
        "info": {"title": "mihub", "version": version,
                 "description": "The local hub for Xiaomi / Mi Home devices: devices, scenes, "
                 "automations and live events. Pair with `mihub pair` to get a token."},
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
    }  # fmt: skip


def _responses(route: Route, refs: dict[Any, Any], error_ref: Any) -> dict[str, Any]:
    success: dict[str, Any] = {"description": _REASONS.get(route.status, "done")}
    if route.status not in (101, 204):
        if route.content_type == "application/json":
            schema = refs[(route.response, "serialization")] if route.response else {}
        elif route.content_type.startswith("image/"):
            schema = {"type": "string", "format": "binary"}
        else:
            schema = {"type": "string"}
        success["content"] = {route.content_type: {"schema": schema}}
        shapes = route.extra.get("alternate_schemas", {})  # text a client may parse (YAML)
        for alternate in route.alternates:
            success["content"][alternate] = {"schema": shapes.get(alternate, {"type": "string"})}
    statuses = set(route.errors)
    if route.scope is not Scope.NONE:
        statuses |= {401, 403, 429}
    if route.body is not None:
        statuses |= {400, 413, 415, 422}
    if "{" in route.path:
        statuses.add(404)
    responses = {str(route.status): success}
    for status in sorted(statuses):
        content = {"application/json": {"schema": error_ref}}
        responses[str(status)] = {"description": _REASONS.get(status, "error"), "content": content}
    return responses


async def openapi_json(request: web.Request) -> web.Response:
    return json_response(request.app[DOCUMENT]())


async def docs(request: web.Request) -> web.Response:
    return web.Response(text=docs_page(request.app[DOCUMENT]()), content_type="text/html",
                        headers={"Cache-Control": "no-cache"})  # fmt: skip


def docs_page(document: dict[str, Any]) -> str:
    e = html.escape
    parts = [
        "<!doctype html><html lang='en'><head><meta charset='utf-8'>",
        "<meta name='viewport' content='width=device-width, initial-scale=1'>",
        f"<title>mihub API {e(document['info']['version'])}</title>",
        "<link rel='stylesheet' href='/style.css'></head><body class='docs'>",
        f"<h1>mihub API <small>{e(document['info']['version'])}</small></h1>",
        f"<p>{e(document['info']['description'])} Send <code>Authorization: Bearer "
        '&lt;token&gt;</code>. Errors are <code>{"error": {"code", "message", '
        '"field"}}</code>. The machine-readable document: '
        "<a href='/api/openapi.json'>/api/openapi.json</a>.</p>",
    ]
    for path, operations in document["paths"].items():
        for method, op in operations.items():
            scope = op.get("x-scope", "none")
            parts.append(
                f"<details class='op'><summary><b class='m {e(method)}'>{e(method.upper())}</b> "
                f"<code>{e(path)}</code> <span>{e(op['summary'])}</span> "
                f"<i>{e(scope)}</i></summary>"
            )
            if "description" in op:
                parts.append(f"<p>{e(op['description'])}</p>")
            for param in op.get("parameters", []):
                parts.append(f"<p>{e(param['in'])} <code>{e(param['name'])}</code> "
                             f"{e(param.get('description', ''))}</p>")  # fmt: skip
            if "requestBody" in op:
                schema = op["requestBody"]["content"]["application/json"]["schema"]
                parts.append(f"<p>body: {_schema_names(schema)}</p>")
                parts.extend(_body_fields(schema, document["components"]["schemas"]))
            answers = ", ".join(
                f"{e(status)} {e(answer['description'])}"
                for status, answer in op["responses"].items()
            )
            parts.append(f"<p>answers: {answers}</p></details>")
    schemas = document["components"]["schemas"]
    parts.append("<h2>Schemas</h2>")
    for name in sorted(schemas):
        fields = ", ".join(e(f) for f in schemas[name].get("properties", {}))
        parts.append(f"<p id='{e(name)}'><b>{e(name)}</b>: {fields}</p>")
    parts.append("</body></html>")
    return "".join(parts)


def _body_fields(schema: dict[str, Any], schemas: dict[str, Any]) -> list[str]:
    """Each body model's fields (type, required, description) and its examples, as HTML."""
    e = html.escape
    refs = [schema] if "$ref" in schema else schema.get("oneOf", [])
    parts = []
    for ref in refs:
        name = str(ref.get("$ref", "")).rsplit("/", 1)[-1]
        model = schemas.get(name, {})
        required = set(model.get("required", []))
        rows = "".join(
            f"<li><code>{e(field)}</code> {e(_type_name(spec))}"
            f"{' (required)' if field in required else ''}"
            f"{': ' + e(spec['description']) if 'description' in spec else ''}</li>"
            for field, spec in model.get("properties", {}).items()
        )
        examples = "".join(
            f" <code>{e(json.dumps(example))}</code>" for example in model.get("examples", [])
        )
        parts.append(f"<p>{e(name)}:</p><ul>{rows}</ul>")
        if examples:
            parts.append(f"<p>for example:{examples}</p>")
    return parts


def _type_name(spec: dict[str, Any]) -> str:
    if "type" in spec:
        return str(spec["type"])
    options = spec.get("anyOf") or spec.get("oneOf") or []
    return " | ".join(str(option.get("type", "object")) for option in options) or "any"


def _schema_names(schema: dict[str, Any]) -> str:
    refs = [schema] if "$ref" in schema else schema.get("oneOf", [])
    names = [str(r["$ref"]).rsplit("/", 1)[-1] for r in refs if "$ref" in r]
    return " or ".join(f"<a href='#{html.escape(n)}'>{html.escape(n)}</a>" for n in names)


ROUTES = [
    Route("GET", "/api/openapi.json", openapi_json, Scope.NONE, "This document"),
    Route("GET", "/api/docs", docs, Scope.NONE, "This document, to read",
          content_type="text/html"),
]  # fmt: skip
