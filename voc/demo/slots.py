"""Slot values for the phrase banks, and synthetic PII.

PII here is fake but well-formed: card numbers pass the Luhn check, IBANs
have correct mod-97 check digits, phone numbers use ranges reserved for
fiction (555-01xx, Ofcom drama numbers), IPs are documentation ranges. The
cleaning stage has to redact all of them.
"""

from __future__ import annotations

import random
import string
from datetime import datetime
from typing import Any

from voc.demo.generic import AGENT_NAMES

DEVICES: tuple[str, ...] = (
    "Northwind Hub",
    "Hub Mini",
    "Sense 2 sensor",
    "Northwind Tag",
    "hub",
    "device",
    "Hub Pro",
    "thermostat",
    "Sense temperature sensor",
    "gateway",
)
PLANS: tuple[str, ...] = ("Starter", "Plus", "Pro", "Business", "Enterprise")
CARRIERS: tuple[str, ...] = ("UPS", "FedEx", "DHL", "DPD", "Royal Mail", "the courier", "USPS", "GLS")
WEEKDAYS: tuple[str, ...] = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
MONTHS: tuple[str, ...] = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)
PHONES: tuple[str, ...] = (
    "Pixel 8",
    "Pixel 9",
    "iPhone 15",
    "iPhone 16 Pro",
    "Galaxy S24",
    "Galaxy A54",
    "OnePlus 12",
    "iPad",
    "Moto G",
    "Xiaomi 14",
)
BROWSERS: tuple[str, ...] = ("Chrome", "Safari", "Firefox", "Edge")
INTEGRATIONS: tuple[str, ...] = (
    "Salesforce",
    "Slack",
    "Microsoft Teams",
    "Zapier",
    "HubSpot",
    "Google Sheets",
    "Power BI",
    "SAP",
    "ServiceNow",
)
WEEKS_WORDS: tuple[str, ...] = (
    "two weeks",
    "three weeks",
    "a couple of weeks",
    "over a week",
    "nearly a month",
    "10 days",
    "2 weeks",
    "3 weeks",
)
NTH: tuple[str, ...] = ("second", "third", "fourth", "fifth")


def luhn_card(rng: random.Random) -> str:
    """A 16-digit card number that passes the Luhn check, grouped like people type it."""
    prefix = rng.choice(("4", "51", "52", "55", "4"))
    digits = [int(c) for c in prefix] + [rng.randrange(10) for _ in range(15 - len(prefix))]
    total = 0
    for i, d in enumerate(reversed(digits)):  # positions counted from the check digit's left
        d2 = d * 2 if i % 2 == 0 else d
        total += d2 - 9 if d2 > 9 else d2
    digits.append((10 - total % 10) % 10)
    s = "".join(map(str, digits))
    sep = rng.choice((" ", "-", "", " "))
    return sep.join(s[i : i + 4] for i in range(0, 16, 4))


def iban(rng: random.Random) -> str:
    """A German or British IBAN with valid check digits, in print format."""
    if rng.random() < 0.6:
        country, bban = "DE", "".join(str(rng.randrange(10)) for _ in range(18))
    else:
        bank = "".join(rng.choice(string.ascii_uppercase) for _ in range(4))
        country, bban = "GB", bank + "".join(str(rng.randrange(10)) for _ in range(14))
    numeric = "".join(str(int(c, 36)) for c in bban + country + "00")
    check = 98 - int(numeric) % 97
    raw = f"{country}{check:02d}{bban}"
    return " ".join(raw[i : i + 4] for i in range(0, len(raw), 4))


def phone(rng: random.Random) -> str:
    """A phone number in a range reserved for fiction."""
    kind = rng.randrange(4)
    if kind == 0:
        return f"+1 {rng.choice(('415', '212', '312', '646'))} 555 01{rng.randrange(100):02d}"
    if kind == 1:
        return f"(415) 555-01{rng.randrange(100):02d}"
    if kind == 2:
        return f"+44 20 7946 0{rng.randrange(1000):03d}"
    return f"+49 30 {rng.randrange(10000000, 99999999)}"


