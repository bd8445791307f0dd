"""MiioTransport and its sessions against simulated firmware and scripted devices, on the wire."""

from __future__ import annotations

import asyncio
import itertools
import logging
import random
import socket
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from firmware_sim.fleet import DeviceConfig, Fleet, SimulatedDevice
from hub.devices.miio.dialects.miot import get_properties
from hub.devices.miio.wire import codec
from hub.devices.miio.wire.transport import MiioSession, MiioTransport, RetryPolicy
from hub.errors import DeviceAuthError, DeviceError, DeviceTimeout, InvalidValue, ProtocolError
from tests.devices.miio.scripted import Reply, ScriptedDevice
from tests.loopback import free_host, free_hosts
from tests.waiting import until

PURIFIER = "zhimi.airpurifier.mb3"
LIGHT = "zhimi.airpurifier.ma4"  # any MIoT model
TOKEN = "00112233445566778899aabbccddeeff"
OTHER = "ffeeddccbbaa99887766554433221100"
RMEM_MAX = int(Path("/proc/sys/net/core/rmem_max").read_text())
PATIENT = RetryPolicy(timeout=2.0, retries=2, backoff=0.01)
"""Where a retry is not the subject: on a busy machine it would only add packets in flight."""
FAST = RetryPolicy(timeout=0.1, retries=3, backoff=0.01, busy_backoff=0.01)


@pytest.fixture
async def transport() -> AsyncIterator[MiioTransport]:
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        yield transport


@pytest.fixture
async def purifier() -> AsyncIterator[SimulatedDevice]:
    async with Fleet([DeviceConfig(PURIFIER, free_host(), port=0)]) as fleet:
        yield fleet.devices[0]


def session_for(transport: MiioTransport, dev: SimulatedDevice) -> MiioSession:
    return transport.session(dev.host, dev.token, port=dev.port)


