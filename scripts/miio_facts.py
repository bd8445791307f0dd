"""What python-miio knows only in code or not at all, per device class, as small data.

python-miio's classes say which property names ``status()`` asks for, which method each setter
sends and what it validates; :mod:`gen_miio_tables` finds all of that by running them against a
recorder. What they do not say is written here: for each wire name the hub's feature id, kind,
category, human label, unit, how the wire value reads (codec), a believable first value, which
``status()`` attribute shows it, and which of the class's own methods sets it (a *recipe*:
``recipe(device, feature_value)`` calls the class, never the wire). The referee tests use the
same recipes and attributes to drive python-miio's classes against the simulator.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import miio
from miio.aqaracamera import MotionDetectionSensitivity as AqaraSensitivity
from miio.integrations.airpurifier.airdog.airpurifier_airdog import (
    OperationMode as AirDogMode,
)
from miio.integrations.airpurifier.dmaker.airfresh_t2017 import (
    DisplayOrientation,
    PtcLevel,
)
from miio.integrations.airpurifier.dmaker.airfresh_t2017 import (
    OperationMode as T2017Mode,
)
from miio.integrations.airpurifier.zhimi.airfresh import LedBrightness as FreshLed
from miio.integrations.airpurifier.zhimi.airfresh import OperationMode as FreshMode
from miio.integrations.airpurifier.zhimi.airpurifier import LedBrightness as PurifierLed
from miio.integrations.airpurifier.zhimi.airpurifier import OperationMode as PurifierMode
from miio.integrations.airpurifier.zhimi.airpurifier_miot import (
    LedBrightness as MiotLed,
)
from miio.integrations.airpurifier.zhimi.airpurifier_miot import (
    OperationMode as MiotMode,
)
from miio.integrations.light.philips.philips_rwread import (
    MotionDetectionSensitivity as RwreadSensitivity,
)

Recipe = Callable[[Any, Any], Any]


def switch(on: str, off: str | None = None) -> Recipe:
    """``on``/``off`` method pair, or one method taking a bool."""
    if off is None:
        return lambda d, v: getattr(d, on)(bool(v))
    return lambda d, v: getattr(d, on)() if v else getattr(d, off)()


def number(method: str) -> Recipe:
    return lambda d, v: getattr(d, method)(v)


def member(enum_class: type[enum.Enum], name: str) -> enum.Enum:
    return next(m for m in enum_class if choice_name(m) == name)


def choose(method: str, enum_class: type[enum.Enum]) -> Recipe:
    return lambda d, v: getattr(d, method)(member(enum_class, v))


def rgb_tuple(method: str) -> Recipe:
    return lambda d, v: getattr(d, method)(((v >> 16) & 255, (v >> 8) & 255, v & 255))


def choice_name(m: enum.Enum) -> str:
    out = ""
    for i, ch in enumerate(m.name):
        if ch.isupper() and i and not m.name[i - 1].isupper():
            out += "_"
        out += ch.lower()
    return out


@dataclass(frozen=True)
class P:
    """One wire property of a legacy class."""

    feature: str | None
    kind: str
    category: str
    label: str
    codec: str
    initial: Any
    attr: str | None = None
    """The ``status()`` attribute that shows it (None: the referee cannot see it)."""
    unit: str | None = None
    enum: type[enum.Enum] | None = None
    pairs: tuple[tuple[Any, Any], ...] | None = None
    """codec "choice" without an enum: (wire, feature value) pairs."""
    setter: Recipe | None = None
    probe: tuple[int, int] = (-5, 400)
    """Where to look for the setter's accepted numbers."""
    set_args: tuple[Any, ...] | None = None
    """Hand-written args template when the setter takes more than the value."""


@dataclass(frozen=True)
class A:
    """An action: a method with no feature value."""

    feature: str
    label: str
    call: Callable[[Any], Any]


ON_OFF = "on_off"
PRIMARY, CONTROL, CONFIG, DIAGNOSTIC = "primary", "control", "config", "diagnostic"


