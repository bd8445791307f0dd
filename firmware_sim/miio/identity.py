"""Who a simulated device is: device id, token, MAC, firmware, and its clock since boot."""

from __future__ import annotations

import datetime
import secrets
import struct
import time
from dataclasses import dataclass, field
from typing import Any

from miio.protocol import Message

HELLO_HEADER = struct.Struct(">HHIII")


@dataclass
class Identity:
    model: str
    host: str
    port: int = 54321
    did: int = field(default_factory=lambda: secrets.randbelow(2**31 - 1) + 1)
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    mac: str = field(
        default_factory=lambda: "54:48:E6:" + ":".join(f"{b:02X}" for b in secrets.token_bytes(3))
    )
    fw_ver: str = "2.1.8_0049"
    booted_at: float = field(default_factory=time.monotonic)

    @property
    def stamp(self) -> int:
        """Seconds since boot: what the device puts in every packet."""
        return int(time.monotonic() - self.booted_at)

    def stamp_datetime(self) -> datetime.datetime:
        return datetime.datetime.fromtimestamp(self.stamp, datetime.UTC).replace(tzinfo=None)

    def reboot(self) -> None:
        self.booted_at = time.monotonic()

    def hello_reply(self) -> bytes:
        """32 bytes: header with our id and stamp; the token masked as all ff."""
        return HELLO_HEADER.pack(0x2131, 32, 0, self.did, self.stamp) + b"\xff" * 16

    def packet(self, payload: dict[str, Any]) -> bytes:
        """A packet from this device: our id and stamp, encrypted with our token."""
        header = {
            "length": 0,
            "unknown": 0,
            "device_id": self.did.to_bytes(4, "big"),
            "ts": self.stamp_datetime(),
        }
        msg = {"data": {"value": payload}, "header": {"value": header}, "checksum": 0}
        return bytes(Message.build(msg, token=bytes.fromhex(self.token)))

    def info(self) -> dict[str, Any]:
        return {
            "life": self.stamp,
            "model": self.model,
            "token": "ffffffffffffffffffffffffffffffff",
            "ipflag": 1,
            "fw_ver": self.fw_ver,
            "mcu_fw_ver": "0001",
            "miio_ver": "0.0.9",
            "hw_ver": "esp32",
            "mmfree": 31472,
            "mac": self.mac,
            "wifi_fw_ver": "v3.3.0",
            "ap": {"ssid": "mihub-sim", "bssid": "C8:3A:35:00:00:01", "rssi": -48, "primary": 6},
            "netif": {"localIp": self.host, "mask": "255.255.255.0", "gw": "127.0.0.1"},
        }
