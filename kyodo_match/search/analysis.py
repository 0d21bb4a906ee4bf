"""Japanese text analysis for the index: fold spelling variants, then cut into character bigrams.

Folding: NFKC (full-width ＩＴ → it, half-width ｶﾅ → カナ), lower case, katakana → hiragana (ゴミ → ごみ),
a few iteration marks. Bigrams give recall on Japanese without a word dictionary; the matcher (issue 5) adds
a morphological analyser and synonyms on top.
"""

from __future__ import annotations

import re
import unicodedata

from whoosh.analysis import Token, Tokenizer

_KATAKANA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)}
_WORD = re.compile(r"[0-9a-z]+|[\u3041-\u309f\u3400-\u9fff\uf900-\ufaff\u30fc々〆ヵヶ]+")
MAX_QUERY_CHARS = 200


def fold(text: str | None) -> str:
    """Normalise for matching: NFKC, lower case, katakana as hiragana."""
    text = unicodedata.normalize("NFKC", text or "").lower()
    return text.translate(_KATAKANA)


def terms(text: str | None) -> list[str]:
    """The index terms of ``text``: whole ASCII words, and bigrams (or a lone character) of Japanese runs."""
    out: list[str] = []
    for match in _WORD.finditer(fold(text)):
        word = match.group()
        if word.isascii():
            out.append(word)
        elif len(word) == 1:
            out.append(word)
        else:
            out.extend(word[i:i + 2] for i in range(len(word) - 1))
    return out


def query_words(text: str | None) -> list[list[str]]:
    """A user's query as words (split on spaces), each word as its terms; capped in length."""
    words = []
    for raw in fold((text or "")[:MAX_QUERY_CHARS]).split():
        if t := terms(raw):
            words.append(t)
    return words[:10]


class BigramTokenizer(Tokenizer):
    """Whoosh tokenizer producing :func:`terms`."""

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term in enumerate(terms(value) if tokenize else [fold(value)]):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(term)
            yield token
