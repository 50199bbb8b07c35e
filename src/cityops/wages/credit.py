"""统一社会信用代码 (unified social credit identifier) by GB 32100-2015: 18 characters from a 31-character
alphabet (no I, O, S, V, Z); the 18th is a check character over the first 17 with fixed weights."""

from __future__ import annotations

from cityops.core.errors import Invalid

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)  # 3^i mod 31
REGISTRARS = "123456789ABCDEFGHNY"  # 登记管理部门代码 (first character)


def check_char(first17: str) -> str:
    total = sum(ALPHABET.index(c) * w for c, w in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def problem(code: str) -> str | None:
    """Why `code` is not a valid credit code (Chinese / English), or None when it is."""
    if len(code) != 18:
        return "统一社会信用代码应为18位 / the credit code has 18 characters"
    bad = [c for c in code if c not in ALPHABET]
    if bad:
        return f"含有不允许的字符「{bad[0]}」/ character {bad[0]!r} is not allowed"
    if code[0] not in REGISTRARS:
        return "第1位登记管理部门代码无效 / the registrar code (1st character) is invalid"
    if not code[2:8].isdigit():
        return "第3-8位应为行政区划代码 / characters 3-8 are the administrative division code"
    if check_char(code[:17]) != code[17]:
        return "校验位不符，请核对代码 / the check character does not match"
    return None


def validate(raw: str, field: str = "credit_code") -> str:
    """The normalised (upper-case, trimmed) code, or Invalid naming the field."""
    code = raw.strip().upper()
    why = problem(code)
    if why is not None:
        raise Invalid(why, field=field, code="wages.invalid_credit_code")
    return code


def make(first17: str) -> str:
    """A code with its check character (demo data and tests build valid codes with it)."""
    return first17 + check_char(first17)