async def test_handshake_learns_the_device_id_and_clock(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    purifier.identity.booted_at -= 500  # up for a while
    session = session_for(transport, purifier)
    hello = await session.handshake()
    assert hello.device_id == session.device_id == purifier.did
    assert abs(session.stamp - purifier.identity.stamp) <= 1
    assert session.reboots == 0


async def test_requests_and_results(transport: MiioTransport, purifier: SimulatedDevice) -> None:
    session = session_for(transport, purifier)
    assert await session.send("get_properties", [{"did": "x", "siid": 2, "piid": 2}]) == [
        {"did": "x", "siid": 2, "piid": 2, "code": 0, "value": False}
    ]
    for _ in range(5):
        assert (await session.info())["model"] == PURIFIER
    # one handshake, then requests only (a retry on a busy machine says hello again)
    assert transport.stats.hellos == 1 + transport.stats.retries


async def test_an_error_reply_is_a_device_error_with_its_code(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    with pytest.raises(DeviceError, match="no_such_method failed") as caught:
        await session_for(transport, purifier).send("no_such_method")
    assert caught.value.code == -32601
    assert type(caught.value) is DeviceError


async def test_one_request_in_flight_per_device_while_devices_run_in_parallel(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    latency = 0.04
    configs = [DeviceConfig(LIGHT, host, port=0) for host in free_hosts(10)]
    # a patient policy: a retry (a second packet in flight) would only mean a busy machine
    patient = RetryPolicy(timeout=2.0, retries=2, backoff=0.01)
    async with (
        MiioTransport(("127.0.0.1", 0), policy=patient) as transport,
        Fleet(configs) as fleet,
    ):
        arrivals: dict[int, list[float]] = {}
        for dev in fleet.devices:
            dev.faults.latency = latency
            arrivals[dev.did] = []
            original = dev.server.datagram_received

            def record(data: bytes, addr: Any, dev: Any = dev, original: Any = original) -> None:
                if len(data) > 32:
                    arrivals[dev.did].append(time.monotonic())
                original(data, addr)

            monkeypatch.setattr(dev.server, "datagram_received", record)
        sessions = [session_for(transport, dev) for dev in fleet.devices]
        await asyncio.gather(*(s.handshake() for s in sessions))
        calls = [get_properties(s, [(2, 2)]) for s in sessions for _ in range(4)]
        results = await asyncio.gather(*calls)
    assert all(r[0]["code"] == 0 for r in results)
    for times in arrivals.values():
        assert len(times) == 4
        gaps = [b - a for a, b in itertools.pairwise(times)]
        assert min(gaps) >= latency * 0.9  # the next request waited for the reply
    # but devices did not wait for each other: every device had its first request before
    # any device could have had its second
    assert max(t[0] for t in arrivals.values()) < min(t[1] for t in arrivals.values())


async def test_message_ids_are_monotonic_and_wrap_below_10000(transport: MiioTransport) -> None:
    async with ScriptedDevice(free_host(), TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        session._next_id = 9997
        for _ in range(4):
            await session.send("ping")
    assert [r["id"] for r in device.requests] == [9998, 9999, 1, 2]


async def test_retries_recover_from_30_percent_packet_loss(purifier: SimulatedDevice) -> None:
    purifier.faults.loss = 0.3
    purifier.faults.rng = random.Random(7)
    policy = RetryPolicy(timeout=0.05, backoff=0.005)  # the default 3 retries
    async with MiioTransport(("127.0.0.1", 0), policy=policy) as transport:
        session = session_for(transport, purifier)
        for _ in range(20):
            result = await get_properties(session, [(2, 2), (2, 4)])
            assert [r["code"] for r in result] == [0, 0]
        assert transport.stats.retries > 0


async def test_a_retry_skips_ahead_100_ids(transport: MiioTransport) -> None:
    dropped: list[int] = []

    def drop_first(request: dict[str, Any]) -> list[Reply]:
        if not dropped:
            dropped.append(request["id"])
            return []
        return [{"id": request["id"], "result": ["ok"]}]

    async with ScriptedDevice(free_host(), TOKEN, drop_first) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        assert await session.send("ping") == ["ok"]
    first, retry = (r["id"] for r in device.requests)
    assert retry == first + 100
    assert device.hellos == 2  # the hello is re-done before the retry


async def test_busy_replies_are_retried(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    purifier.faults.busy_replies = 2
    result = await get_properties(session_for(transport, purifier), [(2, 2)])
    assert result[0]["code"] == 0
    assert transport.stats.retries == 2


async def test_a_device_that_stays_busy_gives_its_error(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    purifier.faults.busy_replies = 100
    with pytest.raises(DeviceError) as caught:
        await session_for(transport, purifier).info()
    assert caught.value.code == -9999


async def test_the_other_busy_code_is_retried_too(transport: MiioTransport) -> None:
    busy: list[int] = []

    def busy_once(request: dict[str, Any]) -> list[Reply]:
        if not busy:
            busy.append(request["id"])
            return [{"id": request["id"], "error": {"code": -30001, "message": "busy"}}]
        return [{"id": request["id"], "result": ["ok"]}]

    async with ScriptedDevice(free_host(), TOKEN, busy_once) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        assert await session.send("ping") == ["ok"]
    assert len(device.requests) == 2
    assert device.hellos == 1  # a busy device is alive: no new hello


async def test_an_offline_device_is_a_timeout(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    purifier.faults.offline = True
    session = session_for(transport, purifier)
    with pytest.raises(DeviceTimeout, match="hello"):
        await session.info()
    purifier.faults.offline = False
    await session.info()
    purifier.faults.offline = True  # gone after a good start
    with pytest.raises(DeviceTimeout, match="stopped answering"):
        await session.info()


async def failures(session: MiioSession, calls: int) -> list[DeviceError]:
    found: list[DeviceError] = []
    for _ in range(calls):
        try:
            await session.info()
        except DeviceError as exc:
            found.append(exc)
    return found


async def test_a_wrong_token_is_said_only_when_requests_are_consistently_ignored(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    session = transport.session(purifier.host, TOKEN, port=purifier.port)
    first, second, third = await failures(session, 3)  # 4 attempts each; 12 in a row is "wrong"
    assert isinstance(first, DeviceTimeout)
    assert "did not answer miIO.info within" in str(first)
    assert isinstance(second, DeviceTimeout)
    assert isinstance(third, DeviceAuthError)
    assert "token is probably wrong" in str(third)
    assert session.device_id == purifier.did  # the hello answered


async def test_a_token_change_is_an_auth_error_and_rekeying_recovers(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    session = session_for(transport, purifier)
    await session.info()
    new = purifier.change_token()
    assert isinstance((await failures(session, 3))[-1], DeviceAuthError)
    assert transport.session(purifier.host, new, port=purifier.port) is session
    assert (await session.info())["model"] == PURIFIER


async def test_a_reply_signed_with_another_token_fails_at_once(transport: MiioTransport) -> None:
    def signed_elsewhere(request: dict[str, Any]) -> list[Reply]:
        return [codec.build(OTHER, 0x1234, 100, {"id": request["id"], "result": ["ok"]})]

    async with ScriptedDevice(free_host(), TOKEN, signed_elsewhere) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        with pytest.raises(DeviceAuthError, match="not with our token"):
            await session.send("ping")
    assert transport.stats.auth_failures == 1
    assert transport.stats.retries == 0  # refused at the first reply, not after the retries


async def test_an_unreadable_reply_is_a_protocol_error(transport: MiioTransport) -> None:
    garbage = b"\x21\x31\x00\x05junk"
    async with ScriptedDevice(free_host(), TOKEN, lambda r: [garbage]) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        with pytest.raises(ProtocolError, match="unreadable"):
            await session.send("ping")
    assert transport.stats.malformed >= 1


@pytest.mark.parametrize("uptime", [5, 100])
async def test_a_reboot_is_detected_and_requests_recover(
    transport: MiioTransport, purifier: SimulatedDevice, uptime: int
) -> None:
    # up 5 s: the device still accepts our clock and its reply shows the reset;
    # up 100 s: it drops our now-future stamps, the retry's hello shows the reset.
    purifier.identity.booted_at -= uptime
    session = session_for(transport, purifier)
    seen: list[MiioSession] = []
    session.add_reboot_listener(seen.append)
    await session.info()
    purifier.reboot()
    assert (await session.info())["model"] == PURIFIER
    assert session.reboots == 1
    assert seen == [session]
    assert session.stamp <= 2
    await session.info()
    assert session.reboots == 1


async def test_duplicate_and_late_replies_are_dropped(transport: MiioTransport) -> None:
    def twice(request: dict[str, Any]) -> list[Reply]:
        reply = {"id": request["id"], "result": [request["params"]]}
        return [reply, reply]

    async with ScriptedDevice(free_host(), TOKEN, twice) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        assert await session.send("echo", "one") == ["one"]
        assert await session.send("echo", "two") == ["two"]
        await until(lambda: transport.stats.late_replies == 2)


async def test_a_slow_reply_to_the_first_attempt_answers_the_call(
    transport: MiioTransport, purifier: SimulatedDevice
) -> None:
    purifier.faults.slow_reply = 0.25  # more than two attempts wait (0.1 each)
    session = session_for(transport, purifier)
    await session.handshake()
    assert (await session.info())["model"] == PURIFIER  # no attempt's own reply is in time
    await until(lambda: transport.stats.late_replies >= 1, 1.0)  # the retries' replies


async def test_strangers_are_counted_and_ignored(transport: MiioTransport) -> None:
    async with ScriptedDevice(free_host(), TOKEN) as device:
        device.client = transport.local_address
        device.send({"id": 1, "result": ["ok"]})
        await until(lambda: transport.stats.unknown_sender == 1)


async def test_sessions_are_per_address_and_need_an_ip_and_a_token(
    transport: MiioTransport,
) -> None:
    host, other = free_hosts(2)  # making a session sends nothing
    session = transport.session(host, TOKEN)
    assert transport.session(host, TOKEN) is session
    assert transport.session(host, TOKEN, port=1) is not session
    with pytest.raises(InvalidValue, match="IP address"):
        transport.session("lamp.local", TOKEN)
    with pytest.raises(InvalidValue, match="32 hex digits"):
        transport.session(other, "abc")
    transport.forget(session)
    assert (host, 54321) not in transport.sessions


async def test_the_token_is_never_logged(
    transport: MiioTransport, purifier: SimulatedDevice, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    session = transport.session(purifier.host, TOKEN, port=purifier.port)
    caught = (await failures(session, 3))[-1]
    assert isinstance(caught, DeviceAuthError)
    purifier.reboot()
    session.rekey(purifier.token)
    await session.info()
    for text in (caplog.text, repr(session), str(caught)):
        assert TOKEN not in text
        assert purifier.token not in text


async def test_closing_the_transport_fails_calls_in_flight(purifier: SimulatedDevice) -> None:
    purifier.faults.slow_reply = 5.0
    async with MiioTransport(("127.0.0.1", 0), policy=FAST) as transport:
        session = session_for(transport, purifier)
        await session.handshake()
        call = asyncio.create_task(session.info(), name="test-call")
        await asyncio.sleep(0.02)  # the behaviour: the call is in flight (its reply due in 5 s)
    with pytest.raises(DeviceError, match="closed"):
        await call


async def test_another_device_at_the_address_is_named_in_the_error(
    transport: MiioTransport,
) -> None:
    async with ScriptedDevice(free_host(), TOKEN) as device:
        session = transport.session(device.host, TOKEN, port=device.port)
        await session.send("ping")
        device.did, device.script = 999, lambda r: []  # replaced by a device we cannot talk to
        with pytest.raises(DeviceAuthError, match="another device now answers there: id 999"):
            await session.send("ping")
    assert session.device_id == 999


async def test_the_socket_buffer_holds_a_burst_of_replies(transport: MiioTransport) -> None:
    assert transport._udp is not None
    sock = transport._udp.get_extra_info("socket")
    assert sock.getsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF) >= min(1 << 20, RMEM_MAX)


async def test_packets_in_flight_are_capped_across_devices() -> None:
    latency = 0.05
    configs = [DeviceConfig(LIGHT, host, port=0) for host in free_hosts(6)]
    async with (
        Fleet(configs) as fleet,
        MiioTransport(("127.0.0.1", 0), policy=PATIENT, max_in_flight=2) as transport,
    ):
        sessions = [session_for(transport, dev) for dev in fleet.devices]
        await asyncio.gather(*(s.handshake() for s in sessions))
        for dev in fleet.devices:
            dev.faults.latency = latency
        start = time.monotonic()
        await asyncio.gather(*(get_properties(s, [(2, 2)]) for s in sessions))
        elapsed = time.monotonic() - start
    assert elapsed >= 3 * latency * 0.9  # six requests, two at a time
    assert transport.stats.retries == 0
