"""ID numbers (GB 11643) and phone numbers: pure, table-driven."""

from datetime import date

import pytest

from jiceng.lib import idcard, phones

TODAY = date(2026, 5, 1)
GOOD = idcard.make("610921", date(1980, 1, 1), 1)  # a fictitious, well-formed number


@pytest.mark.parametrize(
    "number, ok, reason",
    [
        # the published GB 11643 example, check digit X
        ("11010519491231002X", True, ""),
        ("11010519491231002x", True, ""),  # lower-case x is the same number
        (" 11010519491231002X ", True, ""),  # spaces around
        ("１１０１０５１９４９１２３１００２Ｘ", True, ""),  # full-width digits
        (GOOD, True, ""),
        ("110105194912310021", False, "校验位"),  # wrong check digit
        ("11010519491331002X", False, "出生日期"),  # month 13
        ("110105194902300021", False, "出生日期"),  # 30 February
        ("110105203001010011", False, "出生日期"),  # born in the future
        ("110105185001010011", False, "出生日期"),  # before 1880
        ("000000198001010011", False, "行政区划"),  # no such province
        ("110000198001010011", False, "行政区划"),  # a province is not a place of registration
        ("99092119800101001X", False, "行政区划"),
        ("1101051949123100", False, "18位"),  # too short
        ("11010519491231002XX", False, "18位"),
        ("11010519491231002A", False, "数字"),
        ("", False, "为空"),
        ("110105491231002", True, ""),  # 15-digit, upgraded to 18
    ],
)
def test_id_numbers_are_checked_for_check_digit_birth_date_and_region(number, ok, reason):
    if ok:
        assert idcard.parse(number, TODAY).number.endswith(("X", *"0123456789"))
    else:
        with pytest.raises(idcard.IdCardError, match=reason):
            idcard.parse(number, TODAY)


def test_a_15_digit_number_becomes_its_18_digit_form():
    assert idcard.parse("110105491231002", TODAY).number == "11010519491231002X"


def test_sex_and_birth_date_come_from_the_number():
    card = idcard.parse("11010519491231002X", TODAY)
    assert card.birth_date == date(1949, 12, 31)
    assert card.sex == "F"  # 17th digit 2 is even
    assert card.age_on(date(2026, 5, 1)) == 76


def test_a_masked_number_hides_the_birth_date():
    assert idcard.mask("11010519491231002X") == "110***********002X"


@pytest.mark.parametrize(
    "raw, expected",
    [
        ("13991500001", "13991500001"),
        ("139 9150 0001", "13991500001"),
        ("+86 139 9150 0001", "13991500001"),
        ("8613991500001", "13991500001"),
        ("0915-5212345", "0915-5212345"),
        ("(0915)5212345", "0915-5212345"),
        ("010-62345678", "010-62345678"),
        ("010-12345678", None),  # a local number never starts with 1
        ("0915-5212345-801", "0915-5212345-801"),
        ("12991500001", None),  # no mobile starts with 12
        ("1399150000", None),  # 10 digits
        ("5212345", None),  # landline without area code
        ("0915-0212345", None),  # a local number never starts with 0
        ("abc", None),
        # issue 10 item 5: the ways people write one number are one number
        ("１３９ ９１５０ ０００１", "13991500001"),
        ("0086-139-9150-0001", "13991500001"),
        ("139.9150.0001", "13991500001"),
        ("0915 5212345", "0915-5212345"),
        ("09155212345", "0915-5212345"),
        ("+86 915 5212345", "0915-5212345"),
        ("+86 (915) 521-2345", "0915-5212345"),
        ("+86 10 62345678", "010-62345678"),
        ("+1 555 123 4567", None),
    ],
)
def test_phone_numbers_are_checked_and_normalised(raw, expected):
    if expected is None:
        with pytest.raises(phones.PhoneError):
            phones.normalise(raw)
    else:
        assert phones.normalise(raw) == expected


@pytest.mark.parametrize(
    "phone, masked",
    [("13991500001", "139****0001"), ("0915-5212345", "0915-***2345"), ("", "")],
)
def test_phones_are_masked_keeping_the_last_four_digits(phone, masked):
    assert phones.mask(phone) == masked


@pytest.mark.parametrize(
    "code, error",
    [
        ("91610921MA70XY1234", None),  # made below with the right check character
        ("91610921ma70xy1234", None),
        ("91610921MA70XY123", "18位"),
        ("91610921MA70XO1234", "不允许的字符"),
        ("91AB0921MA70XY1234", "行政区划"),
        ("91610921MA70XY123X", "校验位"),
    ],
)
def test_credit_codes_are_checked(code, error):
    from jiceng.lib import creditcode

    # replace the last character of the valid examples by the true check character
    if error is None or error == "校验位":
        good = creditcode.make(code.upper()[:17])
        code = good if error is None else code[:17] + ("0" if good[17] != "0" else "1")
    if error:
        with pytest.raises(creditcode.CreditCodeError, match=error):
            creditcode.normalise(code)
    else:
        assert creditcode.normalise(code.lower()) == code.upper()


def test_a_published_credit_code_passes():
    from jiceng.lib import creditcode

    # 国家市场监督管理总局's example in GB 32100-2015 Annex: 91350100M000100Y43
    assert creditcode.normalise("91350100M000100Y43") == "91350100M000100Y43"


def test_the_keyed_hashes_are_djangos_salted_hmac(settings):
    """id_hash / phone_hash keep their HMAC state per key (decision 0058): the digests are
    those stored so far, and a new key gives new digests."""
    from django.utils.crypto import salted_hmac

    from jiceng.people import services

    def reference(salt: str, value: str) -> str:
        return salted_hmac(salt, value, secret=services._key(), algorithm="sha256").hexdigest()

    for _ in range(2):
        assert services.id_hash("id_card", "61092119800101001X") == reference(
            "jiceng.people.id", "id_card:61092119800101001X"
        )
        assert services.phone_hash("13991500001") == reference("jiceng.people.phone", "13991500001")
    before = services.phone_hash("13991500001")
    settings.JICENG_PII_KEY = "another-key-for-this-test"
    assert services.phone_hash("13991500001") != before
    assert services.phone_hash("13991500001") == reference("jiceng.people.phone", "13991500001")
    assert services.phone_hash("") == ""


@pytest.mark.parametrize(
    "utc, born_today_ok, age_of_2008_12_08",
    [
        # 16:30 UTC on 7 December is already 00:30 on the 8th in Asia/Shanghai: a child born
        # today (local) is accepted and someone born on 8 December 2008 is 18 today
        ("2026-12-07T16:30:00+00:00", True, 18),
        # 15:30 UTC is still the 7th locally: the 8th is tomorrow
        ("2026-12-07T15:30:00+00:00", False, 17),
    ],
)
def test_birth_dates_and_ages_turn_at_local_midnight_not_utc(utc, born_today_ok, age_of_2008_12_08):
    import time_machine

    from jiceng.people import privacy

    with time_machine.travel(utc, tick=False):
        assert idcard.is_valid(idcard.make("610921", date(2026, 12, 8), 1)) is born_today_ok
        assert privacy.age(date(2008, 12, 8)) == age_of_2008_12_08
