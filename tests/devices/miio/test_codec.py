"""The codec: byte vectors, python-miio agreement, and any bytes -> a message or a typed error."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from miio.protocol import Message

from hub.devices.miio import codec
from hub.errors import DeviceAuthError, ProtocolError

TOKEN = "00112233445566778899aabbccddeeff"
OTHER = "ffeeddccbbaa99887766554433221100"
REQUEST = {"id": 1, "method": "miIO.info", "params": []}


def test_packet_layout_is_the_miio_wire_format() -> None:
    packet = codec.build(TOKEN, 0x0102ABCD, 1000, REQUEST)
    assert packet[:2] == b"\x21\x31"
    assert int.from_bytes(packet[2:4], "big") == len(packet)
    assert packet[4:8] == b"\x00\x00\x00\x00"
    assert packet[8:12] == bytes.fromhex("0102abcd")
    assert int.from_bytes(packet[12:16], "big") == 1000
    token = bytes.fromhex(TOKEN)
    assert packet[16:32] == hashlib.md5(packet[:16] + token + packet[32:]).digest()  # noqa: S324
    assert (len(packet) - 32) % 16 == 0  # AES-CBC blocks


def test_a_known_vector_decodes() -> None:
    # Built once with python-miio's Message.build (token TOKEN, did 0x1234, stamp 100).
    vector = bytes.fromhex(
        "21310040000000000000123400000064d4b18b1135e6a032a8249a9359e495e8"
        "5ff09f845f6a8d4a860606d644993fcd1bc1adee13315d0efa874f6f5b8935e5"
    )
    parsed = codec.parse(TOKEN, vector)
    assert (parsed.device_id, parsed.stamp) == (0x1234, 100)
    assert parsed.payload == {"id": 5, "result": ["ok"]}


def test_python_miio_reads_what_we_build() -> None:
    packet = codec.build(TOKEN, 0x1234, 100, REQUEST)
    message = Message.parse(packet, token=bytes.fromhex(TOKEN))
    assert message.data.value == REQUEST
    assert message.header.value.device_id == bytes.fromhex("00001234")


def test_we_read_what_python_miio_builds() -> None:
    header = {
        "length": 0,
        "unknown": 0,
        "device_id": bytes.fromhex("00001234"),
        "ts": datetime.datetime.fromtimestamp(100, datetime.UTC).replace(tzinfo=None),
    }
    msg = {
        "data": {"value": {"id": 5, "result": ["ok"]}},
        "header": {"value": header},
        "checksum": 0,
    }
    packet = Message.build(msg, token=bytes.fromhex(TOKEN))
    assert codec.parse(TOKEN, packet).payload == {"id": 5, "result": ["ok"]}


def test_hello_request_and_reply() -> None:
    assert bytes.fromhex("21310020" + "ff" * 28) == codec.HELLO
    reply = bytes.fromhex("21310020" + "00000000" + "0000abcd" + "00000010") + b"\xff" * 16
    hello = codec.parse_hello(reply)
    assert hello is not None
    assert (hello.device_id, hello.stamp) == (0xABCD, 16)
    assert codec.parse_hello(codec.build(TOKEN, 1, 1, REQUEST)) is None


def test_wrong_token_is_a_checksum_mismatch_an_auth_error() -> None:
    packet = codec.build(TOKEN, 1, 1, REQUEST)
    with pytest.raises(DeviceAuthError, match="token"):
        codec.parse(OTHER, packet)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "32-byte header"),
        (b"\x00" * 48, "bad magic"),
        (bytes.fromhex("21310030") + b"\x00" * 28, "length field"),
        (bytes.fromhex("21310020") + b"\x00" * 28, "no payload"),
    ],
)
def test_malformed_packets_say_what_is_wrong(data: bytes, message: str) -> None:
    with pytest.raises(ProtocolError, match=message):
        codec.parse(TOKEN, data)


def _signed(body: bytes) -> bytes:
    """A packet with a valid checksum around an arbitrary ciphertext."""
    header = codec.HEADER.pack(codec.MAGIC, 32 + len(body), 0, 1, 1)
    token = bytes.fromhex(TOKEN)
    return header + hashlib.md5(header + token + body).digest() + body  # noqa: S324


def test_undecryptable_and_non_json_payloads_are_protocol_errors() -> None:
    with pytest.raises(ProtocolError, match="decrypt"):
        codec.parse(TOKEN, _signed(b"\x01" * 16))
    from miio.protocol import Utils

    not_json = Utils.encrypt(b"hello\x00", bytes.fromhex(TOKEN))
    with pytest.raises(ProtocolError, match="not JSON"):
        codec.parse(TOKEN, _signed(not_json))


def _outcome(data: bytes) -> str:
    try:
        codec.parse(TOKEN, data)
    except DeviceAuthError:
        return "auth"
    except ProtocolError:
        return "protocol"
    return "message"


@given(st.binary(max_size=200))
def test_arbitrary_bytes_give_a_typed_outcome(data: bytes) -> None:
    assert _outcome(data) in {"auth", "protocol", "message"}
    codec.parse_hello(data)


@given(
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=20), max_size=5),
    st.integers(min_value=0, max_value=200),
    st.integers(min_value=0, max_value=7),
    st.sampled_from(["flip", "truncate", "extend"]),
)
def test_mutated_packets_give_a_typed_outcome(
    payload: dict[str, object], position: int, bit: int, mutation: str
) -> None:
    packet = bytearray(codec.build(TOKEN, 7, 7, {"id": 1, "result": payload}))
    position %= len(packet)
    if mutation == "flip":
        packet[position] ^= 1 << bit
    elif mutation == "truncate":
        del packet[position:]
    else:
        packet += bytes([bit]) * (position + 1)
    # Every byte is covered by the length field or the checksum: no mutation goes unnoticed.
    assert _outcome(bytes(packet)) in {"auth", "protocol"}
