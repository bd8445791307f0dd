"""Devices that need a token, and the ways to give them one (issue 13.3).

``GET /api/onboarding/devices`` lists the miIO devices on the LAN the hub cannot talk to:
found by discovery with no token known ("needs_token"), or answering with another token than
the hub's, as after a re-pairing ("token_rejected"), with the three ways out: provision it
after a reset, import a backup, or paste its token (``POST /api/onboarding/token``).

``POST /api/onboarding/provision``: provisioning a factory-reset device from the hub itself
(a Pi with its Ethernet on the LAN and its Wi-Fi joined to the device's access point).

The hub reads the token the device tells before it is provisioned, gives it the home
network, and keeps the token; discovery onboards the device when it reaches the LAN. The
Wi-Fi password is sent to the device once; it is never answered back, logged or stored.
"""

from __future__ import annotations

import ipaddress
from typing import Literal

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, field_validator

from hub.api.context import context
from hub.api.errors import error_response, from_hub_error
from hub.api.jsonio import json_response, read_json, validate
from hub.api.routes import Route, Scope
from hub.errors import HubError


class ProvisionBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    ssid: str = Field(min_length=1, max_length=32, description="the home Wi-Fi network's name")
    password: str = Field(max_length=63, description="its password: used once, never kept")
    host: str = Field("192.168.13.1", description="the device on its access point (private)")
    uid: int = Field(0, ge=0, lt=2**63, description="a Mi account id to bind it to")

    @field_validator("host")
    @classmethod
    def _private_address(cls, value: str) -> str:
        try:
            address = ipaddress.IPv4Address(value)
        except ValueError:
            raise ValueError("an IPv4 address, such as 192.168.13.1") from None
        if not address.is_private:
            raise ValueError("a device's access point has a private address (192.168.x.y)")
        return str(address)


class TokenBody(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str = Field(description="the device's address on the LAN, as listed")
    token: str = Field(pattern=r"^[0-9a-fA-F]{32}$", description="32 hex digits; never shown")


class TokenOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(description="the device, connecting with the new token")


class WaitingDevice(BaseModel):
    model_config = ConfigDict(extra="forbid")
    host: str
    did: int
    problem: Literal["needs_token", "token_rejected"]
    device_id: str | None = Field(None, description="set when the hub knew it before")
    name: str | None = None


class Way(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: Literal["provision", "import", "paste"]
    title: str
    how: str


class WaitingOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    devices: list[WaitingDevice]
    ways: list[Way]


WAYS = [
    Way(id="provision", title="Reset it and provision it",
        how="Reset the device, join its own Wi-Fi (named like <model>_miapXXXX) and run "
        "`mihub onboard --ssid <home Wi-Fi>`, or POST /api/onboarding/provision from a hub "
        "on that Wi-Fi. It gets the home Wi-Fi and the hub keeps its token."),
    Way(id="import", title="Import a backup",
        how="`mihub import-tokens FILE` with Mi Home's miio2.db (Android), *_mihome.sqlite "
        "(iOS), the Yeelight app's XML, or the JSON of `miiocli cloud list --raw`."),
    Way(id="paste", title="Paste its token",
        how="Know the token (32 hex digits)? Paste it on the phone page, or POST "
        "/api/onboarding/token with the device's address and the token."),
]  # fmt: skip


class ProvisionOut(BaseModel):
    model_config = ConfigDict(extra="forbid")
    device_id: str = Field(description="the id the device will have once discovery finds it")
    model: str
    mac: str


async def provision(request: web.Request) -> web.Response:
    ctx = context(request)
    body = validate(ProvisionBody, await read_json(request))
    if ctx.provision is None:
        return error_response(409, "no_provisioning", "this hub cannot provision devices")
    try:
        device = await ctx.provision(body.host, body.ssid, body.password, body.uid)
    except HubError as exc:
        raise from_hub_error(exc) from None
    out = ProvisionOut(device_id=device.device_id, model=device.model, mac=device.mac)
    return json_response(out.model_dump())


async def waiting(request: web.Request) -> web.Response:
    ctx = context(request)
    problems = ctx.token_problems() if ctx.token_problems is not None else []
    devices = [
        WaitingDevice(host=p.host, did=p.did, problem=p.problem, device_id=p.device_id, name=p.name)
        for p in problems
    ]
    return json_response(WaitingOut(devices=devices, ways=WAYS).model_dump())


async def use_token(request: web.Request) -> web.Response:
    ctx = context(request)
    body = validate(TokenBody, await read_json(request))
    if ctx.use_token is None:
        return error_response(409, "no_miio", "this hub has no miIO devices to give a token to")
    try:
        device_id = await ctx.use_token(body.host, body.token.lower())
    except HubError as exc:
        raise from_hub_error(exc, "host") from None
    return json_response(TokenOut(device_id=device_id).model_dump())


ROUTES = [
    Route("GET", "/api/onboarding/devices", waiting, Scope.READ,
          "Devices on the LAN that need a token, and the ways to give one", response=WaitingOut,
          tag="onboarding"),
    Route("POST", "/api/onboarding/token", use_token, Scope.ADMIN,
          "Give a waiting device its token (kept; never shown again)", TokenBody, TokenOut,
          errors=(404, 409), tag="onboarding"),
    Route("POST", "/api/onboarding/provision", provision, Scope.ADMIN,
          "Give a factory-reset device the home Wi-Fi and keep its token", ProvisionBody,
          ProvisionOut, errors=(409, 502, 504), tag="onboarding",
          description="For a hub with an interface on the device's own access point. The "
          "device answers discovery on the LAN afterwards and is onboarded with no further "
          "step. The password is sent to the device once and never kept or logged."),
]  # fmt: skip
