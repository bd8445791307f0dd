"""The referee for every model: python-miio's own class for the model drives its simulator.

For each of the 92 models python-miio 0.5.12 knows (purifiers, fresh-air units, lights,
cameras), the simulated model runs on a free loopback address; python-miio's class for it
(``AirPurifier``, ``Yeelight``, ``ChuangmiCamera``...) runs ``status()``, and every parsed field
it shows must agree with the simulator's own state. Then each of the class's setters the model
offers (power, brightness, colour temperature, colour, mode, levels, LED, buzzer, child lock,
night vision, flip, motion recording...) is called through the class, and the simulator's
state must have changed as the class meant, and a fresh ``status()`` must read it back. No raw
call of ours: only the class's own methods. Which method sets what, and which status attribute
shows what, is the same data the table generator uses (``scripts/miio_facts.py``).

python-miio is blocking: its calls run in a thread while the simulator runs on the loop.
"""

from __future__ import annotations

import asyncio
import enum
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import miio
import pytest

from firmware_sim.fleet import DeviceConfig, SimulatedDevice
from firmware_sim.models.table import bundled_models
from tests.loopback import free_host

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "scripts"))
import miio_facts

pytestmark = pytest.mark.interop

TIMEOUT = 1  # python-miio's per-try timeout: a broken model fails in seconds, not minutes
MODELS = bundled_models()


@pytest.fixture
async def device(request: pytest.FixtureRequest) -> AsyncIterator[SimulatedDevice]:
    """The model's simulator on a free loopback address (python-miio only talks to 54321)."""
    model: str = request.param
    sim = SimulatedDevice(DeviceConfig(model, free_host(), snapshot_port=0))
    await sim.start()
    try:
        yield sim
    finally:
        await sim.stop()


def norm(value: Any) -> str:
    """A value as text, the way two sides may write it ("80" and 80, Enum and its value)."""
    if isinstance(value, enum.Enum):
        value = value.value
    if isinstance(value, tuple) and len(value) == 3:
        value = value[0] << 16 | value[1] << 8 | value[2]
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value)


def other(values: list[Any], current: Any) -> Any:
    """The first of ``values`` that is not ``current``."""
    for value in values:
        if value != current:
            return value
    raise AssertionError(f"no value other than {current!r} in {values}")


