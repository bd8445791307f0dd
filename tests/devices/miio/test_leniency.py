"""Accept what python-miio and Home Assistant accept, on the real UDP wire (issue 9 item 5)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from typing import Any

import pytest

from hub.bus import EventBus
from hub.config import MiioSection
from hub.devices.miio.dialects.miot import action, set_properties
from hub.devices.miio.runtime import MiioRuntime
from hub.devices.miio.wire.transport import MiioTransport, RetryPolicy
from hub.devices.registry import DeviceRegistry
from hub.errors import DeviceError, ProtocolError
from tests.devices.miio.scripted import Reply, ScriptedDevice
from tests.mqtt_broker import until

FAST = RetryPolicy(timeout=0.1, retries=1, backoff=0.01)
TOKEN = "00112233445566778899aabbccddeeff"
INFO = {"model": "zhimi.airpurifier.mb3", "fw_ver": "2.1.7", "mac": "AA:BB:CC:DD:EE:FF"}


@pytest.fixture
async def transport() -> AsyncIterator[MiioTransport]:
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        yield transport


async def test_a_reply_without_result_is_the_result(transport: MiioTransport) -> None:
    def unwrapped(request: dict[str, Any]) -> list[Reply]:  # python-miio's MIoT simulator
        return [{"id": request["id"], **INFO}]

    async with ScriptedDevice("127.0.0.1", TOKEN, unwrapped) as device:
        info = await transport.session(device.host, TOKEN, device.port).info()
    assert info == INFO


@pytest.mark.parametrize("answer", [0, "ok", ["ok"], [0]])
async def test_a_set_answered_with_a_plain_success_succeeded(
    transport: MiioTransport, answer: Any
) -> None:
    def plain(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "result": answer}]

    async with ScriptedDevice("127.0.0.1", TOKEN, plain) as device:
        session = transport.session(device.host, TOKEN, device.port)
        result = await set_properties(session, [(2, 1, True), (2, 4, 2)])
        acted = await action(session, 2, 1)
    assert [(r["siid"], r["piid"], r["code"]) for r in result] == [(2, 1, 0), (2, 4, 0)]
    assert acted["code"] == 0


@pytest.mark.parametrize(
    ("error", "text"),
    [
        ({"code": -5001, "message": "command error"}, "command error (-5001)"),
        ({"code": -1, "error": "not supported"}, "not supported (-1)"),
        ("busy doing nothing", "busy doing nothing"),
        ({"code": -3}, "{'code': -3} (-3)"),
    ],
)
async def test_error_text_comes_from_message_or_error_never_none(
    transport: MiioTransport, error: Any, text: str
) -> None:
    def failing(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "error": error}]

    async with ScriptedDevice("127.0.0.1", TOKEN, failing) as device:
        with pytest.raises(DeviceError) as caught:
            await transport.session(device.host, TOKEN, device.port).send("get_prop", ["power"])
    assert str(caught.value).endswith(text)
    assert "None" not in str(caught.value)


async def test_a_reply_the_hub_cannot_use_names_what_was_sent(transport: MiioTransport) -> None:
    def odd(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "result": ["x" * 500]}]

    async with ScriptedDevice("127.0.0.1", TOKEN, odd) as device:
        with pytest.raises(ProtocolError, match=r"miIO\.info returned \['xxx.*\.\.\.$") as caught:
            await transport.session(device.host, TOKEN, device.port).info()
    assert len(str(caught.value)) < 200


async def test_a_device_with_unusable_replies_is_a_warning_not_unreachable(
    caplog: pytest.LogCaptureFixture,
) -> None:
    def odd(request: dict[str, Any]) -> list[Reply]:
        return [{"id": request["id"], "result": "I am a teapot"}]

    caplog.set_level(logging.INFO, logger="hub.devices.miio")
    registry = DeviceRegistry(EventBus(), offline_grace=0)
    async with ScriptedDevice("127.0.0.1", TOKEN, odd) as device:
        config = MiioSection.model_validate(
            {"bind": "127.0.0.1", "timeout": 0.2,
             "devices": [{"host": device.host, "port": device.port, "token": TOKEN}]}
        )  # fmt: skip
        runtime = MiioRuntime(config, registry)
        await runtime.start()
        try:
            await until(lambda: "teapot" in caplog.text, 5)
        finally:
            await runtime.stop()
            registry.close()
    warnings = [r for r in caplog.records if "teapot" in r.getMessage()]
    assert warnings
    assert all(r.levelno == logging.WARNING for r in warnings)
    assert "'I am a teapot'" in warnings[0].getMessage()
    assert "not reachable" not in caplog.text
