"""A virtual LAN of network namespaces: one switch (a bridge), hosts joined by veth pairs.

Everything lives inside namespaces this test creates, so real broadcast and real mDNS
multicast can run without a packet reaching the machine's own network. Needs root and
iproute2; ``VirtualLan.available()`` says whether this machine can do it.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

SUBNET = "10.213.{lan}.{host}"


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True)


@dataclass
class Host:
    name: str
    netns: str
    address: str
    broadcast: str
    processes: list[asyncio.subprocess.Process] = field(default_factory=list)

    async def spawn(self, *argv: str, **env: str) -> asyncio.subprocess.Process:
        """Start a command inside this host's namespace; the LAN stops it on exit."""
        proc = await asyncio.create_subprocess_exec(
            "ip",
            "netns",
            "exec",
            self.netns,
            *argv,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            env={**os.environ, **env},
        )
        self.processes.append(proc)
        return proc

    async def python(self, *args: str) -> asyncio.subprocess.Process:
        return await self.spawn(sys.executable, *args)


class VirtualLan:
    """``async with VirtualLan() as lan: hub = lan.add_host("hub")`` (addresses 10.213.x.y/24).

    Two LANs at once need their own ``name`` (a letter or two); ``prefix`` ("192.168.13")
    gives a LAN its own /24, since no packet leaves the namespaces.
    """

    def __init__(self, name: str = "", prefix: str | None = None) -> None:
        self.tag = f"{name}{os.getpid() % 10000}"
        self.lan = os.getpid() % 200 + 20
        self.prefix = prefix or SUBNET.format(lan=self.lan, host="").rstrip(".")
        self.switch = f"mhsw{self.tag}"
        self.hosts: list[Host] = []

    @staticmethod
    def available() -> str | None:
        """None when namespaces can be made here, else the reason they cannot."""
        if os.geteuid() != 0:
            return "network namespaces need root"
        if shutil.which("ip") is None:
            return "iproute2 ('ip') is not installed"
        if not Path("/var/run/netns").exists() and not os.access("/var/run", os.W_OK):
            return "cannot create /var/run/netns"
        return None

    async def __aenter__(self) -> VirtualLan:
        await asyncio.to_thread(self._make_switch)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        for host in self.hosts:
            for proc in host.processes:
                if proc.returncode is None:
                    proc.terminate()
                    try:
                        await asyncio.wait_for(proc.wait(), 5)
                    except TimeoutError:
                        proc.kill()
                        await proc.wait()
        await asyncio.to_thread(self._teardown)

    def _make_switch(self) -> None:
        _ip("netns", "add", self.switch)
        _ip("-n", self.switch, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.switch, "link", "set", "br0", "up")
        _ip("-n", self.switch, "link", "set", "lo", "up")

    def add_host(self, name: str, number: int | None = None) -> Host:
        """A host at ``<prefix>.<number>`` (default: the next free from .2)."""
        index = len(self.hosts) + 1
        netns = f"mh{name[:6]}{self.tag}"
        address = f"{self.prefix}.{number if number is not None else index + 1}"
        broadcast = f"{self.prefix}.255"
        port = f"p{index}-{self.tag}"
        _ip("netns", "add", netns)
        _ip(
            "link",
            "add",
            "eth0",
            "netns",
            netns,
            "type",
            "veth",
            "peer",
            port,
            "netns",
            self.switch,
        )
        _ip("-n", self.switch, "link", "set", port, "master", "br0")
        _ip("-n", self.switch, "link", "set", port, "up")
        _ip("-n", netns, "addr", "add", f"{address}/24", "broadcast", broadcast, "dev", "eth0")
        _ip("-n", netns, "link", "set", "eth0", "up")
        _ip("-n", netns, "link", "set", "lo", "up")
        _ip("-n", netns, "route", "add", "224.0.0.0/4", "dev", "eth0")
        host = Host(name, netns, address, broadcast)
        self.hosts.append(host)
        return host

    def join(self, host: Host, number: int, device: str = "eth1") -> str:
        """Give ``host``, a host of another LAN, a second interface on this one (as a Pi with
        Ethernet at home and its Wi-Fi on a device's access point); its address here. The
        pair goes when either namespace does."""
        port = f"j{len(self.hosts) + 1}-{self.tag}"
        address = f"{self.prefix}.{number}"
        _ip("link", "add", device, "netns", host.netns, "type", "veth", "peer", port,
            "netns", self.switch)  # fmt: skip
        _ip("-n", self.switch, "link", "set", port, "master", "br0")
        _ip("-n", self.switch, "link", "set", port, "up")
        _ip("-n", host.netns, "addr", "add", f"{address}/24", "broadcast",
            f"{self.prefix}.255", "dev", device)  # fmt: skip
        _ip("-n", host.netns, "link", "set", device, "up")
        return address

    def _teardown(self) -> None:
        for netns in [h.netns for h in self.hosts] + [self.switch]:
            subprocess.run(["ip", "netns", "del", netns], check=False, capture_output=True)
