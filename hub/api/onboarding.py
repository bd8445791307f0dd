"""Provisioning a factory-reset device from the hub itself (a Pi with its Ethernet on the LAN
and its Wi-Fi joined to the device's access point): ``POST /api/onboarding/provision``.

The hub reads the token the device tells before it is provisioned, gives it the home
network, and keeps the token; discovery onboards the device when it reaches the LAN. The
Wi-Fi password is sent to the device once; it is never answered back, logged or stored.
"""

from __future__ import annotations

import ipaddress

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


ROUTES = [
    Route("POST", "/api/onboarding/provision", provision, Scope.ADMIN,
          "Give a factory-reset device the home Wi-Fi and keep its token", ProvisionBody,
          ProvisionOut, errors=(409, 502, 504), tag="onboarding",
          description="For a hub with an interface on the device's own access point. The "
          "device answers discovery on the LAN afterwards and is onboarded with no further "
          "step. The password is sent to the device once and never kept or logged."),
]  # fmt: skip
