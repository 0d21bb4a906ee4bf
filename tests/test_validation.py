"""Japanese input rules: full-width input normalised first, then validated."""

import pytest

from kyodo_match.validation import (
    clean_corporate_number,
    clean_email,
    clean_kana,
    clean_phone,
    clean_postal_code,
    clean_url,
    corporate_number_check_digit,
)


@pytest.mark.parametrize(("raw", "expected"), [
    ("0575-22-3131", "0575-22-3131"),
    ("０５７５－２２－３１３１", "0575-22-3131"),
    ("０９０ー１２３４ー５６７８", "090-1234-5678"),
    ("09012345678", "09012345678"),
])
def test_phone_numbers_are_normalised(app, raw, expected):
    assert clean_phone(raw) == expected


@pytest.mark.parametrize("raw", ["12345", "abc-defg-hijk", "1575-22-3131", "0575-22-31311234", "06012345678"])
def test_bad_phone_numbers_are_refused_in_japanese(app, raw):
    with pytest.raises(ValueError, match="電話番号"):
        clean_phone(raw)


def test_postal_codes(app):
    assert clean_postal_code("〒５０１－３８９４") == "501-3894"
    assert clean_postal_code("5013894") == "501-3894"
    with pytest.raises(ValueError, match="郵便番号"):
        clean_postal_code("501-389")


def test_corporate_number_check_digit(app):
    # National Tax Agency's published example: 法人番号 7000012050002 (国税庁).
    assert corporate_number_check_digit("000012050002") == 7
    assert clean_corporate_number("７０００－０１２０５－０００２") == "7000012050002"
    with pytest.raises(ValueError, match="正しくありません"):
        clean_corporate_number("8000012050002")
    with pytest.raises(ValueError, match="13桁"):
        clean_corporate_number("700001205000")


@pytest.mark.parametrize("raw", ["javascript:alert(1)", "data:text/html,x", "ftp://example.jp", "example.jp", "http://"])
def test_only_http_and_https_urls(app, raw):
    with pytest.raises(ValueError, match="http"):
        clean_url(raw)


def test_urls_and_emails_accept_full_width_input(app):
    assert clean_url("ｈｔｔｐｓ：／／ｅｘａｍｐｌｅ．ｊｐ／") == "https://example.jp/"
    assert clean_email("ＳＥＫＩ＠ＥＸＡＭＰＬＥ．ＪＰ") == "seki@example.jp"
    with pytest.raises(ValueError, match="メールアドレス"):
        clean_email("seki@")


def test_kana(app):
    assert clean_kana("せき はなこ") == "せき はなこ"
    assert clean_kana("ｾｷ ﾊﾅｺ") == "セキ ハナコ"
    with pytest.raises(ValueError, match="ふりがな"):
        clean_kana("関 花子")
