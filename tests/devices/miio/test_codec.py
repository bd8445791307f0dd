"""The codec: byte vectors, python-miio agreement, and any bytes -> a message or a typed error."""

from __future__ import annotations

import datetime
import hashlib

import pytest
from hypothesis import given
from hypothesis import strategies as st
from miio.protocol import Message as MiioMessage
from miio.protocol import Utils

from hub.devices.miio.wire import codec
from hub.errors import DeviceAuthError, InvalidValue, ProtocolError

TOKEN = "00112233445566778899aabbccddeeff"
OTHER = "ffeeddccbbaa99887766554433221100"
REQUEST = {"id": 1, "method": "miIO.info", "params": []}

# codec.build(TOKEN, 0x0102ABCD, 1000, REQUEST), checked below against python-miio's parser.
REQUEST_VECTOR = bytes.fromhex(
    "21310050000000000102abcd000003e8a7387c18fee8822f779c2386aae8df6e"
    "a5516ec6151955dc2bb2d43e7c84c18352a39a7f22fd2903d282a5783c6d56ac"
    "d8b5de0116c0ebf35983dd023f849c97"
)
# Built once with python-miio's Message.build (token TOKEN, did 0x1234, stamp 100).
REPLY_VECTOR = bytes.fromhex(
    "21310040000000000000123400000064d4b18b1135e6a032a8249a9359e495e8"
    "5ff09f845f6a8d4a860606d644993fcd1bc1adee13315d0efa874f6f5b8935e5"
)


def test_build_gives_the_exact_vector() -> None:
    assert codec.build(TOKEN, 0x0102ABCD, 1000, REQUEST) == REQUEST_VECTOR


def test_the_vector_is_the_miio_wire_format() -> None:
    packet = REQUEST_VECTOR
    assert packet[:2] == b"\x21\x31"
    assert int.from_bytes(packet[2:4], "big") == len(packet) == 80
    assert packet[4:8] == b"\x00\x00\x00\x00"
    assert packet[8:12] == bytes.fromhex("0102abcd")
    assert int.from_bytes(packet[12:16], "big") == 1000
    token = bytes.fromhex(TOKEN)
    assert packet[16:32] == hashlib.md5(packet[:16] + token + packet[32:]).digest()  # noqa: S324
    plain = Utils.decrypt(packet[32:], token)
    assert plain == b'{"id":1,"method":"miIO.info","params":[]}\x00'


def test_a_python_miio_vector_decodes() -> None:
    parsed = codec.parse(TOKEN, REPLY_VECTOR)
    assert parsed == codec.Message(0x1234, 100, {"id": 5, "result": ["ok"]})
    assert not parsed.is_hello


def test_python_miio_reads_what_we_build() -> None:
    message = MiioMessage.parse(REQUEST_VECTOR, token=bytes.fromhex(TOKEN))
    assert message.data.value == REQUEST
    assert message.header.value.device_id == bytes.fromhex("0102abcd")


def test_we_read_what_python_miio_builds() -> None:
    header = {
        "length": 0,
        "unknown": 0,
        "device_id": bytes.fromhex("00001234"),
        "ts": datetime.datetime.fromtimestamp(100, datetime.UTC).replace(tzinfo=None),
    }
    payload = {"id": 7, "method": "properties_changed", "params": [{"siid": 2, "value": "é"}]}
    msg = {"data": {"value": payload}, "header": {"value": header}, "checksum": 0}
    packet = MiioMessage.build(msg, token=bytes.fromhex(TOKEN))
    assert codec.parse(TOKEN, packet) == codec.Message(0x1234, 100, payload)


def test_hello_request_and_reply_vectors() -> None:
    assert bytes.fromhex("21310020" + "ff" * 28) == codec.HELLO
    reply = bytes.fromhex("21310020" + "00000000" + "0000abcd" + "00000010") + b"\xff" * 16
    assert codec.build_hello_reply(0xABCD, 16) == reply
    hello = codec.parse_hello(reply)
    assert hello == codec.Message(0xABCD, 16, None)
    assert hello is not None
    assert hello.is_hello
    assert codec.parse(TOKEN, reply) == hello  # parse accepts hellos too
    assert codec.parse_hello(REQUEST_VECTOR) is None
    assert codec.parse_hello(b"\x00" * 32) is None
    assert codec.token_in_hello(hello) is None, "provisioned firmware masks its token"
    unprovisioned = codec.build_hello_reply(0xABCD, 16, bytes.fromhex(TOKEN))
    opened = codec.parse_hello(unprovisioned)
    assert opened is not None
    assert codec.token_in_hello(opened) == TOKEN
    # python-miio agrees on the hello reply's header
    parsed = MiioMessage.parse(reply)
    assert parsed.header.value.device_id == bytes.fromhex("0000abcd")