def power(attr: str = "is_on", codec: str = ON_OFF, initial: Any = "off") -> P:
    return P("power", "switch", PRIMARY, "Power", codec, initial, attr, setter=switch("on", "off"))


def cfg_switch(feature: str, label: str, method: str, off: str | None = None, **kw: Any) -> P:
    kw.setdefault("initial", "on")
    kw.setdefault("codec", ON_OFF)
    kw.setdefault("attr", feature)
    return P(feature, "switch", CONFIG, label, setter=switch(method, off), **kw)


def sensor(feature: str | None, label: str, initial: Any, unit: str | None = None, **kw: Any) -> P:
    kw.setdefault("category", DIAGNOSTIC)
    kw.setdefault("codec", "int")
    kw.setdefault("attr", feature)
    return P(feature, "sensor", label=label, initial=initial, unit=unit, **kw)


def text(label: str, initial: Any, attr: str | None = None) -> P:
    return P(None, "text", DIAGNOSTIC, label, "text", initial, attr)


# The tables below read better as one entry per line or two than as formatted calls.
# fmt: off

# ---- air purifiers ----------------------------------------------------------------------

AIR_PURIFIER: dict[str, P] = {
    "power": power(),
    "aqi": sensor("pm25", "PM2.5", 38, "µg/m³", category=PRIMARY, attr="aqi"),
    "average_aqi": sensor("aqi", "Average PM2.5", 35, "µg/m³", attr="average_aqi"),
    "humidity": sensor("humidity", "Humidity", 45, "%", category=PRIMARY),
    "temp_dec": sensor(
        "temperature", "Temperature", 215, "°C", codec="tenths", category=PRIMARY,
        attr="temperature",
    ),
    "mode": P("mode", "choice", CONTROL, "Mode", "choice", "auto", "mode", enum=PurifierMode,
              setter=choose("set_mode", PurifierMode)),
    "favorite_level": P("favorite_level", "number", CONTROL, "Favourite level", "int", 8,
                        "favorite_level", setter=number("set_favorite_level")),
    "filter1_life": sensor("filter_life", "Filter life", 87, "%", attr="filter_life_remaining"),
    "f1_hour_used": sensor("filter_hours", "Filter used", 455, "h", attr="filter_hours_used"),
    "use_time": sensor("use_time", "Use time", 4356000, "s"),
    "motor1_speed": sensor("motor_speed", "Motor speed", 0, "rpm"),
    "motor2_speed": sensor(None, "Motor 2 speed", 0, "rpm", attr="motor2_speed"),
    "purify_volume": sensor("purify_volume", "Purified volume", 52340, "m³"),
    "f1_hour": sensor(None, "Filter lifetime", 3500, "h", attr=None),
    "led": cfg_switch("led", "LED", "set_led"),
    "led_b": P("led_brightness", "choice", CONFIG, "LED brightness", "choice", 0,
               "led_brightness", enum=PurifierLed,
               setter=choose("set_led_brightness", PurifierLed)),
    "bright": sensor("illuminance", "Illuminance", 83, "lx", attr="illuminance"),
    "buzzer": cfg_switch("buzzer", "Buzzer", "set_buzzer"),
    "child_lock": cfg_switch("child_lock", "Child lock", "set_child_lock", initial="off"),
    "volume": P("buzzer_volume", "number", CONFIG, "Volume", "int", 50, "volume", unit="%",
                setter=number("set_volume")),
    "rfid_product_id": text("Filter RFID product", "0:0:41:30", "filter_rfid_product_id"),
    "rfid_tag": text("Filter RFID tag", "80:52:86:e2:d8:86:4", "filter_rfid_tag"),
    "act_sleep": P("learn_mode", "switch", CONFIG, "Learn mode", "choice", "close",
                   "learn_mode", pairs=(("close", False), ("single", True)),
                   setter=switch("set_learn_mode")),
    "sleep_mode": P(None, "sensor", DIAGNOSTIC, "Sleep mode", "text", "idle", None),
    "sleep_time": sensor(None, "Sleep time", 86168, "s", attr="sleep_time"),
    "sleep_data_num": sensor(None, "Sleep learn count", 30, attr="sleep_mode_learn_count"),
    "app_extra": P(None, "number", DIAGNOSTIC, "Extra features", "int", 0, "extra_features",
                   setter=number("set_extra_features"), probe=(-5, 256)),
    "act_det": cfg_switch("auto_detect", "Auto detect", "set_auto_detect", initial="off"),
    "button_pressed": P(None, "sensor", DIAGNOSTIC, "Button pressed", "text", "power",
                        "button_pressed"),
}

