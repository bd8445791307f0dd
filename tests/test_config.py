"""Config errors name the file, the line and the key; secrets come from outside the file."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from hub.config import load_config
from hub.errors import ConfigError

ROOT = Path(__file__).resolve().parents[1]


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    return path


def test_the_example_config_passes_check_config_as_shipped(tmp_path: Path) -> None:
    """Issue 11.2: `mihub check-config config.example.yaml` with the shipped example secrets."""
    for name in ("config.example.yaml", "secrets.example.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    done = subprocess.run(
        [sys.executable, "-m", "hub", "check-config", str(tmp_path / "config.example.yaml")],
        capture_output=True, text=True, check=False, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ok (4 miIO devices" in done.stdout
    config = load_config(tmp_path / "config.example.yaml")
    assert config.miio.devices[0].token == "ffeeddccbbaa99887766554433221100"
    assert config.mqtt_prefix == "mihub/home"
    assert config.hub.data_dir == tmp_path / "data"


def test_the_example_names_devices_by_room_and_name(tmp_path: Path) -> None:
    for name in ("config.example.yaml", "secrets.example.yaml"):
        (tmp_path / name).write_text((ROOT / name).read_text())
    config = load_config(tmp_path / "config.example.yaml")
    assert [s.id for s in config.scenes] == ["movie"]
    assert len(config.automations) == 5
    devices = [t.device for t in config.scenes[0].targets]
    assert devices == ["Study/Desk lamp", "Study/Desk lamp", "Living room/Purifier"]
    assert not any("miio-" in a.model_dump_json() for a in config.automations)


def test_a_config_named_like_the_real_one_reads_secrets_yaml(tmp_path: Path) -> None:
    (tmp_path / "secrets.yaml").write_text("lamp: 00112233445566778899aabbccddeeff\n")
    path = write(tmp_path, "miio:\n  devices:\n    - host: 127.0.0.10\n      token: !secret lamp\n")
    assert load_config(path).miio.devices[0].token == "00112233445566778899aabbccddeeff"


def test_data_dir_is_relative_to_the_config_file_not_the_current_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 11.3: `mihub pair` run elsewhere must use the store the hub reads."""
    home = tmp_path / "home"
    home.mkdir()
    path = write(home, "hub:\n  data_dir: data\n")
    monkeypatch.chdir(tmp_path)
    assert load_config(Path("home/config.yaml")).hub.data_dir == home / "data"
    absolute = write(home, f"hub:\n  data_dir: {tmp_path / 'elsewhere'}\n")
    assert load_config(absolute).hub.data_dir == tmp_path / "elsewhere"
    assert path == absolute


def test_a_bad_value_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        "miio:\n  devices:\n    - host: 127.0.0.10\n    - host: 127.0.0.11\n      token: xyz\n",
    )
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert f"{path}:5: miio.devices.1.token" in str(info.value)


def test_an_unknown_key_is_reported_where_it_stands_with_the_keys_allowed(
    tmp_path: Path,
) -> None:
    path = write(tmp_path, "hub:\n  name: Home\n  colour: blue\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value) == (
        f"{path}:3: hub.colour: unknown key 'colour' (allowed: id, name, data_dir, location)"
    )
    path = write(tmp_path, "miio:\n  devices:\n    - host: 127.0.0.10\n      nmae: Lamp\n")
    with pytest.raises(ConfigError, match=r":4: miio.devices.0.nmae: unknown key 'nmae' "
                       r"\(allowed: host, port, token, name, room, model, snapshot_url\)"):  # fmt: skip
        load_config(path)


@pytest.mark.parametrize(
    ("text", "where", "words"),
    [
        ("hub:\n  name: [unclosed\n  id: x\n", "3:5", "a list in [ ] is not closed"),
        ("hub:\n  name: x\n id: y\n", "3:2", "indented differently"),
        ("hub:\n\tname: x\n", "2:1", "a tab character"),
        ("hub:\n  name: a: b\n", "2:10", "put such a value in quotes"),
        ('hub:\n  name: "open\n', "3:1", "a quote or bracket is opened and never closed"),
    ],
)
def test_broken_yaml_says_what_is_wrong_in_words_with_line_and_column(
    tmp_path: Path, text: str, where: str, words: str
) -> None:
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_config(path)
    message = str(info.value)
    assert message.startswith(f"{path}:{where}: ")
    assert words in message
    assert "<block" not in message.split("(YAML:")[0]


def test_a_key_given_twice_is_an_error_naming_both_lines(tmp_path: Path) -> None:
    path = write(tmp_path, "hub:\n  name: Home\n  id: a\n  name: Flat\n")
    with pytest.raises(ConfigError) as info:
        load_config(path)
    assert str(info.value).startswith(f"{path}:4: key 'name' is given twice")
    assert "first on line 2" in str(info.value)


def test_token_mistakes_are_explained(tmp_path: Path) -> None:
    path = write(tmp_path, "miio:\n  devices:\n    - host: 127.0.0.10\n      token: abc\n")
    with pytest.raises(ConfigError, match=r":4: miio.devices.0.token: a token is 32 "
                       r"hexadecimal characters \(0-9, a-f\); this one is 3"):  # fmt: skip
        load_config(path)
    digits = "0" + "1" * 31
    path = write(tmp_path, f"miio:\n  devices:\n    - host: 127.0.0.10\n      token: {digits}\n")
    with pytest.raises(ConfigError, match=r":4: miio.devices.0.token: a token of only digits "
                       r"is read by YAML as a number .*quote it"):  # fmt: skip
        load_config(path)
    quoted = write(
        tmp_path, f'miio:\n  devices:\n    - host: 127.0.0.10\n      token: "{digits}"\n'
    )
    assert load_config(quoted).miio.devices[0].token == digits


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
