"""统一社会信用代码 (unified social credit code, GB 32100-2015): 18 characters with a check character."""
from __future__ import annotations

CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
"""The 31 characters the code uses: digits and capitals without I, O, S, V, Z."""
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)


def check_character(first17: str) -> str:
    total = sum(CHARSET.index(ch) * w for ch, w in zip(first17, WEIGHTS, strict=True))
    return CHARSET[(31 - total % 31) % 31]


def credit_code_error(code: str) -> str | None:
    """Why ``code`` is not a valid 统一社会信用代码, or None when it is."""
    if not isinstance(code, str) or len(code) != 18:
        return "a unified social credit code has exactly 18 characters"
    bad = sorted({ch for ch in code if ch not in CHARSET})
    if bad:
        return f"characters not used in credit codes: {''.join(bad)} (capitals only, no I, O, S, V, Z)"
    if not code[2:8].isdigit():
        return "characters 3 to 8 are the administrative division code (six digits)"
    if check_character(code[:17]) != code[17]:
        return f"the check character should be {check_character(code[:17])}, not {code[17]}"
    return None