AIR_FRESH: dict[str, P] = {
    "power": power(),
    "temp_dec": AIR_PURIFIER["temp_dec"],
    "aqi": AIR_PURIFIER["aqi"],
    "average_aqi": AIR_PURIFIER["average_aqi"],
    "co2": sensor("co2", "CO₂", 620, "ppm", category=PRIMARY),
    "buzzer": AIR_PURIFIER["buzzer"],
    "child_lock": AIR_PURIFIER["child_lock"],
    "humidity": AIR_PURIFIER["humidity"],
    "led_level": P("led_brightness", "choice", CONFIG, "LED brightness", "choice", 0,
                   "led_brightness", enum=FreshLed,
                   setter=choose("set_led_brightness", FreshLed)),
    "mode": P("mode", "choice", CONTROL, "Mode", "choice", "auto", "mode", enum=FreshMode,
              setter=choose("set_mode", FreshMode)),
    "motor1_speed": AIR_PURIFIER["motor1_speed"],
    "use_time": AIR_PURIFIER["use_time"],
    "ntcT": sensor(None, "NTC temperature", 21, "°C", attr="ntc_temperature"),
    "app_extra": AIR_PURIFIER["app_extra"],
    "f1_hour_used": AIR_PURIFIER["f1_hour_used"],
    "filter_life": sensor("filter_life", "Filter life", 87, "%", attr="filter_life_remaining"),
    "f_hour": sensor(None, "Filter lifetime", 3500, "h", attr=None),
    "favorite_level": sensor("favorite_level", "Favourite level", 5, attr=None),
    "led": AIR_PURIFIER["led"],
    "ptc_state": cfg_switch("ptc", "Heater", "set_ptc", initial="off"),
}

T2017: dict[str, P] = {
    "power": power(codec="bool", initial=False),
    "mode": P("mode", "choice", CONTROL, "Mode", "choice", "auto", "mode", enum=T2017Mode,
              setter=choose("set_mode", T2017Mode)),
    "pm25": sensor("pm25", "PM2.5", 30, "µg/m³", category=PRIMARY),
    "co2": sensor("co2", "CO₂", 620, "ppm", category=PRIMARY),
    "temperature_outside": sensor("temperature", "Outside temperature", 12, "°C",
                                  category=PRIMARY, attr="temperature"),
    "favourite_speed": P("favorite_speed", "number", CONTROL, "Favourite speed", "int", 120,
                         "favorite_speed", unit="m³/h", setter=number("set_favorite_speed")),
    "control_speed": sensor("motor_speed", "Air flow", 0, "m³/h", attr="control_speed"),
    "ptc_on": cfg_switch("ptc", "Heater", "set_ptc", codec="bool", initial=False),
    "ptc_status": P(None, "binary_sensor", DIAGNOSTIC, "Heating", "bool", False, "ptc_status"),
    "child_lock": cfg_switch("child_lock", "Child lock", "set_child_lock", codec="bool",
                             initial=False),
    "sound": cfg_switch("buzzer", "Buzzer", "set_buzzer", codec="bool", initial=True,
                        attr="buzzer"),
    "display": cfg_switch("display", "Display", "set_display", codec="bool", initial=True),
    "filter_intermediate": sensor("filter_life", "Dust filter life", 80, "%",
                                  attr="dust_filter_life_remaining"),
    "filter_inter_day": sensor(None, "Dust filter days", 96, "d",
                               attr="dust_filter_life_remaining_days"),
    "filter_efficient": sensor(None, "Upper filter life", 75, "%",
                               attr="upper_filter_life_remaining"),
    "filter_effi_day": sensor(None, "Upper filter days", 200, "d",
                              attr="upper_filter_life_remaining_days"),
    "ptc_level": P("ptc_level", "choice", CONFIG, "Heater level", "choice", "low", "ptc_level",
                   enum=PtcLevel, setter=choose("set_ptc_level", PtcLevel)),
    "screen_direction": P("display_orientation", "choice", CONFIG, "Display orientation",
                          "choice", "forward", "display_orientation", enum=DisplayOrientation,
                          setter=choose("set_display_orientation", DisplayOrientation)),
    "filter_rate": sensor("filter_life", "Filter life", 80, "%",
                          attr="dust_filter_life_remaining"),
    "filter_day": sensor(None, "Filter days", 96, "d", attr="dust_filter_life_remaining_days"),
}

