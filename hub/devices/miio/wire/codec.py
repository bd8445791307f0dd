"""miIO packets: bytes <-> messages. Pure: no I/O, no clock.

Layout (python-miio's ``miio.protocol.Message``): magic 0x2131, length, unknown, device id,
stamp (each big-endian), a 16-byte checksum MD5(header[0:16] + token + ciphertext), then the
JSON payload plus a trailing NUL, encrypted with AES-128-CBC, key = MD5(token),
iv = MD5(key + token), PKCS#7 padding. A 32-byte packet with no payload is a hello.

The tests prove byte agreement with python-miio's construct ``Message`` both ways, but the hub
imports none of python-miio (its package costs 37 MB of a Raspberry Pi's memory, its construct
parser is 10x slower than the struct checks here and returns raw bytes instead of raising
when a payload does not decrypt). AES is pycryptodome's (0.4 MB resident through ctypes, where
cryptography's bindings cost 7 MB); the key and iv are derived once per token.

Any byte string gives a :class:`Message` or one of the typed errors below, never anything else.
"""

from __future__ import annotations

import hashlib
import json
import struct
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from hub.errors import DeviceAuthError, InvalidValue, ProtocolError

# pycryptodome binds its C code through cffi whenever cffi is importable (cryptography and
# argon2 install it), and cffi then parses every C declaration with pycparser as the module
# loads: ~60 ms of start-up and 1.5 MB resident here, more on a Pi. Hiding cffi for this one
# import makes it bind through ctypes, which costs the same per packet (~35 us to encrypt and
# decrypt 656 bytes either way) and 0.4 MB. A process that loaded it through cffi already keeps it.
_cffi = sys.modules.get("cffi")
sys.modules["cffi"] = None  # type: ignore[assignment]  # `import cffi` now raises ImportError
try:
    from Cryptodome.Cipher import AES
finally:
    if _cffi is None:
        del sys.modules["cffi"]
    else:
        sys.modules["cffi"] = _cffi

MAGIC = 0x2131
HEADER = struct.Struct(">HHIII")
HELLO = bytes.fromhex("21310020" + "ff" * 28)
_NO_CHECKSUM = b"\xff" * 16


@dataclass(frozen=True, slots=True)
class Message:
    """A parsed packet; ``payload`` is None for a hello."""

    device_id: int = 0
    stamp: int = 0
    payload: dict[str, Any] | None = None
    checksum: bytes = field(default=b"", compare=False)
    """A hello's 16-byte checksum field (empty for other packets): all ff from provisioned
    firmware; a factory-reset device puts its token there (see :func:`token_in_hello`)."""

    @property
    def is_hello(self) -> bool:
        return self.payload is None


class MalformedPacket(ProtocolError):
    """Not a miIO packet we can read."""


class BadMagic(MalformedPacket):
    """The first two bytes are not 0x2131."""


class BadLength(MalformedPacket):
    """Too short for a header, or the length field disagrees with the datagram."""


class Undecryptable(MalformedPacket):
    """The checksum verifies but the payload is not valid AES-CBC / PKCS#7."""


class NotJson(MalformedPacket):
    """The payload decrypts but is not a JSON object."""


class ChecksumMismatch(DeviceAuthError):
    """The checksum does not verify with our token: the token is wrong."""


@dataclass(frozen=True, slots=True)
class _Keys:
    token: bytes
    key: bytes
    iv: bytes


@lru_cache(maxsize=8192)
def _keys(token_hex: str) -> _Keys:
    try:
        token = bytes.fromhex(token_hex)
    except ValueError:
        token = b""
    if len(token) != 16:
        raise InvalidValue("a miIO token is 16 bytes: 32 hex digits")
    key = hashlib.md5(token).digest()  # noqa: S324 - the wire format
    return _Keys(token, key, hashlib.md5(key + token).digest())  # noqa: S324


def check_token(token_hex: str) -> None:
    """Raise InvalidValue unless ``token_hex`` is 32 hex digits."""
    _keys(token_hex)


def _encrypt(keys: _Keys, plain: bytes) -> bytes:
    pad = 16 - len(plain) % 16
    return AES.new(keys.key, AES.MODE_CBC, keys.iv).encrypt(plain + bytes((pad,)) * pad)