@pytest.mark.parametrize(
    ("device_id", "stamp", "payload"),
    [
        (0, 0, {}),
        (0xFFFFFFFF, 0xFFFFFFFF, {"id": 9999, "result": [{"siid": 2, "piid": 1, "code": 0}]}),
        (1, 1 << 32, {"id": 1, "error": {"code": -9999, "message": "user ack timeout"}}),
        (42, 7, {"text": "x" * 1000, "unicode": "日本語"}),
    ],
)
def test_round_trips(device_id: int, stamp: int, payload: dict[str, object]) -> None:
    parsed = codec.parse(TOKEN, codec.build(TOKEN, device_id, stamp, payload))
    assert parsed == codec.Message(device_id, stamp & 0xFFFFFFFF, payload)


def test_a_payload_too_large_for_one_packet_is_refused() -> None:
    with pytest.raises(codec.BadLength, match="does not fit"):
        codec.build(TOKEN, 1, 1, {"text": "x" * 70000})


def test_a_malformed_token_is_refused_before_sending() -> None:
    for bad in ("", "00", "zz" * 16, TOKEN + "00"):
        with pytest.raises(InvalidValue, match="32 hex digits"):
            codec.check_token(bad)


def test_wrong_token_is_a_checksum_mismatch_an_auth_error() -> None:
    with pytest.raises(codec.ChecksumMismatch, match="token"):
        codec.parse(OTHER, REQUEST_VECTOR)
    assert issubclass(codec.ChecksumMismatch, DeviceAuthError)


@pytest.mark.parametrize(
    ("data", "error"),
    [
        (b"", codec.BadLength),
        (b"\x21\x31\x00", codec.BadLength),
        (b"\x00" * 48, codec.BadMagic),
        (bytes.fromhex("21310030") + b"\x00" * 28, codec.BadLength),
        (REQUEST_VECTOR + b"\x00", codec.BadLength),
    ],
)
def test_malformed_packets_say_what_is_wrong(data: bytes, error: type[Exception]) -> None:
    with pytest.raises(error):
        codec.parse(TOKEN, data)


def _signed(body: bytes) -> bytes:
    """A packet with a valid checksum around an arbitrary ciphertext."""
    header = codec.HEADER.pack(codec.MAGIC, 32 + len(body), 0, 1, 1)
    token = bytes.fromhex(TOKEN)
    return header + hashlib.md5(header + token + body).digest() + body  # noqa: S324


def _encrypted(plain: bytes) -> bytes:
    return _signed(Utils.encrypt(plain, bytes.fromhex(TOKEN)))


def test_undecryptable_payloads() -> None:
    with pytest.raises(codec.Undecryptable, match="blocks"):
        codec.parse(TOKEN, _signed(b"\x01" * 15))
    with pytest.raises(codec.Undecryptable, match="padding"):
        codec.parse(TOKEN, _signed(b"\x01" * 16))


@pytest.mark.parametrize("plain", [b"hello\x00", b"[1, 2]\x00", b"\xff\xfe\x00", b"[" * 20000])
def test_payloads_that_are_not_json_objects(plain: bytes) -> None:
    with pytest.raises(codec.NotJson):
        codec.parse(TOKEN, _encrypted(plain))


@pytest.mark.parametrize(
    "plain",
    [
        b'{"id":1,"result":[]}\x00garbage',
        b'{"id":1,"result":[],,"otu_stat":1}',
        b'{"id":1,"result":[{"value":00}]}\x00',
    ],
)
def test_known_firmware_quirks_still_parse(plain: bytes) -> None:
    payload = codec.parse(TOKEN, _encrypted(plain)).payload
    assert payload is not None
    assert payload["id"] == 1


def _outcome(data: bytes) -> str:
    try:
        message = codec.parse(TOKEN, data)
    except DeviceAuthError:
        return "auth"
    except ProtocolError:
        return "protocol"
    return "hello" if message.is_hello else "message"


@given(st.binary(max_size=300))
def test_arbitrary_bytes_give_a_typed_outcome(data: bytes) -> None:
    assert _outcome(data) in {"auth", "protocol", "hello", "message"}
    codec.parse_hello(data)


@given(st.binary(min_size=0, max_size=100).map(lambda b: b"\x21\x31" + b))
def test_bytes_with_the_magic_give_a_typed_outcome(data: bytes) -> None:
    assert _outcome(data) in {"auth", "protocol", "hello", "message"}


@given(st.binary(max_size=200))
def test_arbitrary_signed_ciphertext_gives_a_typed_outcome(body: bytes) -> None:
    assert _outcome(_signed(body)) in {"protocol", "hello", "message"}


@given(
    st.dictionaries(st.text(max_size=8), st.integers() | st.text(max_size=20), max_size=5),
    st.integers(min_value=0, max_value=400),
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
    # Every byte is covered by the magic, the length field or the checksum: no mutation goes
    # unnoticed (a flip in bytes 4..15 changes the checksummed header; a truncation to 32
    # bytes leaves a length field that still says more).
    assert _outcome(bytes(packet)) in {"auth", "protocol"}
