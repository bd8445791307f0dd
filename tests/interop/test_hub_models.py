"""The hub half of the referee (issue 9 item 4): every table model, simulated by firmware_sim,
driven through the whole hub's REST API; the simulator's own state confirms each change.

For each model: its features are read, power is switched, and one number and one choice are
set where the model has them. One hub per python-miio class keeps it quick while every model
still gets its own device; a failure names the model and the step.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.app import Hub
from hub.config import Config
from hub.devices.miio.catalog import profile
from hub.devices.miio.dialects.legacy import decode
from hub.devices.miio.features import derive_features
from hub.devices.miio.models.table import bundled_tables, load_table
from hub.devices.miio.spec import load_spec
from tests.mqtt_broker import until


def _groups() -> dict[str, list[str]]:
    groups: dict[str, list[str]] = defaultdict(list)
    for model in bundled_tables():
        groups[load_table(model).referee].append(model)
    return dict(groups)


GROUPS = _groups()


def wire_reader(model: str, feature: str) -> Callable[[SimulatedDevice], Any]:
    """Read ``feature`` from the simulator's own state, decoded as the hub decodes it."""
    table = load_table(model)
    if table.dialect == "legacy":
        prop = next(p for p in table.properties if p.feature == feature)
        return lambda sim: decode(prop.codec, prop.choices, sim.get_property(prop.name))
    binding = derive_features(load_spec(table.spec or model)).properties[feature]
    siid, piid = binding.prop.siid, binding.prop.piid
    return lambda sim: binding.decode(sim.get_property(siid, piid))


def other_number(feature: dict[str, Any], current: Any) -> float | None:
    low, high, step = feature.get("min"), feature.get("max"), feature.get("step") or 1
    if low is None or high is None:
        return None
    for candidate in (low + step, high, low):
        if candidate != current and low <= candidate <= high:
            return int(candidate) if float(candidate).is_integer() else candidate
    return None


class Driver:
    def __init__(self, http: aiohttp.ClientSession, hub: Hub, token: str) -> None:
        self.http, self.base, self.headers = http, hub.api_url, {"Authorization": f"Bearer {token}"}

    async def device(self, device_id: str) -> dict[str, Any]:
        async with self.http.get(f"{self.base}api/devices/{device_id}", headers=self.headers) as r:
            assert r.status == 200, await r.text()
            body: dict[str, Any] = await r.json()
            return body

    async def set(self, device_id: str, feature: str, value: Any) -> None:
        url = f"{self.base}api/devices/{device_id}/commands"
        body = {"feature": feature, "value": value}
        async with self.http.post(url, headers=self.headers, json=body) as r:
            assert r.status < 300, f"{feature}={value!r}: {r.status} {await r.text()}"


async def exercise(driver: Driver, sim: SimulatedDevice) -> list[str]:
    """Drive one model; what went wrong (empty when all is well)."""
    model, device_id = sim.config.model, f"miio-{sim.did}"
    device = await driver.device(device_id)
    features = {f["id"]: f for f in device["features"]}
    state = {k: v["value"] for k, v in device["state"].items()}
    problems = []
    if not state:
        problems.append("no feature values were read")
    steps: list[tuple[str, Any]] = []
    power = features.get("power")
    if power and power["writable"] and power["kind"] == "switch":
        steps += [("power", not state.get("power")), ("power", True)]
    number = next(
        (f for f in features.values() if f["kind"] == "number" and f["writable"]
         and other_number(f, state.get(f["id"])) is not None), None,
    )  # fmt: skip
    if number:
        steps.append((number["id"], other_number(number, state.get(number["id"]))))
    choice = next((f for f in features.values() if f["kind"] == "choice" and f["writable"]), None)
    if choice:
        current = state.get(choice["id"])
        steps.append((choice["id"], next(c for c in choice["choices"] if c != current)))
    for feature, value in steps:
        try:
            await driver.set(device_id, feature, value)
            read = wire_reader(model, feature)
            await until(lambda r=read, v=value: r(sim) == v, 2)  # type: ignore[misc]
        except (AssertionError, TimeoutError) as exc:
            problems.append(f"{feature}={value!r}: {exc or 'the simulator did not change'}")
    return [f"{model}: {p}" for p in problems]


@pytest.mark.parametrize("referee", sorted(GROUPS))
async def test_the_hub_drives_every_model_through_its_api(tmp_path: Path, referee: str) -> None:
    models = GROUPS[referee]
    configs = [DeviceConfig(m, "127.0.0.1", port=0, snapshot_port=0) for m in models]
    async with Fleet(configs, tick=60.0) as fleet:
        config = Config.model_validate({
            "hub": {"data_dir": str(tmp_path)}, "api": {"host": "127.0.0.1", "port": 0},
            "miio": {"bind": "127.0.0.1", "timeout": 0.5, "devices": [
                {"host": d.host, "port": d.port, "token": d.token} for d in fleet.devices]},
        })  # fmt: skip
        async with Hub(config) as hub, aiohttp.ClientSession() as http:
            await until(lambda: len(hub.miio.online()) == len(models), 10 + len(models) / 4)
            driver = Driver(http, hub, await hub.auth.issue("referee", ["read", "control"]))
            problems = [p for sim in fleet.devices for p in await exercise(driver, sim)]
    assert not problems, "\n".join(problems)
    assert {profile(m).referee for m in models} == {referee}
