"""A device's history: raw changes and commands with their origin, or statistics at a
resolution, paged and bounded, as JSON or CSV."""

from __future__ import annotations

import csv
import io
import math
import re
import time
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict

from hub.api.context import context
from hub.api.errors import ApiError
from hub.api.jsonio import json_response
from hub.api.routes import Param, Route, Scope
from hub.bus import Origin
from hub.devices.model import Device, FeatureKind
from hub.errors import NotFound
from hub.history.queries import BadCursor, HistoryReader, Page, RawRow, StatRow

_CURSOR = re.compile(r"^[rs](\.-?[0-9]{1,18}){2,3}$")
"""What a page's ``next`` looks like: a prefix and two or three integers SQLite can hold."""

DAY = 86_400
RESOLUTIONS = {"raw": 0, "5min": 300, "hour": 3600, "day": DAY}
MAX_SPAN = {"raw": 31 * DAY, "5min": 400 * DAY, "hour": 400 * DAY, "day": 400 * DAY}
MAX_LIMIT = 10_000
LATEST = 253_402_300_799  # 9999-12-31T23:59:59Z
NUMERIC = (FeatureKind.NUMBER, FeatureKind.SENSOR)
Value = bool | int | float | str | None


class _Out(BaseModel):
    model_config = ConfigDict(extra="forbid", defer_build=True)  # built for the OpenAPI only


class RawItem(_Out):
    feature: str
    at: float
    kind: Literal["state", "command"]
    value: Value
    origin: Origin
    status: str | None
    """commands: acknowledged, confirmed or failed"""


class StatItem(_Out):
    feature: str
    start: int
    mean: float
    min: float
    max: float


class HistoryOut(_Out):
    device: str
    resolution: Literal["raw", "5min", "hour", "day"]
    start: float
    end: float
    items: list[RawItem] | list[StatItem]
    next: str | None
    """Pass as ``cursor`` for the next page; null on the last page."""


async def device_history(request: web.Request) -> web.StreamResponse:
    ctx = context(request)
    try:
        device = ctx.registry.get(request.match_info["device_id"])
    except NotFound as exc:
        raise ApiError(404, "not_found", str(exc), "device_id") from None
    query = request.query
    as_csv = _wants_csv(request, query)
    resolution = query.get("resolution", "raw")
    if resolution not in RESOLUTIONS:
        raise _invalid("resolution", f"resolution is one of: {', '.join(RESOLUTIONS)}")
    end = _time(query, "end", time.time())
    start = _time(query, "start", end - DAY)
    if end <= start:
        raise _invalid("end", "end must be after start")
    if end - start > MAX_SPAN[resolution]:
        days = MAX_SPAN[resolution] // DAY
        raise _invalid("start", f"a {resolution} range spans at most {days} days")
    limit = _limit(query)
    if ctx.history is None:
        raise ApiError(503, "unavailable", "history is off on this hub (history: enabled)")
    features = await _features(ctx.history, device, query.get("feature"), resolution)
    cursor = query.get("cursor")
    if cursor is not None and not _CURSOR.fullmatch(cursor):
        raise _invalid("cursor", "not a cursor from this history's answers")
    try:
        if resolution == "raw":
            page = await ctx.history.raw(features, start, end, limit, cursor)
        else:
            step = RESOLUTIONS[resolution]
            page = await ctx.history.statistics(features, start, end, step, limit, cursor)
    except BadCursor:
        raise _invalid("cursor", "not a cursor from this history's answers") from None
    if as_csv:
        return _csv(request, device, resolution, page)
    return json_response({
        "device": device.id, "resolution": resolution, "start": start, "end": end,
        "items": [_item(row) for row in page.rows], "next": page.next,
    })  # fmt: skip


def _invalid(field: str, message: str) -> ApiError:
    return ApiError(422, "invalid_value", message, field)


def _wants_csv(request: web.Request, query: Mapping[str, str]) -> bool:
    wanted = query.get("format")
    if wanted is not None and wanted not in ("json", "csv"):
        raise _invalid("format", "format is json or csv")
    if wanted is None:
        return "text/csv" in request.headers.get("Accept", "")
    return wanted == "csv"