AIR_DOG: dict[str, P] = {
    "power": power(),
    "mode": P("mode", "choice", CONTROL, "Mode", "choice", "auto", "mode", enum=AirDogMode,
              setter=lambda d, v: d.set_mode_and_speed(member(AirDogMode, v)),
              set_args=("$value", 1)),
    "speed": P("fan_level", "number", CONTROL, "Fan speed", "int", 1, "speed",
               setter=lambda d, v: d.set_mode_and_speed(AirDogMode.Manual, v),
               set_args=(1, "$value"), probe=(-2, 20)),
    "lock": P("child_lock", "switch", CONFIG, "Child lock", "choice", "unlock", "child_lock",
              pairs=(("unlock", False), ("lock", True)), setter=switch("set_child_lock")),
    "clean": P("filter_needs_cleaning", "binary_sensor", DIAGNOSTIC, "Clean filters",
               "choice", "n", "clean_filters", pairs=(("n", False), ("y", True))),
    "pm": sensor("pm25", "PM2.5", 30, "µg/m³", category=PRIMARY, attr="pm25"),
    "hcho": sensor("hcho", "Formaldehyde", 2, "µg/m³", category=PRIMARY),
}

# ---- lights -----------------------------------------------------------------------------

BRIGHTNESS = {"kind": "number", "category": PRIMARY, "label": "Brightness", "unit": "%"}


def brightness(initial: int = 80, attr: str = "brightness", method: str = "set_brightness") -> P:
    return P("brightness", codec="int", initial=initial, attr=attr, setter=number(method),
             **BRIGHTNESS)  # type: ignore[arg-type]


def scene(method: str = "set_scene", attr: str = "scene", probe: tuple[int, int] = (-2, 20)) -> P:
    return P("scene", "number", CONTROL, "Scene", "int", 1, attr, setter=number(method),
             probe=probe)


def cct(attr: str = "color_temperature") -> P:
    return P("color_temp_level", "number", CONTROL, "Colour temperature", "int", 50, attr,
             unit="%", setter=number("set_color_temperature"))


def delay_off(label: str = "Delay off", unit: str = "s", key: str = "delay_off_countdown") -> P:
    return P("delay_off", "number", CONFIG, label, "int", 0, key, unit=unit,
             setter=number("delay_off"), probe=(-2, 2000))


PHILIPS_BULB: dict[str, P] = {
    "power": power(),
    "dv": delay_off(),
    "bri": brightness(),
    "bright": brightness(),
    "cct": cct(),
    "snm": scene(),
}

PHILIPS_EYECARE: dict[str, P] = {
    "power": power(),
    "bright": brightness(),
    "notifystatus": cfg_switch("reminder", "Eye rest reminder", "reminder_on", "reminder_off"),
    "ambstatus": cfg_switch("ambient", "Ambient light", "ambient_on", "ambient_off"),
    "ambvalue": P("ambient_brightness", "number", CONTROL, "Ambient brightness", "int", 50,
                  "ambient_brightness", unit="%", setter=number("set_ambient_brightness")),
    "eyecare": P("eyecare", "switch", CONTROL, "Eyecare", ON_OFF, "on", "eyecare",
                 setter=switch("eyecare_on", "eyecare_off")),
    "scene_num": scene(),
    "bls": cfg_switch("smart_night_light", "Smart night light", "smart_night_light_on",
                      "smart_night_light_off"),
    "dvalue": delay_off(unit="min"),
}

