"""miIO packets: bytes <-> messages, with python-miio's codec. Pure: no I/O, no clock.

Layout: magic 0x2131, length, unknown, device id, stamp (each big-endian), a 16-byte checksum
MD5(header[0:16] + token + ciphertext), then the JSON payload encrypted with AES-128-CBC,
key = MD5(token), iv = MD5(key + token). Any byte string gives a message or a typed error.
"""

from __future__ import annotations

import hashlib
import json
import struct
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from miio.protocol import Utils

from hub.errors import DeviceAuthError, ProtocolError

MAGIC = 0x2131
HEADER = struct.Struct(">HHIII")
HELLO = bytes.fromhex("21310020" + "ff" * 28)


@dataclass(frozen=True, slots=True)
class Hello:
    device_id: int
    stamp: int


@dataclass(frozen=True, slots=True)
class Packet:
    device_id: int
    stamp: int
    payload: dict[str, Any]


class BadPacket(ProtocolError):
    """Not a miIO packet: bad magic, bad length, undecryptable or not JSON."""


class ChecksumMismatch(DeviceAuthError):
    """The checksum does not verify with our token: the token is wrong."""


@lru_cache(maxsize=4096)
def _token(token_hex: str) -> bytes:
    token = bytes.fromhex(token_hex)
    if len(token) != 16:
        raise ValueError("a miIO token is 16 bytes (32 hex digits)")
    return token


def build(token_hex: str, device_id: int, stamp: int, payload: dict[str, Any]) -> bytes:
    token = _token(token_hex)
    plain = json.dumps(payload, separators=(",", ":")).encode() + b"\x00"
    cipher = Utils.encrypt(plain, token)
    header = HEADER.pack(MAGIC, 32 + len(cipher), 0, device_id, stamp)
    checksum = hashlib.md5(header + token + cipher).digest()  # noqa: S324 - the wire format
    return header + checksum + cipher


def parse_hello(data: bytes) -> Hello | None:
    """A 32-byte hello (request or reply) -> its device id and stamp; None if not a hello."""
    if len(data) != 32:
        return None
    magic, length, _, device_id, stamp = HEADER.unpack_from(data)
    if magic != MAGIC or length != 32:
        return None
    return Hello(device_id, stamp)


def parse(token_hex: str, data: bytes) -> Packet:
    """Verify and decrypt a packet; raises BadPacket or ChecksumMismatch."""
    if len(data) < 32:
        raise BadPacket(f"a miIO packet has a 32-byte header; got {len(data)} bytes")
    magic, length, _, device_id, stamp = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadPacket(f"bad magic 0x{magic:04x}")
    if length != len(data):
        raise BadPacket(f"length field says {length} bytes; got {len(data)}")
    cipher = data[32:]
    if not cipher:
        raise BadPacket("packet has no payload")
    token = _token(token_hex)
    expected = hashlib.md5(data[:16] + token + cipher).digest()  # noqa: S324 - the wire format
    if expected != data[16:32]:
        raise ChecksumMismatch("checksum mismatch: the token is wrong")
    try:
        plain = Utils.decrypt(cipher, token)
    except ValueError as exc:
        raise BadPacket(f"payload does not decrypt: {exc}") from exc
    try:
        payload = json.loads(plain.rstrip(b"\x00").decode())
    except (UnicodeDecodeError, ValueError) as exc:
        raise BadPacket(f"payload is not JSON: {exc}") from exc
    if not isinstance(payload, dict):
        raise BadPacket("payload is not a JSON object")
    return Packet(device_id, stamp, payload)
