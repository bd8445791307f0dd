"""Config errors name the file, the line and the key; secrets come from outside the file."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_example_config_is_valid(tmp_path: Path) -> None:
    (tmp_path / "secrets.yaml").write_text("purifier_token: ffeeddccbbaa99887766554433221100\n")
    example = (ROOT / "config.example.yaml").read_text()
    config = load_config(write(tmp_path, example))
    assert config.miio.devices[0].token == "ffeeddccbbaa99887766554433221100"
    assert config.mqtt_prefix == "mihub/home"
    from hub.scenes.model import parse_automation, parse_scene

    assert [parse_scene(s).id for s in config.scenes] == ["movie"]
    assert len([parse_automation(a) for a in config.automations]) == 5


def test_a_bad_value_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "miio:\n  devices:\n    - host: 127.0.0.10\n    - host: 127.0.0.11\n      token: xyz\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:5: miio.devices.1.token" in str(info.value)


def test_an_unknown_key_is_reported_where_it_stands(tmp_path: Path) -> None:
    path = write(tmp_path, "hub:\n  name: Home\n  colour: blue\n")
    with pytest.raises(ConfigError, match=r"config.yaml:3: hub.colour: Extra inputs"):
        load_config(path)


def test_broken_yaml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "hub:\n  name: [unclosed\n  id: x\n")
    with pytest.raises(ConfigError, match=r"config.yaml:\d+:"):
        load_config(path)


def test_env_and_missing_secret(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LAMP_TOKEN", "00112233445566778899aabbccddeeff")
    path = write(
        tmp_path, "miio:\n  devices:\n    - host: 127.0.0.10\n      token: !env LAMP_TOKEN\n"
    )
    assert load_config(path).miio.devices[0].token == "00112233445566778899aabbccddeeff"
    path = write(tmp_path, "miio:\n  devices:\n    - host: 127.0.0.10\n      token: !secret nope\n")
    with pytest.raises(ConfigError, match=r"config.yaml:4: secret 'nope' is not in"):
        load_config(path)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="cannot read"):
        load_config(tmp_path / "missing.yaml")