MOONLIGHT: dict[str, P] = {
    "pow": power(),
    "sta": sensor(None, "Sleep assistant", 0, attr="sleep_assistant"),
    "bri": brightness(),
    "rgb": P("rgb", "number", CONTROL, "Colour", "rgb", 16737280, "rgb",
             setter=rgb_tuple("set_rgb")),
    "cct": cct(),
    "snm": scene(probe=(-2, 5)),
    "spr": sensor(None, "Sleep off time", 0, "min", attr="sleep_off_time"),
    "spt": sensor(None, "Assisted sleep time", 0, "min", attr="total_assistant_sleep_time"),
    "wke": sensor(None, "Wake up", 0, attr=None),
    "bl": sensor(None, "Night light", 1, attr=None),
    "ms": sensor(None, "Brand sleep", 1, attr="brand_sleep", codec="int_bool"),
    "mb": sensor(None, "Brand", 1, attr="brand", codec="int_bool"),
    "wkp": P(None, "text", DIAGNOSTIC, "Wake up time", "text", [0, 0, 0], "wake_up_time"),
}

CEIL: dict[str, P] = {
    "power": power(),
    "bright": brightness(),
    "cct": cct(),
    "snm": scene(),
    "dv": delay_off(),
    "bl": P("smart_night_light", "switch", CONFIG, "Smart night light", "int_bool", 1,
            "smart_night_light", setter=switch("smart_night_light_on", "smart_night_light_off")),
    "ac": P("auto_color_temp", "switch", CONFIG, "Automatic colour temperature", "int_bool", 1,
            "automatic_color_temperature",
            setter=switch("automatic_color_temperature_on", "automatic_color_temperature_off")),
}

RWREAD: dict[str, P] = {
    "power": power(),
    "bright": brightness(),
    "dv": delay_off(),
    "snm": scene(),
    "flm": P("motion_detection", "switch", CONFIG, "Motion detection", "int_bool", 0,
             "motion_detection", setter=switch("set_motion_detection")),
    "chl": P("child_lock", "switch", CONFIG, "Child lock", "int_bool", 0, "child_lock",
             setter=switch("set_child_lock")),
    "flmv": P("motion_sensitivity", "choice", CONFIG, "Motion sensitivity", "choice", 2,
              "motion_detection_sensitivity", enum=RwreadSensitivity,
              setter=choose("set_motion_detection_sensitivity", RwreadSensitivity)),
}


def yeelight_props(prefix: str, color: bool, initial_ct: int | None) -> dict[str, P]:
    """The main light's (prefix "") or the background light's ("bg_") properties. Yeelight
    firmware answers every value as a string; the background has no setter in python-miio."""
    main = not prefix
    label = "" if main else "Background "
    props = {
        f"{prefix}power": P(f"{prefix}power", "switch", PRIMARY,
                            f"{label}Power".strip().capitalize(), ON_OFF, "off",
                            "is_on" if main else None,
                            setter=switch("on", "off") if main else None),
        f"{prefix}bright": P(f"{prefix}brightness", "number", PRIMARY if main else CONTROL,
                             f"{label}Brightness".strip().capitalize(), "int", "80",
                             "brightness" if main else None, unit="%",
                             setter=number("set_brightness") if main else None),
        ("color_mode" if main else "bg_lmode"): P(
            f"{prefix}color_mode", "choice", DIAGNOSTIC, f"{label}Colour mode".strip().capitalize(),
            "choice", "2", "color_mode" if main else None,
            pairs=(("1", "rgb"), ("2", "color_temp"), ("3", "hsv"))),
        f"{prefix}ct": P(f"{prefix}color_temp", "number", CONTROL,
                         f"{label}Colour temperature".strip().capitalize(), "int",
                         str(initial_ct or ""), "color_temp" if main else None, unit="K",
                         setter=number("set_color_temp") if main else None, probe=(500, 12000)),
        f"{prefix}flowing": P(None, "binary_sensor", DIAGNOSTIC, "Colour flowing", "int_bool",
                              "0", "color_flowing" if main else None),
        f"{prefix}flow_params": text("Flow parameters", ""),
    }
    if initial_ct is None:  # a bath heater's light: white, no colour temperature
        del props[f"{prefix}ct"]
    if color:
        props[f"{prefix}rgb"] = P(f"{prefix}rgb", "number", CONTROL,
                                  f"{label}Colour".strip().capitalize(), "rgb", "16737280",
                                  "rgb" if main else None,
                                  setter=rgb_tuple("set_rgb") if main else None)
        props[f"{prefix}hue"] = sensor(None, "Hue", "25", "°", attr=None)
        props[f"{prefix}sat"] = sensor(None, "Saturation", "100", "%", attr=None)
    return props


