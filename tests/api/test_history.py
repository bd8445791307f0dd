"""GET /api/devices/{id}/history: who changed what, statistics, pages, CSV, and clear errors."""

from __future__ import annotations

import csv
import io
import time
from typing import Any

import pytest

from hub.bus import Origin
from hub.devices.model import Device, Feature, FeatureKind, Protocol
from hub.history import HistoryRecorder
from tests.api.rig import Api

URL = "/api/devices/{}/history"


async def get(api: Api, device: str, token: str | None = None, **query: Any) -> Any:
    recorder: HistoryRecorder = api.extra["history"]
    await recorder.flush()
    query.setdefault("end", time.time() + 1)  # rows of one millisecond are kept 1 ms apart
    params = {k: str(v) for k, v in query.items()}
    return await api.client.get(URL.format(device), params=params, headers=api.auth(token))


async def test_a_phone_command_and_a_button_press_are_told_apart(api: Api) -> None:
    command = {"feature": "power", "value": True}
    answer = await api.client.post("/api/devices/lamp/commands", json=command, headers=api.auth())
    assert answer.status == 200
    api.registry.update("lamp", {"power": False})  # the lamp's own button
    reader = await api.ctx.auth.issue("phone", ["read"])
    response = await get(api, "lamp", reader, feature="power")
    assert response.status == 200
    body = await response.json()
    assert body["next"] is None
    rows = [(i["kind"], i["value"], i["origin"], i["status"]) for i in body["items"]]
    assert rows == [
        ("state", False, "device", None),  # the lamp as the hub found it
        ("command", True, "api", "confirmed"),
        ("state", True, "api", None),
        ("state", False, "device", None),
    ]


async def test_statistics_at_each_resolution_fill_quiet_time_with_the_held_value(
    api: Api,
) -> None:
    sensor = Feature("temperature", FeatureKind.SENSOR, unit="°C")
    api.registry.add(Device("meter", "Meter", "test.meter", Protocol.ZIGBEE2MQTT,
                            features={"temperature": sensor}))  # fmt: skip
    day = int(time.time()) // 86_400 * 86_400 - 2 * 86_400  # midnight UTC, two days ago
    api.registry.update("meter", {"temperature": 10.0}, at=day + 3600)
    api.registry.update("meter", {"temperature": 30.0}, at=day + 3600 + 150)
    api.registry.update("meter", {"temperature": 20.0}, at=day + 7200)
    query = {"feature": "temperature", "start": day, "end": day + 3 * 3600}
    five = (await (await get(api, "meter", resolution="5min", **query)).json())["items"]
    assert five[0] == {"feature": "temperature", "start": day + 3600, "mean": 20.0,
                       "min": 10.0, "max": 30.0}  # fmt: skip
    assert len(five) == 24  # from the first known value to the end, every 5 minutes
    assert {p["mean"] for p in five[1:12]} == {30.0}  # quiet, the value held
    hours = (await (await get(api, "meter", resolution="hour", **query)).json())["items"]
    assert [h["start"] for h in hours] == [day + 3600, day + 7200]
    assert hours[0]["mean"] == pytest.approx((20 + 11 * 30) / 12)
    assert (hours[0]["min"], hours[0]["max"], hours[1]["mean"]) == (10.0, 30.0, 20.0)
    days = await get(api, "meter", resolution="day", feature="temperature", start=day)
    items = (await days.json())["items"]
    assert [d["start"] for d in items] == [day, day + 86_400, day + 2 * 86_400]


async def test_pages_cover_every_row_once(api: Api) -> None:
    for level in range(1, 8):
        api.registry.update("lamp", {"brightness": level * 10})
    seen, cursor, pages = [], None, 0
    while True:
        query: dict[str, Any] = {"feature": "brightness", "limit": 3}
        if cursor:
            query["cursor"] = cursor
        body = await (await get(api, "lamp", **query)).json()
        seen += [item["value"] for item in body["items"]]
        pages += 1
        cursor = body["next"]
        if cursor is None:
            break
    assert seen == [50, 10, 20, 30, 40, 50, 60, 70]
    assert pages == 3


async def test_csv_by_parameter_or_accept_header_with_the_next_page_in_link(api: Api) -> None:
    await api.registry.command("lamp", "mode", "night", Origin.AUTOMATION)
    response = await get(api, "lamp", format="csv", feature="mode", limit=2)
    assert response.content_type == "text/csv"
    rows = list(csv.reader(io.StringIO(await response.text())))
    assert rows[0] == ["time", "feature", "kind", "value", "origin", "status"]
    assert [r[2:] for r in rows[1:]] == [["state", "day", "device", ""],
                                         ["command", "night", "automation", "confirmed"]]  # fmt: skip
    assert 'rel="next"' in response.headers["Link"]
    headers = {**api.auth(), "Accept": "text/csv"}
    stats = await api.client.get(URL.format("thermo"), params={"resolution": "hour"},
                                 headers=headers)  # fmt: skip
    assert stats.content_type == "text/csv"
    assert (await stats.text()).splitlines()[0] == "start,feature,mean,min,max"


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"resolution": "week"}, "resolution"),
        ({"start": "2026-01-01T00:00:00"}, "start"),  # no time zone
        ({"start": "yesterday"}, "start"),
        ({"start": 2000, "end": 1000}, "end"),
        ({"start": 0, "end": 40 * 86_400}, "start"),  # raw rows: 31 days at most
        ({"limit": 0}, "limit"),
        ({"limit": "ten"}, "limit"),
        ({"feature": "power", "resolution": "5min"}, "resolution"),  # a switch: raw only
        ({"feature": "colour"}, "feature"),
        ({"cursor": "s.1.2"}, "cursor"),
        ({"cursor": ""}, "cursor"),
        ({"cursor": "r.76842627435045912543977.-3155608960.-764"}, "cursor"),  # > 64 bits
        ({"format": "xml"}, "format"),
    ],
)
async def test_bad_queries_are_422_naming_the_parameter(
    api: Api, query: dict[str, Any], field: str
) -> None:
    response = await get(api, "lamp", **query)
    assert response.status == 422
    assert (await response.json())["error"]["field"] == field


async def test_an_unknown_device_is_404(api: Api) -> None:
    response = await get(api, "nope")
    assert response.status == 404