def ip_address(rng: random.Random) -> str:
    """An address from the documentation ranges (RFC 5737)."""
    net = rng.choice(("192.0.2", "198.51.100", "203.0.113"))
    return f"{net}.{rng.randrange(1, 255)}"


def order_no(rng: random.Random) -> str:
    return f"NW-{rng.randrange(100000, 999999)}"


class Slots(dict[str, Any]):
    """Slot values for one item, drawn on first use so unused slots cost nothing.

    `context` holds per-item facts (app version, company, date) that slot
    values must agree with.
    """

    def __init__(self, rng: random.Random, context: dict[str, Any]) -> None:
        super().__init__(context)
        self._rng = rng

    def __missing__(self, key: str) -> Any:
        value = self._draw(key)
        self[key] = value
        return value

    def _draw(self, key: str) -> Any:
        r = self._rng
        created: datetime = self["created"]
        match key:
            case "device":
                return r.choice(DEVICES) if r.random() < 0.8 else self["product"]
            case "order":
                return order_no(r)
            case "days":
                return r.choice((3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 15, 17, 19, 21, 24))
            case "weeks":
                return r.choice(WEEKS_WORDS)
            case "years":
                return r.choice(("two", "three", "5", "4", "six", "2", "several"))
            case "amount":
                cur = r.choice(("$", "$", "$", "€", "£"))
                return f"{cur}{r.choice((9.99, 14.99, 19.99, 29, 49.99, 59, 89, 129, 149.5, 240, 1180, 2450, 4999)):,}"
            case "plan":
                return r.choice(PLANS)
            case "plan2":
                return r.choice([p for p in PLANS if p != self["plan"]])
            case "carrier":
                return r.choice(CARRIERS)
            case "weekday":
                return r.choice(WEEKDAYS)
            case "date":
                # a day before the item was written: this month or the previous one
                day = r.randrange(1, 29)
                month = (created.month - 1 - (1 if day >= created.day else 0)) % 12 + 1
                name = MONTHS[month - 1]
                return r.choice((f"{day} {name}", f"{name} {day}", f"{day}/{month:02d}", f"{name} {day}"))
            case "phone_model":
                return r.choice(PHONES)
            case "browser":
                return r.choice(BROWSERS)
            case "integration":
                return r.choice(INTEGRATIONS)
            case "hours":
                return r.choice((2, 3, 4, 5, 6, 8, 12, 24, 36, 48))
            case "minutes":
                return r.choice((10, 15, 20, 25, 30, 40, 45, 55, 70, 90))
            case "seconds":
                return r.choice((20, 30, 45, 60, 90))
            case "times":
                return r.choice(("three", "four", "5", "six", "a dozen", "10", "several", "two"))
            case "n_devices":
                return r.choice((3, 5, 8, 12, 20, 25, 40, 60, 120, 250))
            case "n_broken":
                return r.choice(("two", "three", "4"))
            case "n_users":
                return r.choice((5, 12, 18, 25, 40, 75, 120, 300))
            case "n_users2":
                return max(1, int(self["n_users"]) // 2)
            case "agent":
                return r.choice(AGENT_NAMES)
            case "ticket":
                return r.randrange(100000, 999999)
            case "invoice":
                return f"INV-{created.year}-{r.randrange(10000, 99999)}"
            case "account":
                return f"ACC-{r.randrange(100000, 999999)}"
            case "error_code":
                return r.choice(("E-1042", "E-203", "0x80070005", "ERR_PAIR_TIMEOUT", "401", "E-77"))
            case "nth":
                return r.choice(NTH)
            case "company":
                return "our company"
            case _:
                raise KeyError(f"no slot named {key!r} in the demo phrase banks")