YEELIGHT_COMMON: dict[str, P] = {
    "name": P("name", "text", CONFIG, "Name", "text", "", "name", setter=number("set_name")),
    "lan_ctrl": P(None, "binary_sensor", DIAGNOSTIC, "Developer mode", "int_bool", "1",
                  "developer_mode"),
    "save_state": P(None, "binary_sensor", DIAGNOSTIC, "Save state", "int_bool", "1",
                    "save_state_on_change"),
    "delayoff": sensor(None, "Delay off", "0", "min", attr="delay_off"),
    "music_on": P(None, "binary_sensor", DIAGNOSTIC, "Music mode", "int_bool", "0",
                  "music_mode"),
}

YEELIGHT_NIGHT: dict[str, P] = {
    "active_mode": P("moonlight", "binary_sensor", DIAGNOSTIC, "Moonlight mode", "int_bool", "0",
                     "moonlight_mode"),
    "nl_br": sensor(None, "Moonlight brightness", "0", "%", attr=None),
}

YEELIGHT_ACTIONS = (A("toggle", "Toggle", lambda d: d.toggle()),)

# ---- cameras ----------------------------------------------------------------------------


def cam_switch(feature: str, label: str, on: str, off: str, category: str = CONFIG, **kw: Any) -> P:
    kw.setdefault("initial", "on")
    return P(feature, "switch", category, label, ON_OFF, attr=kw.pop("attr", feature),
             setter=switch(on, off), **kw)


NIGHT_MODE = (("0", "auto"), ("1", "off"), ("2", "on"))
CHUANGMI_CAMERA: dict[str, P] = {
    "power": cam_switch("power", "Power", "on", "off", PRIMARY),
    "motion_record": cam_switch("motion_record", "Motion recording", "motion_record_on",
                                "motion_record_off", CONTROL),
    "light": cam_switch("status_light", "Status light", "light_on", "light_off", attr="light"),
    "full_color": cam_switch("full_color", "Full colour at night", "full_color_on",
                             "full_color_off", initial="off"),
    "flip": cam_switch("flip", "Flip image", "flip_on", "flip_off", initial="off"),
    "improve_program": cam_switch("improve_program", "Improvement programme",
                                  "improve_program_on", "improve_program_off", initial="off"),
    "wdr": cam_switch("wdr", "Wide dynamic range", "wdr_on", "wdr_off"),
    "track": P("track", "switch", CONFIG, "Motion tracking", ON_OFF, "off", "track"),
    "sdcard_status": sensor(None, "SD card", 0, attr="sdcard_status"),
    "watermark": cam_switch("watermark", "Time watermark", "watermark_on", "watermark_off"),
    "max_client": sensor(None, "Max clients", 2, attr="max_client"),
    "night_mode": P("night_vision", "choice", CONTROL, "Night vision", "choice", 0, "night_mode",
                    pairs=((0, "auto"), (1, "off"), (2, "on")),
                    setter=lambda d, v: getattr(d, f"night_mode_{v}")()),
    "mini_level": sensor(None, "Mini level", 0, attr="mini_level"),
}

