"""paho-mqtt's client, fed a socket that the asyncio loop connected, reading through a buffer.

The loop drives paho through its socket callbacks: ``add_reader`` for reads, ``add_writer``
only while paho has bytes waiting, and :meth:`PahoClient.flush` writes at once after a
publish (so a reply does not wait for the next loop turn).

Three private paho hooks are overridden, all stable across paho 2.x and covered by the tests:

- ``_create_socket_connection``: paho's own connect is a blocking ``socket.create_connection``;
  here the socket was already connected with ``loop.sock_connect`` (and has ``TCP_NODELAY``),
  so paho only gets it. No thread, nothing blocks the loop.
- ``_sock_recv``: paho reads every packet with two or three ``recv`` calls (the command byte,
  the length bytes one at a time, then the body). Reading 64 KiB at once and serving paho from
  that buffer turns ~3 system calls per message into ~1 per few hundred messages; the
  connection drains the buffer on each readable event (:attr:`buffered`).
- ``_handle_on_message``: paho takes two locks and matches the topic against its
  ``message_callback_add`` filters for every message; this client never adds such filters and
  runs on one thread, so every message goes straight to ``on_message``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import socket
from typing import Any

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion

_LOGGER = logging.getLogger(__name__)

READ_SIZE = 65536


class PahoClient(mqtt.Client):
    def __init__(self, client_id: str, clean_session: bool = True) -> None:
        super().__init__(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            protocol=mqtt.MQTTv311,
            clean_session=clean_session,
            reconnect_on_failure=False,
        )
        self.next_socket: socket.socket | None = None
        self._strikes: dict[int, tuple[mqtt.MQTTMessage, int]] = {}
        self._rbuf = b""
        self._rpos = 0
        self.on_socket_open = self._socket_opened
        self.on_socket_close = self._socket_closed
        self.on_socket_register_write = self._want_write
        self.on_socket_unregister_write = self._wrote_all

    @property
    def buffered(self) -> int:
        """Bytes received from the socket that paho has not consumed yet."""
        return len(self._rbuf) - self._rpos

    def flush(self) -> None:
        """Write what paho has queued now, without waiting for the loop's writer."""
        if self.want_write():
            self.loop_write()

    def abort(self) -> None:
        """Drop the connection now; paho reads the end of stream and closes the socket."""
        sock = self.socket()
        if sock is None:
            return
        if isinstance(sock, socket.socket):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
        for _ in range(1000):  # drains what is buffered, then sees the end of the stream
            if self.socket() is None:
                break
            self.loop_read()

    def drop_refused(self, limit: int) -> list[mqtt.MQTTMessage]:
        """Count a lost connection against each message sent and not yet acknowledged; drop
        and return those that ``limit`` connections in a row ended on.

        Such a message is one this broker refuses by closing the connection (NATS does so for
        a topic with '.' or ' ', and for QoS 2). With a persistent session paho sends it again
        on every reconnect, so without this the hub would reconnect in a loop, for ever.
        """
        waiting = (mqtt.mqtt_ms_wait_for_puback, mqtt.mqtt_ms_wait_for_pubrec)
        dropped: list[mqtt.MQTTMessage] = []
        strikes: dict[int, tuple[mqtt.MQTTMessage, int]] = {}
        with self._out_message_mutex:
            for mid, message in list(self._out_messages.items()):
                if message.state not in waiting:
                    continue
                known, count = self._strikes.get(mid, (message, 0))
                count = count + 1 if known is message else 1
                if count >= limit:
                    del self._out_messages[mid]
                    dropped.append(message)
                else:
                    strikes[mid] = (message, count)
        self._strikes = strikes
        return dropped

    def _on_readable(self) -> None:
        rc = self.loop_read()
        while rc == mqtt.MQTT_ERR_SUCCESS and self.buffered:
            rc = self.loop_read()

    @staticmethod
    def _socket_opened(client: mqtt.Client, _: Any, sock: Any) -> None:
        assert isinstance(client, PahoClient)  # noqa: S101 - paho passes the client itself
        asyncio.get_running_loop().add_reader(sock, client._on_readable)

    @staticmethod
    def _socket_closed(client: mqtt.Client, _: Any, sock: Any) -> None:
        loop = asyncio.get_running_loop()
        loop.remove_reader(sock)
        loop.remove_writer(sock)

    @staticmethod
    def _want_write(client: mqtt.Client, _: Any, sock: Any) -> None:
        asyncio.get_running_loop().add_writer(sock, client.loop_write)

    @staticmethod
    def _wrote_all(client: mqtt.Client, _: Any, sock: Any) -> None:
        asyncio.get_running_loop().remove_writer(sock)

    def _handle_on_message(self, message: mqtt.MQTTMessage) -> None:
        on_message = self._on_message
        if on_message is None:
            return
        try:
            on_message(self, self._userdata, message)
        except Exception:  # a topic that is not UTF-8, a bug in a callback: never paho's state
            _LOGGER.exception("MQTT message on %r dropped", message._topic)

    def _create_socket_connection(self) -> socket.socket:
        sock, self.next_socket = self.next_socket, None
        if sock is None:
            raise ConnectionError("no connected socket was prepared for paho")
        self._rbuf, self._rpos = b"", 0
        return sock

    def _sock_recv(self, bufsize: int) -> bytes:
        buf, pos = self._rbuf, self._rpos
        if pos >= len(buf):
            sock = self._sock
            if sock is None:
                raise ConnectionError("the MQTT socket is closed")
            buf = sock.recv(READ_SIZE)  # BlockingIOError when empty: paho expects that
            if not buf:
                return b""
            self._rbuf, pos = buf, 0
        chunk = buf[pos : pos + bufsize]
        self._rpos = pos + len(chunk)
        return chunk


async def open_socket(host: str, port: int, connect_timeout: float) -> socket.socket:
    """Connect a non-blocking TCP socket without blocking the loop; ``TCP_NODELAY`` set.

    Without ``TCP_NODELAY`` a small reply can wait for the broker's delayed ACK (~40 ms).
    """
    loop = asyncio.get_running_loop()
    infos = await loop.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    error: OSError = OSError(f"cannot resolve {host}")
    for family, kind, proto, _, address in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.setblocking(False)
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            async with asyncio.timeout(connect_timeout):
                await loop.sock_connect(sock, address)
        except OSError as exc:  # TimeoutError included
            sock.close()
            error = exc
            continue
        except BaseException:  # cancelled: never leak the socket
            sock.close()
            raise
        return sock
    raise error
