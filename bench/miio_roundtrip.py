"""miIO round trip: get_properties through MiioTransport next to a bare UDP echo (issue 2).

This process is the hub. The devices run in other processes, on loopback only:

- ``firmware_sim``: the simulated firmware (``python -m firmware_sim``), which speaks the wire
  through python-miio's construct codec;
- a lean responder (this script, ``--serve lean``): one socket per device doing only what any
  firmware must (verify, decrypt, encrypt a canned result), with the hub's codec;
- the floor (this script, ``--serve echo``): a bare asyncio UDP echo, request and reply of
  the same sizes as a get_properties round trip.

For N = 1, 100, 1000 devices, one request in flight per device and all devices at once:
p50 / p99 round trip, round trips per second and hub CPU per round trip. Then the polling
cost: N devices each polled every 10 s, three ways (one task per device, staggered, as the
links did until 2026-11-30; one 1 s ticker; the hub's PollScheduler, as the links do now);
hub CPU = ``time.process_time()`` over the window / wall time, with the same pattern on the
bare echo as its floor. Targets: p50 <= 3x the floor; polling 1,000 devices every 10 s costs
< 5 % of one core.

    .venv/bin/python bench/miio_roundtrip.py [--counts 1,100,1000] [--window 30]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import ipaddress
import json
import signal
import socket
import struct
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes  # noqa: E402

from hub.devices.miio.dialects.legacy import LegacyDialect  # noqa: E402
from hub.devices.miio.dialects.miot import get_properties  # noqa: E402
from hub.devices.miio.models.table import load_table  # noqa: E402
from hub.devices.miio.poller import PollScheduler  # noqa: E402
from hub.devices.miio.spec import load_spec  # noqa: E402
from hub.devices.miio.wire import codec  # noqa: E402
from hub.devices.miio.wire.transport import MiioSession, MiioTransport, RetryPolicy  # noqa: E402
from hub.errors import DeviceError  # noqa: E402

MODEL = "zhimi.airpurifier.mb3"
LEGACY_MODEL = "yeelink.light.color2"
LEGACY_VALUES = ["", "on", "80", "2", "16737280", "4000"]
"""A color2's answer to the hub's get_prop (name, power, bright, color_mode, rgb, ct)."""
SIM_HOSTS = "127.0.200.1"  # away from the addresses the test suites use
LEAN_HOSTS = "127.0.210.1"
ECHO_HOST = "127.0.199.1"
TOKEN = "00112233445566778899aabbccddeeff"  # noqa: S105 - the lean responders' own
BUFFER = 4 << 20
POLICY = RetryPolicy(timeout=2.0, retries=3)  # a saturated 2-core box is slower than a LAN
Call = Callable[[int], Awaitable[None]]


@dataclass(frozen=True, slots=True)
class Result:
    path: str
    devices: int
    samples: list[float]
    errors: int
    retries: int
    seconds: float
    cpu: float

    def quantile(self, q: float) -> float:
        ordered = sorted(self.samples)
        if not ordered:
            return float("nan")  # every call failed: the errors column says how many
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))] * 1e3

    def row(self) -> str:
        n = len(self.samples)
        return (
            f"| {self.path} | {self.devices} | {n} | {self.errors} | {self.retries} | "
            f"{self.quantile(0.5):.3f} | {self.quantile(0.99):.3f} | {n / self.seconds:,.0f} | "
            f"{self.cpu / max(n, 1) * 1e6:.0f} |"
        )


async def closed_loop(path: str, calls: list[Call], rounds: int, retries: Any = None) -> Result:
    """Every lane does ``rounds`` calls one after the other; all lanes at once."""
    samples: list[float] = []
    errors = 0
    before = retries() if retries else 0

    async def lane(call: Call, lane_id: int) -> None:
        nonlocal errors
        for _ in range(rounds):
            start = time.perf_counter()
            try:
                await call(lane_id)
            except Exception:
                errors += 1
                continue
            samples.append(time.perf_counter() - start)

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(lane(c, i) for i, c in enumerate(calls)))
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    done = (retries() if retries else 0) - before
    return Result(path, len(calls), samples, errors, done, wall, cpu)


async def polling(
    calls: list[Call], period: float, window: float, tick: float | str | None
) -> tuple[float, int, int]:
    """CPU share of this process while every lane is called once per ``period``.

    ``tick`` None: one task per device, staggered, each sleeping ``period`` (what the links
    did until 2026-11-30). ``"hub"``: the hub's own PollScheduler, as the links use it now.
    Otherwise one timer: every ``tick`` the devices due are polled together.
    """
    polls = errors = 0

    async def once(lane: int) -> None:
        nonlocal polls, errors
        try:
            await calls[lane](lane)
            polls += 1
        except Exception:
            errors += 1

    async def poller(lane: int) -> None:
        await asyncio.sleep(lane * period / len(calls))
        while True:
            await once(lane)
            await asyncio.sleep(period)

    async def ticker(tick: float) -> None:
        due, lane = 0.0, 0
        while True:
            start = time.perf_counter()
            due += len(calls) * tick / period
            batch = []
            while due >= 1:
                batch.append(once(lane % len(calls)))
                lane, due = lane + 1, due - 1
            await asyncio.gather(*batch)
            await asyncio.sleep(max(0.0, tick - (time.perf_counter() - start)))

    @dataclass(eq=False)
    class Lane:
        name: str
        lane: int

        async def cycle(self) -> float:
            await once(self.lane)
            return period

    scheduler = PollScheduler()
    if tick == "hub":
        for i in range(len(calls)):
            scheduler.add(Lane(f"poll-{i}", i), i * period / len(calls))
        tasks = []
    elif tick is None:
        tasks = [asyncio.create_task(poller(i), name=f"poll-{i}") for i in range(len(calls))]
    else:
        tasks = [asyncio.create_task(ticker(tick), name="poll-ticker")]
    try:
        await asyncio.sleep(period)  # every device has been polled once
        polls_before, errors_before = polls, errors
        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.sleep(window)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await scheduler.stop()
    return cpu / wall, polls - polls_before, errors - errors_before


# ---- the helper processes -----------------------------------------------------------------


class _Echo(asyncio.DatagramProtocol):
    def __init__(self, reply_size: int) -> None:
        self.reply_size = reply_size
        self.udp: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.udp = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        self.udp.sendto(data[:8].ljust(self.reply_size, b"\x00"), addr)


class _Lean(asyncio.DatagramProtocol):
    """Answers as cheaply as the echo: every reply is built in advance, one per message id.

    The hub's compact JSON starts ``{"id":1234,``, so decrypting the first AES block (one
    ECB block XOR the IV) gives the id; the packet is not verified and nothing else is
    decrypted. All lean devices share a device id, a token and a frozen clock.
    """

    def __init__(self, replies: list[bytes]) -> None:
        token = bytes.fromhex(TOKEN)
        key = hashlib.md5(token).digest()  # noqa: S324 - the miIO wire format
        iv = hashlib.md5(key + token).digest()  # noqa: S324
        self.block = Cipher(algorithms.AES(key), modes.ECB()).decryptor()  # noqa: S305
        self.iv = int.from_bytes(iv, "big")
        self.replies = replies
        self.udp: Any = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.udp = transport

    def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
        if len(data) == 32:
            self.udp.sendto(self.replies[0], addr)
            return
        first = int.from_bytes(self.block.update(data[32:48]), "big") ^ self.iv
        head = first.to_bytes(16, "big")
        self.udp.sendto(self.replies[int(head[6 : head.index(b",")])], addr)


def lean_replies(legacy: bool = False) -> list[bytes]:
    result: list[Any] = [
        {"did": "1", "siid": 2, "piid": p, "code": 0, "value": 1} for p in range(1, 16)
    ]
    if legacy:
        result = LEGACY_VALUES
    replies = [codec.build_hello_reply(1, 1000)]
    replies += [codec.build(TOKEN, 1, 1000, {"id": i, "result": result}) for i in range(1, 10000)]
    return replies


async def serve(kind: str, manifest: Path, count: int, size: int) -> None:
    loop = asyncio.get_running_loop()
    entries, servers = [], []
    replies = lean_replies(kind == "lean-legacy") if kind.startswith("lean") else []
    for i in range(count):
        host = ECHO_HOST if kind == "echo" else str(ipaddress.ip_address(LEAN_HOSTS) + i)
        sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
        sock.bind((host, 0))
        protocol = _Echo(size) if kind == "echo" else _Lean(replies)
        udp, _ = await loop.create_datagram_endpoint(lambda p=protocol: p, sock=sock)  # type: ignore[misc]
        servers.append(udp)
        entries.append({"host": host, "port": sock.getsockname()[1], "token": TOKEN})
    await asyncio.to_thread(manifest.write_text, json.dumps(entries))
    stop = asyncio.Event()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    await stop.wait()
    for udp in servers:
        udp.close()


@contextlib.asynccontextmanager
async def devices(command: list[str], manifest: Path) -> AsyncIterator[list[dict[str, Any]]]:
    process = await asyncio.create_subprocess_exec(*command, cwd=ROOT)
    try:
        for _ in range(1200):
            if await asyncio.to_thread(_ready, manifest):
                break
            if process.returncode is not None:
                raise RuntimeError(f"{command[:3]} exited with {process.returncode}")
            await asyncio.sleep(0.05)
        await asyncio.sleep(0.2)
        yield json.loads(await asyncio.to_thread(manifest.read_text))
    finally:
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        await process.wait()


def _ready(manifest: Path) -> bool:
    return manifest.exists() and manifest.stat().st_size > 0


def helper(
    kind: str, workdir: Path, count: int, size: int = 0, model: str = MODEL
) -> tuple[list[str], Path]:
    manifest = workdir / f"{kind}-{count}-{time.monotonic_ns()}.json"
    if kind == "sim":
        command = [
            sys.executable, "-m", "firmware_sim", "--count", str(count), "--models", model,
            "--host-base", SIM_HOSTS, "--port", "0", "--tick", "10", "--manifest",
            str(manifest), "--quiet",
        ]  # fmt: skip
    else:
        command = [sys.executable, __file__, "--serve", kind, str(manifest), str(count), str(size)]
    return command, manifest


# ---- the run ------------------------------------------------------------------------------


async def echo_client(address: tuple[str, int], size: int, lanes: int) -> tuple[list[Call], Any]:
    loop = asyncio.get_running_loop()
    waiting: dict[int, asyncio.Future[None]] = {}

    class Client(asyncio.DatagramProtocol):
        def datagram_received(self, data: bytes, addr: tuple[str, int]) -> None:
            future = waiting.pop(struct.unpack_from(">Q", data)[0], None)
            if future is not None and not future.done():
                future.set_result(None)

    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, BUFFER)
    sock.bind(("127.0.0.1", 0))
    udp, _ = await loop.create_datagram_endpoint(Client, sock=sock)
    sequence = iter(range(1 << 62))

    async def call(lane: int) -> None:
        seq = next(sequence)
        future: asyncio.Future[None] = loop.create_future()
        waiting[seq] = future
        udp.sendto(struct.pack(">Q", seq).ljust(size, b"\x01"), address)
        async with asyncio.timeout(POLICY.timeout):
            await future

    return [call] * lanes, udp


HEADER = (
    "| path | devices | round trips | errors | retries | p50 ms | p99 ms | per s | hub CPU µs |"
)


async def run(counts: list[int], rounds: int, window: float, period: float) -> None:
    props = [(p.siid, p.piid) for p in load_spec(MODEL).properties() if p.readable][:15]
    results: list[Result] = []
    legacy: list[Result] = []
    polls: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        workdir = Path(tmp)
        async with MiioTransport(("127.0.0.1", 0), policy=POLICY) as transport:

            def retries() -> int:
                return transport.stats.retries

            async def hub_calls(manifest: list[dict[str, Any]]) -> list[Call]:
                sessions = [transport.session(d["host"], d["token"], d["port"]) for d in manifest]
                await asyncio.gather(*(get_properties(s, props) for s in sessions))  # hello, warm

                def call_for(session: MiioSession) -> Call:
                    async def call(lane: int) -> None:
                        await get_properties(session, props)

                    return call

                return [call_for(s) for s in sessions]

            async def legacy_calls(manifest: list[dict[str, Any]]) -> list[Call]:
                table = load_table(LEGACY_MODEL)
                pairs = [
                    (transport.session(d["host"], d["token"], d["port"]), LegacyDialect(table))
                    for d in manifest
                ]
                for session, dialect in pairs:  # hello, warm; a failure shows in the errors
                    with contextlib.suppress(DeviceError):
                        await dialect.read(session)

                def call_for(session: MiioSession, dialect: LegacyDialect) -> Call:
                    async def call(lane: int) -> None:
                        await dialect.read(session)

                    return call

                return [call_for(s, d) for s, d in pairs]

            async def poll(path: str, calls: list[Call]) -> None:
                schedules: tuple[tuple[float | str | None, str], ...] = (
                    (None, "a task per device"),
                    (1.0, "one 1 s ticker"),
                    ("hub", "the hub's PollScheduler"),
                )
                for tick, schedule in schedules:
                    share, n, errors = await polling(calls, period, window, tick)
                    polls.append(
                        f"| {path} | {schedule} | {len(calls)} | {n} | {errors} | "
                        f"{share * 100:.2f} % |"
                    )

            for count in counts:
                lanes = rounds * 100 if count == 1 else rounds
                last = count == max(counts)
                async with devices(*helper("sim", workdir, count)) as manifest:
                    sim_calls = await hub_calls(manifest)
                    sizes = await _packet_sizes(transport.session(**_address(manifest[0])), props)
                    async with devices(*helper("echo", workdir, 1, sizes[1])) as echo:
                        address = (echo[0]["host"], echo[0]["port"])
                        calls, udp = await echo_client(address, sizes[0], count)
                        results.append(await closed_loop("bare UDP echo (floor)", calls, lanes))
                        if last:
                            await poll("bare UDP echo (floor)", calls)
                        udp.close()
                    async with devices(*helper("lean", workdir, count)) as lean:
                        lean_calls = await hub_calls(lean)
                        path = "hub -> lean responder"
                        results.append(await closed_loop(path, lean_calls, lanes, retries))
                    path = "hub -> firmware_sim"
                    results.append(await closed_loop(path, sim_calls, lanes, retries))
                    if last:
                        await poll(path, sim_calls)
                async with devices(*helper("lean-legacy", workdir, count)) as responders:
                    path = "hub -> lean responder, legacy get_prop"
                    calls = await legacy_calls(responders)
                    legacy.append(await closed_loop(path, calls, lanes, retries))
                async with devices(*helper("sim", workdir, count, model=LEGACY_MODEL)) as sims:
                    path = f"hub -> firmware_sim {LEGACY_MODEL}, legacy get_prop"
                    calls = await legacy_calls(sims)
                    legacy.append(await closed_loop(path, calls, lanes, retries))
    print(f"get_properties of {len(props)} properties: request {sizes[0]} B, reply {sizes[1]} B\n")
    print(HEADER)
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(result.row() for result in results))
    print(f"\nLegacy miIO: get_prop of {len(LEGACY_VALUES)} names ({LEGACY_MODEL}'s table):\n")
    print(HEADER)
    print("|---|---|---|---|---|---|---|---|---|")
    print("\n".join(result.row() for result in legacy))
    print(f"\nPolling every {period:g} s, CPU of this process over {window:g} s:\n")
    print("| path | schedule | devices | polls | errors | CPU of one core |")
    print("|---|---|---|---|---|---|")
    print("\n".join(polls), end="\n\n")
    for i in range(0, len(results), 3):
        floor, to_lean, to_sim = results[i : i + 3]
        base = floor.quantile(0.5)
        print(
            f"N={floor.devices}: p50 / floor p50: hub -> lean responder "
            f"{to_lean.quantile(0.5) / base:.1f}x, "
            f"hub -> firmware_sim {to_sim.quantile(0.5) / base:.1f}x"
        )


def _address(entry: dict[str, Any]) -> dict[str, Any]:
    return {"host": entry["host"], "token": entry["token"], "port": entry["port"]}


async def _packet_sizes(session: MiioSession, props: list[tuple[int, int]]) -> tuple[int, int]:
    result = await get_properties(session, props)
    did, stamp = session.device_id, session.stamp
    items = [{"did": str(did), "siid": s, "piid": p} for s, p in props]
    request = {"id": 9999, "method": "get_properties", "params": items}
    reply = {"id": 9999, "result": result}
    return len(codec.build(TOKEN, did, stamp, request)), len(codec.build(TOKEN, did, stamp, reply))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--counts", default="1,100,1000")
    parser.add_argument("--rounds", type=int, default=20, help="round trips per device")
    parser.add_argument("--window", type=float, default=20.0, help="polling window, seconds")
    parser.add_argument("--period", type=float, default=10.0, help="poll period, seconds")
    parser.add_argument("--serve", nargs=4, metavar=("KIND", "MANIFEST", "COUNT", "SIZE"))
    args = parser.parse_args()
    if args.serve:
        kind, manifest, count, size = args.serve
        asyncio.run(serve(kind, Path(manifest), int(count), int(size)))
    else:
        counts = [int(c) for c in args.counts.split(",")]
        asyncio.run(run(counts, args.rounds, args.window, args.period))


if __name__ == "__main__":
    main()