AQARA_CAMERA: dict[str, P] = {
    "app_type": text("App type", "lumi.camera.aq2", "type"),
    "video_state": P("power", "switch", PRIMARY, "Power", "int_bool", 1, "video_status",
                     setter=switch("on", "off")),
    "md_status": P("motion_detection", "switch", CONFIG, "Motion detection", "int_bool", 1, "md",
                   setter=switch("md_on", "md_off")),
    "mdsensitivity": P("motion_sensitivity", "choice", CONFIG, "Motion sensitivity", "choice",
                       10000000, "md_sensitivity", enum=AqaraSensitivity,
                       setter=choose("md_sensitivity", AqaraSensitivity)),
    "ir_status": P("night_vision", "switch", CONTROL, "Infrared", "int_bool", 1, "ir",
                   setter=switch("ir_on", "ir_off")),
    "led_status": P("status_light", "switch", CONFIG, "Status light", "int_bool", 1, "led",
                    setter=switch("led_on", "led_off")),
    "flip_state": P("flip", "switch", CONFIG, "Flip image", "int_bool", 0, "flipped",
                    setter=switch("flip_on", "flip_off")),
    "offset_x": sensor(None, "Offset x", 0, attr=None),
    "offset_y": sensor(None, "Offset y", 0, attr=None),
    "offset_radius": sensor(None, "Offset radius", 0, attr=None),
    "channel_id": sensor(None, "Channel", 0, attr="channel_id"),
    "fullstop": P("privacy", "switch", CONTROL, "Privacy (full stop)", "int_bool", 0, "fullstop",
                  setter=switch("fullstop_on", "fullstop_off")),
    "p2p_id": text("P2P id", "LUMI-000000-ABCDE", "p2p_id"),
    "avID": text("AV id", "admin", "av_id"),
    "avPass": text("AV password", "sim-pass", "av_password"),
}

# ---- per class ----------------------------------------------------------------------------


@dataclass(frozen=True)
class ClassFacts:
    cls: type[Any]
    family: str
    description: str
    props: dict[str, P]
    actions: tuple[A, ...] = ()


LEGACY: dict[str, ClassFacts] = {
    "AirPurifier": ClassFacts(miio.AirPurifier, "air-purifier", "Mi Air Purifier",
                              AIR_PURIFIER, (A("reset_filter", "Reset filter",
                                               lambda d: d.reset_filter()),)),
    "AirFresh": ClassFacts(miio.AirFresh, "air-fresh", "Mi Air Fresh", AIR_FRESH,
                           (A("reset_filter", "Reset filter", lambda d: d.reset_filter()),)),
    "AirFreshT2017": ClassFacts(miio.AirFreshT2017, "air-fresh", "Mi Fresh Air Ventilator",
                                T2017, (A("reset_filter", "Reset dust filter",
                                          lambda d: d.reset_dust_filter()),)),
    "AirDogX3": ClassFacts(miio.AirDogX3, "air-purifier", "Airdog Air Purifier", AIR_DOG,
                           (A("filters_cleaned", "Filters cleaned",
                              lambda d: d.set_filters_cleaned()),)),
    "Yeelight": ClassFacts(miio.Yeelight, "light", "Yeelight", {}, YEELIGHT_ACTIONS),
    "PhilipsBulb": ClassFacts(miio.PhilipsBulb, "light", "Philips Zhirui Bulb", PHILIPS_BULB),
    "PhilipsEyecare": ClassFacts(miio.PhilipsEyecare, "light", "Philips Eyecare Lamp",
                                 PHILIPS_EYECARE),
    "PhilipsMoonlight": ClassFacts(miio.PhilipsMoonlight, "light", "Philips Moonlight",
                                   MOONLIGHT),
    "Ceil": ClassFacts(miio.Ceil, "light", "Philips Zhirui Ceiling Lamp", CEIL),
    "PhilipsRwread": ClassFacts(miio.PhilipsRwread, "light", "Philips Zhirui Desk Lamp", RWREAD),
    "ChuangmiCamera": ClassFacts(miio.ChuangmiCamera, "camera", "Xiaomi Home Camera",
                                 CHUANGMI_CAMERA,
                                 (A("alarm", "Sound the alarm", lambda d: d.alarm()),)),
    "AqaraCamera": ClassFacts(miio.AqaraCamera, "camera", "Aqara Camera", AQARA_CAMERA),
}

