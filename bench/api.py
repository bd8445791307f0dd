"""The API under load (issue 5, section 6).

Everything runs on loopback, each part in its own process:

- a simulated fleet of 100 miIO devices (``python -m firmware_sim``: purifiers, lights and
  cameras round-robin, real UDP, real AES);
- the whole hub (``hub.app.Hub``: store, registry, miIO runtime, automations, API), with every
  device onboarded and online before anything is measured;
- a bare aiohttp handler returning a small JSON, the floor; and, for reference, the same bare
  server answering a prebuilt JSON body as large as the hub's device list (what moving that
  many bytes costs, with no work at all);
- the load: ``wrk`` when installed (one thread, 16 keep-alive connections), else an aiohttp
  client process.

1. Requests per second of ``GET /api/devices`` (100 devices, every feature with its value)
   next to the bare handler, rounds alternating, best round of each kept; once as ``curl``
   asks (no compression) and once as a browser asks (``Accept-Encoding: gzip``). Target: the
   device list at >= 0.5 x the bare handler.
2. Command round trip: ``POST /api/devices/{light}/commands`` to one simulated Yeelight, one
   request at a time (a phone tapping), brightness alternating so every command is a real
   change confirmed by the light's read-back; requests/s, latency, and the answers' status.
3. WebSocket fan-out: 50 clients subscribe to state changes; the hub's registry reports 1,000
   changes per second (ticks of 10 ms) for 10 s; every client must receive every change, in
   order, with nothing dropped; the hub's CPU and the delivery delay are reported too.

    .venv/bin/python bench/api.py [--rounds 3] [--seconds 5] [--devices 100] [--clients 50]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
MODELS = "zhimi.airpurifier.mb3,yeelink.light.color2,chuangmi.camera.ipc019"
CONNECTIONS = 16


# ---- the servers (each in its own process) ----------------------------------------------------


async def serve_bare() -> None:
    from aiohttp import web

    async def small(request: web.Request) -> web.Response:
        return web.json_response({"status": "ok", "version": "0.1.0"})

    bodies: dict[int, bytes] = {}

    async def sized(request: web.Request) -> web.Response:
        """A prebuilt JSON body of the asked size: what sending that many bytes costs."""
        size = int(request.match_info["size"])
        body = bodies.get(size) or bodies.setdefault(size, b'{"pad":"' + b"x" * (size - 10) + b'"}')
        return web.Response(body=body, content_type="application/json")

    app = web.Application()
    app.router.add_get("/", small)
    app.router.add_get("/sized/{size}", sized)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    print(json.dumps({"port": runner.addresses[0][1]}), flush=True)
    await _read_line()  # until stdin closes
    await runner.cleanup()


async def serve_hub(devices: int) -> None:
    """The whole hub against a simulated fleet; stdin lines ``publish RATE SECONDS`` drive the
    fan-out, end of input stops it."""
    from hub.app import Hub
    from hub.config import Config

    with tempfile.TemporaryDirectory(prefix="mihub-bench-api-") as tmp:
        manifest = Path(tmp) / "manifest.json"
        fleet = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "firmware_sim", "--count", str(devices), "--models", MODELS,
            "--host-base", "127.0.2.10", "--manifest", str(manifest), "--quiet",
        )  # fmt: skip
        try:
            while not manifest.exists():  # noqa: ASYNC110 - a benchmark polling a file
                await asyncio.sleep(0.1)
            entries = json.loads(manifest.read_text())
            config = Config.model_validate({
                "hub": {"id": "bench", "data_dir": tmp},
                "api": {"host": "127.0.0.1", "port": 0},
                "miio": {"bind": "127.0.0.1", "devices": [
                    {"host": e["host"], "token": e["token"], "room": f"Room {i % 8}"}
                    for i, e in enumerate(entries)]},
            })  # fmt: skip
            async with Hub(config) as hub:
                registry = hub.registry
                while _online(registry) < devices:  # noqa: ASYNC110 - polling, as a phone would
                    await asyncio.sleep(0.1)
                await asyncio.sleep(2)  # the first polls and push subscriptions settle
                token = await hub.auth.issue("bench", ["read", "control", "admin"])
                ids = sorted(registry.devices, key=lambda d: registry.get(d).name)
                light = next(d for d in ids if registry.get(d).model == "yeelink.light.color2")
                publisher = next(d for d in ids if registry.get(d).model.startswith("zhimi"))
                print(json.dumps({"port": int(hub.api_url.rsplit(":", 1)[1].strip("/")),
                                  "token": token, "light": light, "devices": len(ids),
                                  "publisher": publisher}), flush=True)  # fmt: skip
                while line := (await _read_line()).split():
                    rate, seconds = float(line[1]), float(line[2])
                    await _publish(registry, publisher, rate, seconds)
                    print("published", flush=True)
        finally:
            fleet.terminate()
            await fleet.wait()


def _online(registry: Any) -> int:
    return sum(d.availability == "online" for d in registry.devices.values())


async def _read_line() -> str:
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


async def _publish(registry: Any, device: str, rate: float, seconds: float) -> None:
    """``rate`` state changes per second, in ticks of 10 ms, like a busy home."""
    loop = asyncio.get_running_loop()
    per_tick = max(1, round(rate / 100))
    total, sequence, started = int(rate * seconds), 0, loop.time()
    while sequence < total:
        for _ in range(min(per_tick, total - sequence)):
            registry.update(device, {"bench": sequence})
            sequence += 1
        await asyncio.sleep(max(0.0, started + sequence / rate - loop.time()))


# ---- load generators ------------------------------------------------------------------------


def wrk(url: str, token: str, seconds: int, encoding: str) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
        script.write(f'wrk.headers["Accept-Encoding"] = "{encoding}"\n')
    command = ["wrk", "-t1", f"-c{CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name,
               url]  # fmt: skip
    output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    Path(script.name).unlink()
    found = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if found is None or "Non-2xx" in output:
        raise RuntimeError(f"wrk failed against {url}:\n{output}")
    latency = dict(re.findall(r"\s+(50|99)%\s+([\d.]+\w+)", output))
    return {"rps": float(found.group(1)), "p50": _ms(latency["50"]), "p99": _ms(latency["99"])}


def _ms(text: str) -> float:
    found = re.match(r"([\d.]+)(\w+)", text)
    assert found is not None
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[found.group(2)]


async def client_load(
    url: str, token: str, seconds: float, connections: int, body: str, encoding: str
) -> None:
    """The aiohttp load generator: ``connections`` keep-alive loops, this process only.

    With a body template, each request POSTs it with ``{value}`` alternating 40 / 60."""
    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json",
               "Accept-Encoding": encoding}  # fmt: skip
    latencies: list[float] = []
    answers: dict[str, int] = {}
    deadline = time.perf_counter() + seconds
    connector = aiohttp.TCPConnector(limit=connections)
    async with aiohttp.ClientSession(headers=headers, connector=connector) as session:

        async def loop() -> None:
            sent = 0
            while time.perf_counter() < deadline:
                began = time.perf_counter()
                if body:
                    data = body.replace("{value}", "40" if sent % 2 else "60")
                    async with session.post(url, data=data) as response:
                        answer = await response.json()
                    status = answer.get("status") or f"HTTP {response.status}"
                    answers[status] = answers.get(status, 0) + 1
                else:
                    async with session.get(url) as response:
                        await response.read()
                        if response.status != 200:
                            raise RuntimeError(f"{url} answered {response.status}")
                latencies.append(time.perf_counter() - began)
                sent += 1

        await asyncio.gather(*(loop() for _ in range(connections)))
    latencies.sort()
    print(json.dumps({"rps": len(latencies) / seconds, "answers": answers,
                      "p50": latencies[len(latencies) // 2] * 1000,
                      "p99": latencies[int(len(latencies) * 0.99)] * 1000}))  # fmt: skip


def load(url: str, token: str, seconds: int, connections: int = CONNECTIONS, body: str = "",
         encoding: str = "identity") -> dict[str, Any]:  # fmt: skip
    if shutil.which("wrk") and not body:
        return wrk(url, token, seconds, encoding)
    args = [sys.executable, __file__, "--load", url, "--token", token, "--seconds", str(seconds),
            "--connections", str(connections), "--body", body, "--encoding", encoding]  # fmt: skip
    output = subprocess.run(args, capture_output=True, text=True, check=True).stdout
    return dict(json.loads(output))


# ---- WebSocket fan-out ------------------------------------------------------------------------


async def ws_clients(base: str, token: str, count: int, device: str, expect: int) -> None:
    """``count`` phones on one WebSocket each, every state change of every device subscribed;
    each counts the benchmark's changes, checks their order, and notes the delay."""
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session:
        sockets = [await session.ws_connect(base + "/api/events") for _ in range(count)]
        for ws in sockets:
            await ws.receive()  # hello
            await ws.send_str('{"subscribe": ["state"]}')
        await asyncio.sleep(0.5)
        print("ready", flush=True)

        async def read(ws: aiohttp.ClientWebSocketResponse) -> dict[str, Any]:
            got, last, gaps, dropped, delays = 0, -1, 0, 0, []
            while got < expect:
                try:
                    message = await ws.receive(timeout=5)
                except TimeoutError:
                    break
                event = json.loads(message.data)
                if event["type"] == "stats":
                    dropped = event["dropped"]
                    continue
                if event.get("device") != device or event.get("feature") != "bench":
                    continue
                got += 1
                gaps += event["value"] != last + 1
                last = event["value"]
                if got % 10 == 0:
                    delays.append(time.time() - event["at"])
            return {"got": got, "gaps": gaps, "dropped": dropped, "delays": delays}

        results = await asyncio.gather(*(read(ws) for ws in sockets))
        for ws in sockets:
            await ws.close()
    delays = sorted(d for r in results for d in r["delays"])
    print(json.dumps({
        "received_min": min(r["got"] for r in results),
        "received_max": max(r["got"] for r in results),
        "received": sum(r["got"] for r in results),
        "gaps": sum(r["gaps"] for r in results), "dropped": sum(r["dropped"] for r in results),
        "p50_ms": delays[len(delays) // 2] * 1000, "p99_ms": delays[int(len(delays) * 0.99)] * 1000,
    }))  # fmt: skip


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def fanout(hub: subprocess.Popen[str], info: dict[str, Any], args: argparse.Namespace) -> None:
    base, token = f"http://127.0.0.1:{info['port']}", info["token"]
    expect = args.rate * args.fanout_seconds
    command = [
        sys.executable,
        __file__,
        "--ws",
        base,
        "--token",
        token,
        "--clients",
        str(args.clients),
        "--device",
        info["publisher"],
        "--expect",
        str(expect),
    ]
    clients = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert clients.stdout is not None
    assert hub.stdin is not None
    assert hub.stdout is not None
    if clients.stdout.readline().strip() != "ready":
        raise RuntimeError("the WebSocket clients did not connect")
    cpu, began = cpu_seconds(hub.pid), time.perf_counter()
    hub.stdin.write(f"publish {args.rate} {args.fanout_seconds}\n")
    hub.stdin.flush()
    if hub.stdout.readline().strip() != "published":
        raise RuntimeError("the hub did not publish")
    took, cpu = time.perf_counter() - began, cpu_seconds(hub.pid) - cpu
    result = json.loads(clients.stdout.readline())
    clients.wait(30)
    stats = asyncio.run(_get(f"{base}/api/system/stats", token))
    lost = expect * args.clients - result["received"]
    print(f"fan-out: {args.clients} clients x {expect} changes in {took:.2f} s "
          f"({expect / took:.0f}/s): each received {result['received_min']}.."
          f"{result['received_max']}, out of order {result['gaps']}, dropped "
          f"{stats['websocket_dropped']} (hub) / {result['dropped']} (told), lost {lost}; "
          f"delay p50 {result['p50_ms']:.1f} ms, p99 {result['p99_ms']:.1f} ms; "
          f"hub CPU {100 * cpu / took:.0f} % of a core")  # fmt: skip


async def _get_bytes(url: str, token: str) -> bytes:
    headers = {"Authorization": f"Bearer {token}", "Accept-Encoding": "identity"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        return await response.read()


async def _get(url: str, token: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"}
    async with aiohttp.ClientSession(headers=headers) as session, session.get(url) as response:
        return dict(await response.json())


# ---- the run ------------------------------------------------------------------------------------


def start(*args: str) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen([sys.executable, __file__, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise RuntimeError(f"{' '.join(args)} did not start")
    return process, json.loads(line)


def stop(process: subprocess.Popen[str]) -> None:
    assert process.stdin is not None
    with contextlib.suppress(BrokenPipeError):
        process.stdin.close()
    try:
        process.wait(30)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=5)
    parser.add_argument("--devices", type=int, default=100)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--rate", type=int, default=1000)
    parser.add_argument("--fanout-seconds", type=int, default=10)
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--load", help=argparse.SUPPRESS)
    parser.add_argument("--ws", help=argparse.SUPPRESS)
    parser.add_argument("--token", default="", help=argparse.SUPPRESS)
    parser.add_argument("--connections", type=int, default=CONNECTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--body", default="", help=argparse.SUPPRESS)
    parser.add_argument("--encoding", default="identity", help=argparse.SUPPRESS)
    parser.add_argument("--device", default="", help=argparse.SUPPRESS)
    parser.add_argument("--expect", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve == "bare":
        return asyncio.run(serve_bare())
    if args.serve == "hub":
        return asyncio.run(serve_hub(args.devices))
    if args.load:
        return asyncio.run(client_load(args.load, args.token, args.seconds, args.connections,
                                       args.body, args.encoding))  # fmt: skip
    if args.ws:
        return asyncio.run(ws_clients(args.ws, args.token, args.clients, args.device, args.expect))
    run(args)
    return None


def run(args: argparse.Namespace) -> None:
    generator = f"wrk -t1 -c{CONNECTIONS}" if shutil.which("wrk") else "an aiohttp client process"
    print(f"{os.cpu_count()} cores; load from {generator}; starting {args.devices} simulated "
          "devices and the hub", flush=True)  # fmt: skip
    bare, bare_info = start("--serve", "bare")
    began = time.perf_counter()
    hub, info = start("--serve", "hub", "--devices", str(args.devices))
    print(f"the hub has {info['devices']} devices online after {time.perf_counter() - began:.1f} s",
          flush=True)  # fmt: skip
    base, token = f"http://127.0.0.1:{info['port']}", info["token"]
    best: dict[str, dict[str, Any]] = {}
    try:
        bare_url = f"http://127.0.0.1:{bare_info['port']}/"
        size = len(asyncio.run(_get_bytes(f"{base}/api/devices", token)))
        print(f"the device list is {size / 1000:.0f} kB of JSON", flush=True)
        targets = {
            "bare": (bare_url, "identity"),
            "bare sized": (f"{bare_url}sized/{size}", "identity"),  # a static body that size
            "devices": (f"{base}/api/devices", "identity"),
            "devices gzip": (f"{base}/api/devices", "gzip"),  # what a browser asks for
        }
        for number in range(1, args.rounds + 1):
            for name, (url, encoding) in targets.items():
                result = load(url, token, args.seconds, encoding=encoding)
                print(
                    f"round {number} {name:12} {result['rps']:8.0f} req/s  p50 "
                    f"{result['p50']:.2f} ms  p99 {result['p99']:.2f} ms",
                    flush=True,
                )
                if result["rps"] > best.get(name, {"rps": 0})["rps"]:
                    best[name] = result
        floor = best["bare"]["rps"]
        sized = best["bare sized"]["rps"]
        print(f"best: bare {floor:.0f} req/s; a bare answer of {size / 1000:.0f} kB {sized:.0f} "
              f"req/s = {sized / floor:.2f} x bare", flush=True)  # fmt: skip
        for name, label in (("devices", "uncompressed"), ("devices gzip", "gzip")):
            ratio = best[name]["rps"] / floor
            print(f"best: GET /api/devices ({label}) {best[name]['rps']:.0f} req/s = {ratio:.2f} x "
                  f"bare, {best[name]['rps'] / sized:.2f} x the bare answer of the same size "
                  f"(target >= 0.5 x bare: {'met' if ratio >= 0.5 else 'NOT met'})",
                  flush=True)  # fmt: skip
        body = '{"feature": "brightness", "value": {value}}'
        command = load(f"{base}/api/devices/{info['light']}/commands", token, args.seconds, 1, body)
        print(f"command round trip to a simulated light, one at a time: {command['rps']:.0f} "
              f"req/s, p50 {command['p50']:.2f} ms, p99 {command['p99']:.2f} ms, answers "
              f"{command['answers']}", flush=True)  # fmt: skip
        fanout(hub, info, args)
    finally:
        stop(bare)
        stop(hub)


if __name__ == "__main__":
    main()
