"""Pure rules behind the customer archive: the credit-code check and name folding."""

import random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from salesdesk.lib import names, uscc

# Unified Social Credit Code ------------------------------------------------------------

KNOWN_GOOD = "91110000802100433B"  # a published code (Bank of China's)


def test_it_accepts_a_valid_credit_code():
    assert uscc.validate(KNOWN_GOOD) == KNOWN_GOOD


@pytest.mark.parametrize(
    "written",
    [" 91110000802100433b ", "9111-0000-8021-0043-3B", "９１１１００００８０２１００４３３Ｂ"],
)
def test_it_cleans_case_spaces_dashes_and_full_width_characters(written):
    assert uscc.validate(written) == KNOWN_GOOD


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("91110000802100433", "must be 18 characters, got 17"),
        ("91110000802100433BX", "must be 18 characters, got 19"),
        ("91110000802100433C", "check character does not match"),
        ("9111000080210043IB", "cannot have"),  # I is not in the alphabet
        ("9111000080210043OB", "cannot have"),
        ("91110000802100433I", "check character does not match"),
        ("A1110000802100433B", "cannot have"),
    ],
)
def test_it_says_why_a_credit_code_is_invalid(text, why):
    with pytest.raises(uscc.InvalidCreditCode, match=why):
        uscc.validate(text)


@given(st.integers(min_value=0, max_value=2**32))
def test_it_generates_only_valid_codes_and_rejects_any_other_check_character(seed):
    code = uscc.generate(random.Random(seed))

    assert uscc.validate(code) == code
    for wrong in uscc.ALPHABET:
        if wrong != code[-1]:
            with pytest.raises(uscc.InvalidCreditCode):
                uscc.validate(code[:-1] + wrong)


# Name folding -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "spelling",
    [
        "中建三局有限公司",
        "中建三局股份有限公司",
        "中建三局（武汉）有限公司",
        "中建三局集团有限公司",
        " 中建三局 有限公司 ",
    ],
)
def test_it_folds_spellings_of_one_company_to_one_key(spelling):
    assert names.fold(spelling) == "中建三局"


def test_it_folds_traditional_and_full_width_spellings():
    assert names.fold("北京城建集團有限公司") == names.fold("北京城建集团有限公司") == "北京城建"
    assert names.fold("ＡＢＣ Co., Ltd.") == names.fold("abc co ltd") == "abc"


def test_it_never_folds_a_name_that_is_only_a_legal_form_to_nothing():
    assert names.fold("公司") == "公司"
    assert names.fold("集团有限公司") != ""


@pytest.mark.parametrize(
    ("name", "initials"),
    [
        ("中建三局有限公司", "zjsj"),
        ("北京城建集团有限责任公司", "bjcj"),
        ("ABC建材有限公司", "abcjc"),
    ],
)
def test_it_gives_the_pinyin_initials_users_type(name, initials):
    assert names.pinyin_initials(name) == initials
    assert names.search_key(name).split()[-1] == initials
