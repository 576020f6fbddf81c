"""Unified Social Credit Code (统一社会信用代码): cleaning, validation, generation."""

import random

from stdnum.cn import uscc
from stdnum.exceptions import ValidationError

# Characters allowed in positions 9-17 and the check position (no I, O, Z, S, V).
ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


class InvalidCreditCode(ValueError):
    """The text is not a valid Unified Social Credit Code."""


def clean(text: str) -> str:
    """Upper-case, drop spaces and dashes, fold full-width characters."""
    folded = "".join(
        chr(ord(ch) - 0xFEE0) if "\uff01" <= ch <= "\uff5e" else ch for ch in text.strip()
    )
    return uscc.compact(folded).upper()


def validate(text: str) -> str:
    """Return the compact code, or raise InvalidCreditCode saying what is wrong."""
    code = clean(text)
    if len(code) != 18:
        raise InvalidCreditCode(f"must be 18 characters, got {len(code)}")
    try:
        return uscc.validate(code)
    except ValidationError as exc:
        # calc_check_digit raises ValueError on a character outside the alphabet (I, O, S,
        # V, Z), so only compute it for a body made of allowed characters.
        body_ok = code[:8].isdigit() and all(ch in ALPHABET for ch in code[:17])
        if body_ok and code[-1] != uscc.calc_check_digit(code[:17]):
            raise InvalidCreditCode("check character does not match") from exc
        raise InvalidCreditCode("contains characters a credit code cannot have") from exc


def generate(rng: random.Random, region_code: str = "110105") -> str:
    """A random valid code: registration department 9 (industry and commerce), type 1
    (enterprise), the given 6-digit region, a 9-character organisation code, a check char."""
    body = "91" + region_code + "".join(rng.choice(ALPHABET[:10]) for _ in range(8))
    body += rng.choice(ALPHABET)
    return body + uscc.calc_check_digit(body)
