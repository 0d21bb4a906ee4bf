"""The matcher's Japanese analysis: spelling variants and synonyms meet; unrelated words do not; odd text is safe."""

from __future__ import annotations

import threading

import pytest

from kyodo_match.search.analysis import concepts, fold, parse_synonyms, related, words

# Pairs a coordinator would call the same thing: they must share a word or a concept.
SAME = [
    ("草刈り", "草刈"), ("草刈り", "除草"), ("草刈り", "くさかり"), ("草刈り", "刈払機での作業"), ("草刈", "草むしり"),
    ("ＩＴ", "IT"), ("ゴミ", "ごみ"), ("子ども", "子供"), ("お年寄り", "高齢者"), ("シニア", "老人"),
    ("ＰＣ講座", "PC講座"), ("ゴミ拾い", "ごみ拾い"), ("ｽﾏﾎ", "スマートフォン"), ("読み聞かせ", "よみきかせ"),
    ("車椅子の介助", "車いすを押す"), ("送り迎え", "送迎"), ("雪かき", "除雪作業"), ("手話", "しゅわ"),
    ("ノートテイク", "要約筆記"), ("パソコン", "ＩＴ支援"), ("引っ越し", "引越し"), ("受付", "受け付け"),
    ("話し相手", "おしゃべりの相手"), ("草を刈るのは得意です", "草刈り"), ("河原のごみ回収", "川の清掃"),
    ("ＡＥＤ", "心肺蘇生"), ("一人暮らしのお年寄りに声をかけています", "高齢者の見守り"),
]
DIFFERENT = [("見守り", "お守り"), ("草刈り", "手話"), ("it", "with"), ("子育て中の30代です", "保育")]


def _meet(a: str, b: str) -> bool:
    return bool(set(words(a)) & set(words(b)) or set(concepts(a)) & set(concepts(b)))


@pytest.mark.parametrize(("a", "b"), SAME)
def test_variants_meet(a, b):
    assert _meet(a, b), (words(a), concepts(a), words(b), concepts(b))


@pytest.mark.parametrize(("a", "b"), DIFFERENT)
def test_unrelated_words_do_not_meet_through_concepts(a, b):
    assert not set(concepts(a)) & set(concepts(b))


def test_sudachi_normalises_and_folds():
    assert words("子ども") == words("子供")
    assert words("ＩＴ") == words("IT") == ["it"]
    assert fold("ＰＣ") == "pc"


def test_dictionary_file_format():
    syn = parse_synonyms("# comment\n草刈り: 除草, ｸｻｶﾘ\n花壇: 植栽\n~ 草刈り: 花壇, 未知の概念\n! 子育て中\n")
    assert syn.phrases["くさかり"] == {"草刈り"} and syn.phrases["除草"] == {"草刈り"}
    assert syn.related["草刈り"] == {"花壇"}
    assert syn.ignore == ["子育て中"]


def test_related_concepts_are_weaker_links():
    assert "見守り・安否確認" in related(["高齢者"])
    assert "高齢者" not in related(["高齢者"])


ODD = ["*", "field:", 'text:"', '"unbalanced', "a" * 10_000, "あ" * 10_000, "\x00", "", None]


@pytest.mark.parametrize("text", ODD)
def test_odd_text_is_analysed_without_error(text):
    words(text)
    concepts(text)


def test_the_analyser_is_shared_safely_by_threads():
    results, errors = [], []

    def work():
        try:
            results.append(tuple(words("高齢者の見守りと草刈り")))
        except Exception as e:  # noqa: BLE001
            errors.append(e)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors and len(set(results)) == 1
