"""Who a simulated device is: device id, token, MAC, firmware, and its clock since boot.

Packets are built with python-miio's construct codec (``miio.protocol.Message``): header
magic 0x2131, length, unknown, device id, stamp, MD5 checksum over header + token + payload,
AES-128-CBC payload (key MD5(token), iv MD5(key + token)).
"""

from __future__ import annotations

import datetime
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from miio.protocol import Message

HELLO_HEADER = struct.Struct(">HHIII")
MAGIC = 0x2131
XIAOMI_OUI = "54:48:E6"


def new_token() -> str:
    return secrets.token_hex(16)


def new_did() -> int:
    return secrets.randbelow(2**31 - 2) + 1


def new_mac() -> str:
    return XIAOMI_OUI + ":" + ":".join(f"{b:02X}" for b in secrets.token_bytes(3))


@dataclass(slots=True)
class Identity:
    model: str
    host: str
    port: int = 54321
    did: int = field(default_factory=new_did)
    token: str = field(default_factory=new_token)
    mac: str = field(default_factory=new_mac)
    fw_ver: str = "1.0.0_0001"
    hw_ver: str = "esp32"
    booted_at: float = field(default_factory=time.monotonic)
    """``time.monotonic()`` at the last boot; the stamp counts from it."""
    provisioned: bool = True
    """False: factory-reset, on its own access point, telling its token to anyone who says
    hello, until ``miIO.config_router`` gives it a home network."""
    ssid: str = "mihub-sim"
    """The network it has joined (its own access point's name while unprovisioned)."""
    uid: int = 0
    """The account id ``miIO.config_router`` bound it to (0: none)."""
    _key: bytes = field(default=b"", init=False, repr=False, compare=False)
    _key_of: str = field(default="", init=False, repr=False, compare=False)

    @property
    def stamp(self) -> int:
        """Seconds since boot: what the device puts in every packet."""
        return int(time.monotonic() - self.booted_at)

    @property
    def token_bytes(self) -> bytes:
        if self._key_of != self.token:  # cached: every packet needs it
            self._key, self._key_of = bytes.fromhex(self.token), self.token
        return self._key

    def reboot(self) -> None:
        self.booted_at = time.monotonic()

    def hello_reply(self) -> bytes:
        """32 bytes: header with our id and stamp, then the token in the clear while
        unprovisioned (as real firmware on its own access point does), else all ff."""
        checksum = self.token_bytes if not self.provisioned else b"\xff" * 16
        return HELLO_HEADER.pack(MAGIC, 32, 0, self.did, self.stamp) + checksum

    def join(self, ssid: str, uid: int) -> None:
        """``miIO.config_router`` was accepted: from now on the token stays masked."""
        self.provisioned, self.ssid, self.uid = True, ssid, uid

    def packet(self, payload: dict[str, Any]) -> bytes:
        """A packet from this device: our id and stamp, encrypted with our token."""
        stamp = datetime.datetime.fromtimestamp(self.stamp, datetime.UTC).replace(tzinfo=None)
        header = {
            "length": 0,
            "unknown": 0,
            "device_id": self.did.to_bytes(4, "big"),
            "ts": stamp,
        }
        msg = {"data": {"value": payload}, "header": {"value": header}, "checksum": 0}
        return bytes(Message.build(msg, token=self.token_bytes))

    def info(self) -> dict[str, Any]:
        """The ``miIO.info`` result, shaped like a provisioned device's (no token in it)."""
        return {
            "life": self.stamp,
            "model": self.model,
            "ipflag": 1,
            "fw_ver": self.fw_ver,
            "hw_ver": self.hw_ver,
            "mcu_fw_ver": "0001",
            "miio_ver": "0.0.9",
            "mmfree": 31472,
            "mac": self.mac,
            "wifi_fw_ver": "v3.3.0",
            "cfg_time": 0,
            "ot": "otu",
            "otu_stat": [101, 74, 5343, 0, 5327, 407],
            "ott_stat": [0, 0, 0, 0],
            "ap": {"ssid": self.ssid, "bssid": "C8:3A:35:00:00:01", "rssi": -48, "primary": 6},
            "netif": {"localIp": self.host, "mask": "255.255.255.0", "gw": "127.0.0.1"},
        }
