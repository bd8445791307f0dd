"""Automations as YAML text over the API, so the phone's YAML view needs no YAML library.

A body sent as ``application/yaml`` is read here; a syntax error, or a problem the automation
model or the reference check finds, comes back as a 422 whose message names the line and the
key, in the words config.yaml's errors use (hub/config_messages.py). An automation goes out as
YAML in the order a person writes it: id, alias, triggers, conditions, actions.
"""

from __future__ import annotations

from typing import Any

import yaml
from aiohttp import web

from hub.api.errors import ApiError
from hub.config import duplicate_key, line_of
from hub.config_messages import yaml_problem
from hub.scenes.model import Automation

YAML_TYPES = ("application/yaml", "application/x-yaml", "text/yaml")
YAML_TYPE = "application/yaml"
MAX_YAML = 64 * 1024


def wants_yaml(request: web.Request) -> bool:
    """``?format=yaml`` (or ``json``, the default); anything else is a 422."""
    form = request.query.get("format", "json")
    if form not in ("json", "yaml"):
        raise ApiError(422, "invalid_value", "format is json or yaml", "format")
    return form == "yaml"


def sent_yaml(request: web.Request) -> bool:
    return request.content_type in YAML_TYPES


async def read_yaml(request: web.Request) -> tuple[dict[str, Any], yaml.Node | None]:
    """The YAML body as a mapping, and its node tree (for the line of a later error)."""
    raw = await request.read()
    if not raw.strip():
        raise ApiError(400, "no_body", "this route needs a body", "body")
    if len(raw) > MAX_YAML:
        raise ApiError(413, "too_large", f"the YAML is over {MAX_YAML // 1024} kB", "body")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "bad_yaml", "the YAML is not UTF-8 text", "body") from None
    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        if (twice := duplicate_key(node)) is not None:
            raise ApiError(422, "bad_yaml", f"line {twice}", "body")
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        raise ApiError(422, "bad_yaml", f"line {yaml_problem(exc)}", "body") from None
    except yaml.YAMLError as exc:
        raise ApiError(422, "bad_yaml", f"line 1: {exc}", "body") from None
    finally:
        loader.dispose()
    if not isinstance(data, dict):
        raise ApiError(422, "bad_yaml", "line 1: an automation is a mapping of keys "
                       "(id, alias, trigger, condition, action)", "body")  # fmt: skip
    return data, node


def yaml_error(node: yaml.Node | None, problems: list[tuple[str, str]]) -> ApiError:
    """A 422 with one line per problem: ``line 7: action.1.value: words``."""
    lines = []
    for field, message in problems:
        shown = field if field and field != "(top level)" else "(top level)"
        loc: list[Any] = [int(p) if p.isdigit() else p for p in shown.split(".")]
        line = line_of(node, loc if shown != "(top level)" else [])
        lines.append(f"line {line}: {shown}: {message}")
    first = problems[0][0] if problems and problems[0][0] != "(top level)" else "body"
    return ApiError(422, "validation_error", "\n".join(lines), first)


_ORDER = ("id", "alias", "description", "enabled", "mode", "max", "max_rate",
          "trigger", "condition", "action")  # fmt: skip


def automation_yaml(automation: Automation) -> str:
    """The definition as YAML: defaults left out, keys in a person's order."""
    data = automation.model_dump(mode="json", by_alias=True, exclude_defaults=True)
    data.setdefault("alias", automation.alias)
    ordered = {key: data[key] for key in _ORDER if key in data}
    ordered.update({k: v for k, v in data.items() if k not in ordered})
    return yaml.safe_dump(ordered, sort_keys=False, allow_unicode=True, width=100)
