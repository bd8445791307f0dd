"""Traces: what each run saw and did, bounded per automation, kept across a restart."""

from __future__ import annotations

import asyncio
from pathlib import Path

from hub.scenes.model import parse_automation
from hub.scenes.traces import TraceLog
from hub.store import Store
from tests.scenes.home import hub_life
from tests.waiting import until

SLOW = {"id": "slow", "trigger": [{"platform": "webhook", "webhook_id": "go"}],
        "condition": [{"condition": "numeric", "device": "thermo", "feature": "temperature",
                       "below": 30}],
        "action": [{"action": "set", "device": "lamp", "feature": "power", "value": True},
                   {"action": "delay", "seconds": 5}]}  # fmt: skip


async def test_traces_survive_a_restart_and_a_run_cut_short_says_interrupted(
    tmp_path: Path,
) -> None:
    path = tmp_path / "hub.db"
    async with hub_life(path) as life:
        await life.engine.save(parse_automation(SLOW))
        life.engine.fire_webhook("go")
        traces = life.engine.traces
        await until(
            lambda: (
                [a["action"] for t in traces("slow")[:1] for a in t["actions"]] == ["set", "delay"]
            )
        )
        assert life.engine.traces("slow")[0]["result"] == "running"
    async with hub_life(path, reported={"thermo": {"temperature": 35.0}}) as life:
        resumed, old = life.engine.traces("slow")  # the delay resumed in a new trace
        assert resumed["trigger"]["resumed"] is True
        assert old["result"] == "interrupted"
        assert old["conditions"][0]["saw"] == 20.0
        assert [a["action"] for a in old["actions"]] == ["set", "delay"]
        assert old["actions"][0]["result"] == "confirmed"
        life.engine.fire_webhook("go")  # too warm now: a conditions_failed trace
        newest = life.engine.traces("slow")[0]
        assert newest["result"] == "conditions_failed"
        assert newest["id"] != old["id"]


async def test_the_log_keeps_the_last_n_per_automation() -> None:
    log = TraceLog(None, limit=3)
    for number in range(5):
        log.finish(log.new("a", {"n": number}), "done")
    log.finish(log.new("b", {}), "skipped", "already running")
    assert [t["trigger"]["n"] for t in log.of("a")] == [4, 3, 2]
    assert log.of("b")[0]["error"] == "already running"
    assert log.of("c") == []
    log.forget("a")
    assert log.of("a") == []


async def test_stored_traces_never_break_the_store(tmp_path: Path) -> None:
    async with Store(tmp_path / "hub.db") as store:
        log = TraceLog(store, limit=3, save_interval=0.01)
        await log.start()
        trace = log.new("a", {"odd": object()})  # not JSON: written as its text
        log.finish(trace, "done")
        await asyncio.sleep(0.05)  # the behaviour: the periodic saver (every 0.01 s) meets it
        await log.stop()
        await store.flush()
        stored = await store.get("traces", "a")
        assert stored is not None
        assert stored["traces"][0]["trigger"]["odd"].startswith("<object")
