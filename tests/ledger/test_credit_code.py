import pytest

from fund_ledger.ledger.credit_code import CHARSET, check_character, credit_code_error

# Published codes (registries list them openly): their check characters must agree with ours.
KNOWN_VALID = ["91350100M000100Y43", "91110000600037341L", "11100000000013127D"]


@pytest.mark.parametrize("code", KNOWN_VALID)
def test_published_codes_are_valid(code):
    assert credit_code_error(code) is None


@pytest.mark.parametrize("code, message", [
    ("91350100M000100Y4", "exactly 18"),
    ("91350100M000100Y433", "exactly 18"),
    ("91350100M000100Y44", "check character should be 3"),
    ("91350100M000100I43", "no I, O, S, V, Z"),
    ("91350100m000100Y43", "capitals only"),
    ("91ABCDEFM000100Y43", "administrative division"),
    ("", "exactly 18"),
])
def test_bad_codes_say_why(code, message):
    assert message in credit_code_error(code)


def test_every_single_character_change_is_caught():
    code = KNOWN_VALID[0]
    for i in range(18):
        for ch in CHARSET:
            if ch != code[i]:
                changed = code[:i] + ch + code[i + 1:]
                if i in range(2, 8) and not ch.isdigit():
                    continue
                assert credit_code_error(changed) is not None, changed
    assert check_character(code[:17]) == code[17]