# ---- MIoT purifiers: python-miio mapping name -> what its spec property is -----------------


@dataclass(frozen=True)
class M:
    service: str
    prop: str
    format: str
    unit: str | None = None
    range: tuple[float, float, float] | None = None
    enum: type[enum.Enum] | None = None
    setter: Recipe | None = None
    attr: str | None = None


MIOT_PURIFIER: dict[str, M] = {
    "power": M("air-purifier", "on", "bool", setter=switch("on", "off"), attr="is_on"),
    "fan_level": M("air-purifier", "fan-level", "uint8", setter=number("set_fan_level")),
    "mode": M("air-purifier", "mode", "uint8", enum=MiotMode, setter=choose("set_mode", MiotMode)),
    "anion": M("air-purifier", "anion", "bool", setter=switch("set_anion")),
    "humidity": M("environment", "relative-humidity", "uint8", "percentage", (0, 100, 1)),
    "temperature": M("environment", "temperature", "float", "celsius", (-40, 125, 0.1)),
    "aqi": M("environment", "pm2.5-density", "float", "μg/m3", (0, 600, 1)),
    "pm10_density": M("environment", "pm10-density", "float", "μg/m3", (0, 600, 1)),
    "tvoc": M("environment", "tvoc-density", "uint16", None, (0, 1000, 1)),
    "filter_life_remaining": M("filter", "filter-life-level", "uint8", "percentage", (0, 100, 1)),
    "filter_hours_used": M("filter", "filter-used-time", "uint16", "hours", (0, 10000, 1)),
    "filter_left_time": M("filter", "filter-left-time", "uint16", "days", (0, 3650, 1)),
    "buzzer": M("alarm", "alarm", "bool", setter=switch("set_buzzer")),
    # python-miio's set_volume looks for "volume" in a mapping that calls it "buzzer_volume",
    # so it refuses every model: the range is the mb3 spec's.
    "buzzer_volume": M("alarm", "volume", "uint8", None, (0, 100, 1), setter=number("set_volume")),
    "led_brightness": M("indicator-light", "brightness", "uint8", enum=MiotLed,
                        setter=choose("set_led_brightness", MiotLed)),
    "led_brightness_level": M("indicator-light", "brightness-level", "uint8",
                              setter=number("set_led_brightness_level")),
    "led": M("indicator-light", "on", "bool", setter=switch("set_led")),
    "child_lock": M("physical-controls-locked", "physical-controls-locked", "bool",
                    setter=switch("set_child_lock")),
    "favorite_level": M("motor-speed", "favorite-fan-level", "uint8",
                        setter=number("set_favorite_level")),
    "favorite_rpm": M("motor-speed", "motor-speed-set", "uint16", "rpm",
                      setter=number("set_favorite_rpm")),
    "motor_speed": M("motor-speed", "motor-speed", "uint16", "rpm", (0, 65535, 1)),
    "use_time": M("use-time", "use-time", "int32", "seconds", (0, 2147483600, 1)),
    "purify_volume": M("aqi", "purify-volume", "int32", "m3", (0, 2147483600, 1)),
    "average_aqi": M("aqi", "average-aqi", "uint16", "μg/m3", (0, 600, 1)),
    "aqi_realtime_update_duration": M("aqi", "aqi-realtime-update-duration", "uint8", "seconds",
                                      (0, 255, 1)),
    "filter_rfid_tag": M("rfid", "rfid-tag", "string"),
    "filter_rfid_product_id": M("rfid", "rfid-product-id", "string"),
    "app_extra": M("other", "app-extra", "uint8", None, (0, 255, 1)),
    "gestures": M("other", "gestures", "bool", setter=switch("set_gestures")),
    "device-display-unit": M("device-display-unit", "temperature-display-unit", "uint8", None,
                             None),
}
# fmt: on