class Referee:
    """Runs in a thread: python-miio's class against one simulated device."""

    def __init__(self, sim: SimulatedDevice) -> None:
        self.sim = sim
        self.table = sim.table
        self.checked = 0
        self.set = 0
        self.problems: list[str] = []

    def agree(self, where: str, shown: Any, *expected: Any) -> None:
        if shown is None:
            return  # the class hides it in this state (Yeelight's ct while in colour mode)
        self.checked += 1
        if norm(shown) not in {norm(e) for e in expected}:
            self.problems.append(f"{where}: python-miio shows {shown!r}, simulator has {expected}")

    def attribute(self, status: Any, attr: str) -> Any:
        try:
            return getattr(status, attr)
        except Exception as exc:  # the class could not parse what the firmware sent
            self.problems.append(f"status().{attr} raised {exc!r}")
            return None

    # ---- legacy ---------------------------------------------------------------------------

    def legacy(self) -> None:
        facts = miio_facts.LEGACY[self.table.referee]
        props = self.props_facts(facts)
        dev = facts.cls(self.sim.host, self.sim.token, model=self.sim.model)
        dev._protocol._timeout = TIMEOUT  # Yeelight takes no timeout argument
        self.check_legacy_status(dev.status(), props)
        for prop in self.table.props:
            p = props[prop.name]
            if p.setter is None or prop.set is None:
                continue
            target = self.target(prop)
            p.setter(dev, target)
            self.set += 1
            wire = self.sim.get_property(prop.name)
            if norm(wire) != norm(prop.encode(target)):
                self.problems.append(f"{prop.name}: set {target!r}, simulator has {wire!r}")
            if p.attr:
                shown = self.attribute(dev.status(), p.attr)
                self.agree(f"{prop.name} after set", shown, wire, prop.decode(wire))
        for action in facts.actions:
            was_on = self.sim.feature("power")
            action.call(dev)
            if action.feature == "toggle" and self.sim.feature("power") == was_on:
                self.problems.append("toggle did not switch the power")

    def props_facts(self, facts: miio_facts.ClassFacts) -> dict[str, miio_facts.P]:
        if facts.cls is miio.Yeelight:
            props = dict(miio_facts.YEELIGHT_COMMON) | miio_facts.YEELIGHT_NIGHT
            props |= miio_facts.yeelight_props("", True, 4000)
            return props | miio_facts.yeelight_props("bg_", True, 4000)
        return facts.props

    def check_legacy_status(self, status: Any, props: dict[str, miio_facts.P]) -> None:
        for prop in self.table.props:
            attr = props[prop.name].attr
            if attr is not None:
                wire = self.sim.get_property(prop.name)
                self.agree(prop.name, self.attribute(status, attr), wire, prop.decode(wire))

    def target(self, prop: Any) -> Any:
        """A feature value the property does not have now, inside its range."""
        current = prop.decode(self.sim.get_property(prop.name))
        if prop.kind == "switch":
            return not current
        if prop.choices is not None and prop.codec == "choice":
            return other([v for _, v in prop.choices], current)
        if prop.codec == "rgb":
            return 0x00FF00 if current != 0x00FF00 else 0x0000FF
        if prop.codec == "text":
            return "referee"
        low, high, _ = prop.range
        return int(high if current == low else low)

    # ---- MIoT -----------------------------------------------------------------------------

    def miot(self) -> None:
        model = self.sim.model
        mapping = miio.AirPurifierMiot._mappings[model]
        dev = miio.AirPurifierMiot(self.sim.host, self.sim.token, model=model, timeout=TIMEOUT)
        self.check_miot_status(dev.status(), mapping)
        spec = self.sim.dialect.spec  # type: ignore[union-attr]
        for name, where in mapping.items():
            m = miio_facts.MIOT_PURIFIER[name]
            if m.setter is None:
                continue
            key = (where["siid"], where["piid"])
            prop = spec.props[key]
            current = self.sim.get_property(*key)
            if m.enum is not None:
                names = [miio_facts.choice_name(e) for e in m.enum if e.value >= 0]
                target: Any = other(names, miio_facts.choice_name(m.enum(current)))
                wire: Any = miio_facts.member(m.enum, target).value
            elif prop.format == "bool":
                target = wire = not current
            else:
                low, high = (
                    prop.value_range[:2]
                    if prop.value_range
                    else (min(prop.values), max(prop.values))
                )
                target = wire = int(high if current == low else low)
            try:
                m.setter(dev, target)
            except miio.DeviceException as exc:
                if "Unsupported" in str(exc):
                    continue  # python-miio itself refuses this setter for the model
                raise
            self.set += 1
            if name == "led_brightness":
                continue  # python-miio turns this value around for some models
            self.agree(f"{name} set", self.sim.get_property(*key), wire)
            shown = self.attribute(dev.status(), "is_on" if name == "power" else name)
            self.agree(f"{name} after set", shown, wire)

    def check_miot_status(self, status: Any, mapping: dict[str, Any]) -> None:
        for name, where in mapping.items():
            if name in ("led_brightness", "device-display-unit"):
                continue  # turned around per model by python-miio / not shown
            attr = "is_on" if name == "power" else name
            if not hasattr(type(status), attr):
                continue
            wire = self.sim.get_property(where["siid"], where["piid"])
            self.agree(name, self.attribute(status, attr), wire)


@pytest.mark.parametrize("device", MODELS, indirect=True)
async def test_python_miio_class_agrees_with_the_simulator(device: SimulatedDevice) -> None:
    referee = Referee(device)
    work = referee.miot if device.table.dialect == "miot" else referee.legacy
    await asyncio.to_thread(work)
    assert not referee.problems, "\n".join(referee.problems)
    assert referee.checked >= 3, f"only {referee.checked} fields compared"
    assert referee.set >= 1, "no setter of the class was tried"