def _decrypt(keys: _Keys, data: bytes) -> bytes:
    if len(data) % 16:
        raise Undecryptable(f"ciphertext of {len(data)} bytes is not whole AES blocks")
    padded = AES.new(keys.key, AES.MODE_CBC, keys.iv).decrypt(data)
    pad = padded[-1]
    if not 1 <= pad <= 16 or padded[-pad:] != bytes((pad,)) * pad:
        raise Undecryptable("payload does not decrypt: bad padding")
    return padded[:-pad]


def build(token_hex: str, device_id: int, stamp: int, payload: dict[str, Any]) -> bytes:
    """A request or reply packet; the payload is sent as compact JSON plus a NUL."""
    keys = _keys(token_hex)
    plain = json.dumps(payload, separators=(",", ":")).encode() + b"\x00"
    cipher = _encrypt(keys, plain)
    if len(cipher) > 0xFFFF - 32:
        raise BadLength(f"a {len(plain)}-byte payload does not fit in one miIO packet")
    header = HEADER.pack(MAGIC, 32 + len(cipher), 0, device_id, stamp & 0xFFFFFFFF)
    checksum = hashlib.md5(header + keys.token + cipher).digest()  # noqa: S324 - the wire format
    return header + checksum + cipher


def build_hello_reply(device_id: int, stamp: int, checksum: bytes = _NO_CHECKSUM) -> bytes:
    """A device's answer to the hello (firmware may put its token in ``checksum``)."""
    return HEADER.pack(MAGIC, 32, 0, device_id, stamp & 0xFFFFFFFF) + checksum[:16].ljust(16)


def parse_hello(data: bytes) -> Message | None:
    """A 32-byte hello (request or reply) -> its device id and stamp; None if not a hello."""
    if len(data) != 32:
        return None
    magic, length, _, device_id, stamp = HEADER.unpack_from(data)
    if magic != MAGIC or length != 32:
        return None
    return Message(device_id, stamp, checksum=data[16:32])


def token_in_hello(hello: Message) -> str | None:
    """The token an unprovisioned device gives in its hello reply (hex), None when masked."""
    if len(hello.checksum) != 16 or hello.checksum in (_NO_CHECKSUM, bytes(16)):
        return None
    return hello.checksum.hex()


def parse(token_hex: str, data: bytes) -> Message:
    """Verify and decrypt a packet (a hello gives payload None).

    Raises BadMagic, BadLength, ChecksumMismatch, Undecryptable or NotJson.
    """
    if len(data) < 32:
        raise BadLength(f"a miIO packet has a 32-byte header; got {len(data)} bytes")
    magic, length, _, device_id, stamp = HEADER.unpack_from(data)
    if magic != MAGIC:
        raise BadMagic(f"bad magic 0x{magic:04x}")
    if length != len(data):
        raise BadLength(f"length field says {length} bytes; got {len(data)}")
    if length == 32:
        return Message(device_id, stamp, checksum=data[16:32])
    keys = _keys(token_hex)
    cipher = data[32:]
    expected = hashlib.md5(data[:16] + keys.token + cipher).digest()  # noqa: S324 - the wire format
    if expected != data[16:32]:
        raise ChecksumMismatch("checksum mismatch: the token is wrong")
    return Message(device_id, stamp, _json(_decrypt(keys, cipher)))


# Firmware quirks python-miio has met in the field; tried only when plain JSON fails.
_QUIRKS: tuple[Callable[[bytes], bytes], ...] = (
    lambda raw: raw.partition(b"\x00")[0],
    lambda raw: raw.replace(b',,"otu_stat"', b',"otu_stat"'),
    lambda raw: raw.replace(b'"value":00', b'"value":0'),
)


def _json(plain: bytes) -> dict[str, Any]:
    raw = plain.rstrip(b"\x00")
    try:
        payload = json.loads(raw)
    except (ValueError, RecursionError):
        payload = _json_with_quirks(raw)
    if not isinstance(payload, dict):
        raise NotJson("payload is not a JSON object")
    return payload


def _json_with_quirks(raw: bytes) -> Any:
    for quirk in _QUIRKS:
        try:
            return json.loads(quirk(raw))
        except (ValueError, RecursionError):
            continue
    raise NotJson("payload is not JSON")