def _time(query: Mapping[str, str], name: str, default: float) -> float:
    text = query.get(name)
    if text is None:
        return default
    try:
        value = float(text)
    except ValueError:
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise _invalid(name, f"{name} is seconds since 1970 or an ISO 8601 time with a "
                           "time zone, e.g. 2026-01-31T07:00:00+01:00") from None  # fmt: skip
        if moment.tzinfo is None:
            raise _invalid(name, f"{name} needs a time zone (e.g. Z or +01:00)") from None
        value = moment.astimezone(UTC).timestamp()
    if not math.isfinite(value) or not 0 <= value <= LATEST:
        raise _invalid(name, f"{name} is between 1970 and 9999")
    return value


def _limit(query: Mapping[str, str]) -> int:
    text = query.get("limit", "1000")
    try:
        limit = int(text)
    except ValueError:
        limit = 0
    if not 1 <= limit <= MAX_LIMIT:
        raise _invalid("limit", f"limit is a whole number from 1 to {MAX_LIMIT}")
    return limit


async def _features(
    reader: HistoryReader, device: Device, feature: str | None, resolution: str
) -> dict[str, int]:
    recorded = await reader.features(device.id)
    if feature is None:
        if resolution == "raw":
            return recorded
        return {f: e for f, e in recorded.items() if _numeric(device, f)}
    if feature not in device.features:
        names = ", ".join(sorted(device.features)) or "none"
        raise _invalid("feature", f"'{device.id}' has no feature '{feature}'; it has: {names}")
    if resolution != "raw" and not _numeric(device, feature):
        kind = device.features[feature].kind
        raise _invalid("resolution", f"'{feature}' is a {kind}: its history is raw only")
    return {feature: recorded[feature]} if feature in recorded else {}


def _numeric(device: Device, feature: str) -> bool:
    known = device.features.get(feature)
    return known is not None and known.kind in NUMERIC


def _item(row: RawRow | StatRow) -> dict[str, object]:
    if isinstance(row, RawRow):
        return {"feature": row.feature, "at": row.at, "kind": row.kind, "value": row.value,
                "origin": row.origin, "status": row.status}  # fmt: skip
    return {"feature": row.feature, "start": row.start, "mean": row.mean, "min": row.min,
            "max": row.max}  # fmt: skip


def _csv(request: web.Request, device: Device, resolution: str, page: Page) -> web.Response:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    if resolution == "raw":
        writer.writerow(["time", "feature", "kind", "value", "origin", "status"])
        for row in page.rows:
            writer.writerow([_iso(row.at), row.feature, row.kind, _cell(row.value), row.origin,
                             row.status or ""])  # fmt: skip
    else:
        writer.writerow(["start", "feature", "mean", "min", "max"])
        for row in page.rows:
            writer.writerow([_iso(row.start), row.feature, row.mean, row.min, row.max])
    headers = {"Content-Disposition": f'attachment; filename="{device.id}-{resolution}.csv"'}
    if page.next is not None:
        headers["Link"] = f'<{request.rel_url.update_query(cursor=page.next)}>; rel="next"'
    return web.Response(text=out.getvalue(), content_type="text/csv", headers=headers)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _cell(value: Value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def _params() -> tuple[Param, ...]:
    when = "seconds since 1970, or ISO 8601 with a time zone"
    return (
        Param("feature", "query", {"type": "string", "minLength": 1},
              "one feature (default: all; statistics: the numeric ones)"),
        Param("start", "query", {"type": "string"}, f"from ({when}; default: end - 24 h)"),
        Param("end", "query", {"type": "string"}, f"until, excluded ({when}; default: now)"),
        Param("resolution", "query", {"type": "string", "enum": list(RESOLUTIONS)},
              "raw rows (at most 31 days), or statistics per 5 min, hour or day (UTC), "
              "at most 400 days"),
        Param("limit", "query", {"type": "integer", "minimum": 1, "maximum": MAX_LIMIT},
              "rows per page (default 1000)"),
        Param("cursor", "query", {"type": "string", "pattern": _CURSOR.pattern},
              "the previous page's next"),
        Param("format", "query", {"type": "string", "enum": ["json", "csv"]},
              "csv: a file (also chosen by Accept: text/csv); its next page is in Link"),
    )  # fmt: skip


ROUTES = [
    Route("GET", "/api/devices/{device_id}/history", device_history, Scope.READ,
          "A device's history: changes and commands with their origin, or statistics",
          response=HistoryOut, errors=(404, 422, 503), params=_params(), tag="history",
          alternates=("text/csv",),
          description="Raw rows say who caused each change (device, api, automation, scene). "
          "Statistics (mean, min, max) are time-weighted, filled forward across quiet "
          "periods, and kept longer than raw rows."),
]  # fmt: skip
