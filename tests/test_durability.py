"""Acknowledged means durable: a hub killed with SIGKILL in the middle of concurrent writes of
every kind comes back with every write it answered 2xx for, and a sound database.

Writers (all at once): device renames and room moves, scenes created and deleted, automations
created, disabled and enabled, API tokens issued through a pairing code and revoked. Each round kills the hub once enough writes
were acknowledged, checks the database file, restarts the hub and reads everything back
through the API.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import re
import sqlite3
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import aiohttp

from tests.hub_process import HubProcess
from tests.mqtt_broker import until

DEVICES = 4
ROUNDS = 5


@dataclass
class Ledger:
    """What the hub acknowledged (and, for renames, the newest name it was sent)."""

    renamed: dict[str, int] = field(default_factory=dict)
    sent: dict[str, int] = field(default_factory=dict)
    scenes: set[str] = field(default_factory=set)
    automations: set[str] = field(default_factory=set)
    tokens: set[str] = field(default_factory=set)
    revoked: set[str] = field(default_factory=set)
    deleted_scenes: set[str] = field(default_factory=set)
    enabled: dict[str, tuple[bool, bool]] = field(default_factory=dict)
    """Per automation: (the last acknowledged state, the last one sent)."""
    acknowledged: int = 0


class Writers:
    def __init__(self, http: aiohttp.ClientSession, hub: HubProcess, ledger: Ledger) -> None:
        self.http, self.hub, self.ledger = http, hub, ledger
        self.headers = hub.headers()

    async def _send(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        async with self.http.request(
            method, f"{self.hub.url}{path}", json=body, headers=self.headers
        ) as response:
            data = await response.json() if response.content_type == "application/json" else None
            return response.status, data

    async def rename(self, device: str, round_: int) -> None:
        for number in range(1, 1_000_000):
            self.ledger.sent[device] = round_ * 1_000_000 + number
            body = {"name": f"r{round_}-{number}", "room": f"room-{round_}-{number}"}
            status, _ = await self._send("PATCH", f"/api/devices/{device}", body)
            assert status == 200, status
            self.ledger.renamed[device] = round_ * 1_000_000 + number
            self.ledger.acknowledged += 1

    async def scenes(self, writer: int, round_: int) -> None:
        for number in range(1_000_000):
            scene_id = f"s{round_}-{writer}-{number}"
            body = {"id": scene_id, "name": scene_id, "targets": [
                {"device": "dev-0", "feature": "power", "value": True}]}  # fmt: skip
            status, _ = await self._send("POST", "/api/scenes", body)
            assert status == 201, status
            self.ledger.scenes.add(scene_id)
            self.ledger.acknowledged += 1
            if writer == 1 and number % 2:  # and delete every other one again
                self.ledger.scenes.discard(scene_id)  # in flight: either answer is right
                status, _ = await self._send("DELETE", f"/api/scenes/{scene_id}", None)
                assert status == 204, status
                self.ledger.deleted_scenes.add(scene_id)
                self.ledger.acknowledged += 1

    async def automations(self, writer: int, round_: int) -> None:
        for number in range(1_000_000):
            automation_id = f"a{round_}-{writer}-{number}"
            body = {"id": automation_id,
                    "trigger": [{"platform": "webhook", "webhook_id": automation_id}],
                    "action": [{"action": "set", "device": "dev-1", "feature": "power",
                                "value": True}]}  # fmt: skip
            status, _ = await self._send("POST", "/api/automations", body)
            assert status == 201, status
            self.ledger.automations.add(automation_id)
            self.ledger.acknowledged += 1
            if writer == 1:  # and switch it off and on a few times
                for enabled in (False, True, False)[: 1 + number % 3]:
                    acked = self.ledger.enabled.get(automation_id, (True, True))[0]
                    self.ledger.enabled[automation_id] = (acked, enabled)
                    verb = "enable" if enabled else "disable"
                    status, _ = await self._send(
                        "POST", f"/api/automations/{automation_id}/{verb}", None
                    )
                    assert status == 200, status
                    self.ledger.enabled[automation_id] = (enabled, enabled)
                    self.ledger.acknowledged += 1

    async def tokens(self, round_: int) -> None:
        previous: str | None = None
        for number in range(1_000_000):
            status, code = await self._send("POST", "/api/pairing-codes", {"scopes": ["read"]})
            assert status == 201, status
            pair = {"code": code["code"], "name": f"phone {round_}-{number}"}
            status, paired = await self._send("POST", "/api/pair", pair)
            assert status == 201, status
            self.ledger.tokens.add(paired["token"])
            self.ledger.acknowledged += 1
            if previous is not None and number % 2 == 0:
                self.ledger.tokens.discard(previous)  # in flight: either answer is right
                status, _ = await self._send(
                    "DELETE", f"/api/tokens/{previous.split('.')[0]}", None
                )
                assert status == 204, status
                self.ledger.revoked.add(previous)
                self.ledger.acknowledged += 1
            previous = paired["token"]

    def all(self, round_: int) -> list[asyncio.Task[None]]:
        coroutines = [self.rename(f"dev-{d}", round_) for d in range(DEVICES)]
        coroutines += [self.scenes(w, round_) for w in range(2)]
        coroutines += [self.automations(w, round_) for w in range(2)]
        coroutines.append(self.tokens(round_))
        return [asyncio.create_task(c) for c in coroutines]


def integrity(path: Path) -> str:
    with contextlib.closing(sqlite3.connect(path)) as db:
        return str(db.execute("PRAGMA integrity_check").fetchone()[0])


async def check(http: aiohttp.ClientSession, hub: HubProcess, ledger: Ledger) -> list[str]:
    """Every acknowledged write that the restarted hub does not show."""
    lost: list[str] = []
    headers = hub.headers()
    for device, acked in ledger.renamed.items():
        async with http.get(f"{hub.url}/api/devices/{device}", headers=headers) as response:
            stored = await response.json()
        name = re.fullmatch(r"r(\d+)-(\d+)", stored["name"])
        round_, number = (int(name[1]), int(name[2])) if name else (0, 0)
        if not acked <= round_ * 1_000_000 + number <= ledger.sent[device]:
            lost.append(f"{device}: name {stored['name']}, acknowledged {acked}")
        elif stored["room"] != f"room-{round_}-{number}":
            lost.append(f"{device}: room {stored['room']} with name {stored['name']}")
    async with http.get(f"{hub.url}/api/scenes", headers=headers) as response:
        scenes = {scene["id"] for scene in (await response.json())["scenes"]}
    lost += [f"scene {s}" for s in ledger.scenes - scenes]
    lost += [f"deleted scene {s} is back" for s in ledger.deleted_scenes & scenes]
    async with http.get(f"{hub.url}/api/automations", headers=headers) as response:
        automations = {a["id"]: a for a in (await response.json())["automations"]}
    lost += [f"automation {a}" for a in ledger.automations - set(automations)]
    for automation_id, (acked, sent) in ledger.enabled.items():
        if automations[automation_id]["enabled"] not in (acked, sent):
            lost.append(f"automation {automation_id}: enabled is not {acked}")
    for token, expected in [(t, 200) for t in ledger.tokens] + [(t, 401) for t in ledger.revoked]:
        async with http.get(f"{hub.url}/api/session", headers=hub.headers(token)) as response:
            if response.status != expected:
                lost.append(f"token {token.split('.')[0]}: {response.status}, not {expected}")
    return lost


async def test_no_acknowledged_write_is_lost_to_kill_9(tmp_path: Path) -> None:
    hub = HubProcess(tmp_path)
    await hub.seed(devices=DEVICES)
    ledger = Ledger()
    totals = []
    try:
        async with aiohttp.ClientSession() as http:
            for round_ in range(1, ROUNDS + 1):
                await hub.start()
                if round_ > 1:
                    assert await check(http, hub, ledger) == []
                target = ledger.acknowledged + random.randint(300, 1500)
                began, before = time.monotonic(), ledger.acknowledged
                tasks = Writers(http, hub, ledger).all(round_)
                try:
                    await until(lambda: ledger.acknowledged >= target, 60)  # noqa: B023
                    hub.kill()
                    await hub.stop()
                finally:
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
                assert await asyncio.to_thread(integrity, hub.db) == "ok"
                rate = (ledger.acknowledged - before) / (time.monotonic() - began)
                totals.append(ledger.acknowledged)
                print(f"round {round_}: {ledger.acknowledged - before} acknowledged writes at "
                      f"{rate:.0f}/s by 9 writers, then SIGKILL; integrity_check ok")  # fmt: skip
            await hub.start()
            assert await check(http, hub, ledger) == [], totals
            print(f"{ledger.acknowledged} acknowledged writes over {ROUNDS} kills: 0 lost")
    finally:
        await hub.stop()
