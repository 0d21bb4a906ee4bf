"""Japanese text analysis: fold spelling variants, morphological words, synonym concepts, character bigrams.

- Folding: NFKC (full-width ＩＴ → it, half-width ｶﾅ → カナ), lower case, katakana → hiragana (ゴミ → ごみ).
- Words (:func:`words`): SudachiPy (small dictionary) content words in their normalised form, then folded:
  子ども/子供, 引っ越し/引越し, 受付/受け付け, 車椅子/車いす meet. Loaded once per process, lazily.
- Concepts (:func:`concepts`): the synonym and related-concept dictionary ``data/synonyms.txt`` (coordinators
  extend it) maps phrases to concepts: 高齢者/お年寄り/シニア, 草刈り/除草/刈払機 … meet as one concept.
- Bigrams (:func:`terms`): character bigrams of Japanese runs, the public search's field and the matcher's
  fallback for words no dictionary knows (ORing them into every query doubles wrong hits: お守り for 見守り).
"""

from __future__ import annotations

import re
import threading
import unicodedata
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from whoosh.analysis import Token, Tokenizer

_KATAKANA = {c: c - 0x60 for c in range(0x30A1, 0x30F7)}
_WORD = re.compile(r"[0-9a-z]+|[\u3041-\u309f\u3400-\u9fff\uf900-\ufaff\u30fc々〆ヵヶ]+")
MAX_QUERY_CHARS = 200
MAX_ANALYSED_CHARS = 4000  # longer text is cut before analysis: a profile or an issue is far shorter
SYNONYMS_FILE = Path(__file__).resolve().parent.parent / "data" / "synonyms.txt"


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


# --- morphological words ---------------------------------------------------------------------------------------

_CONTENT_POS = {"名詞", "動詞", "形容詞", "形状詞", "接頭辞"}
# Light verbs and formal nouns carry no topic: 為る (する), 居る (いる), 成る, 有る, 出来る, 事, 物, 方 …
_STOP = {fold(w) for w in ("為る", "居る", "成る", "有る", "出来る", "思う", "言う", "行う", "致す", "頂く", "下さる",
                           "事", "物", "方", "所", "時", "等", "様", "者", "的", "御", "お", "ご", "中", "回",
                           "月", "日", "年", "名", "人", "度", "頃", "程度", "原則", "募集", "参加", "活動",
                           "地域", "地区", "ボランティア", "お願い", "願う", "為", "よう", "こと", "もの")}
_local = threading.local()
_dictionary = None
_dictionary_lock = threading.Lock()


def _tokenizer():
    """One SudachiPy dictionary per process (loaded on first use), one tokenizer per thread."""
    global _dictionary
    tok = getattr(_local, "tokenizer", None)
    if tok is None:
        from sudachipy import Dictionary, SplitMode

        with _dictionary_lock:
            if _dictionary is None:
                _dictionary = Dictionary(dict="small")
        tok = _local.tokenizer = _dictionary.tokenizer(mode=SplitMode.C)
    return tok


def _clean(text: str | None) -> str:
    return unicodedata.normalize("NFKC", (text or "")[:MAX_ANALYSED_CHARS]).replace("\x00", " ")


def words(text: str | None) -> list[str]:
    """Content words of ``text`` in their dictionary-normalised form, folded (子ども → 子供, 草刈 → 草刈り)."""
    text = _clean(text)
    if not text.strip():
        return []
    out: list[str] = []
    for m in _tokenizer().tokenize(text):
        if _content_pos(m.part_of_speech_id()) and (word := _content_word(m.normalized_form())):
            out.append(word)
    return out


@lru_cache(maxsize=2048)
def _content_pos(pos_id: int) -> bool:
    pos = _dictionary.pos_of(pos_id)
    return pos[0] in _CONTENT_POS and pos[1] != "数詞"


@lru_cache(maxsize=65536)
def _content_word(normalised: str) -> str | None:
    """The folded word, or None for a stop word (a vocabulary repeats: folded once per process)."""
    word = fold(normalised)
    if word and word not in _STOP and not word.isdigit() and (len(word) > 1 or not word.isascii()):
        return word
    return None


# --- synonym concepts ------------------------------------------------------------------------------------------

@dataclass
class Synonyms:
    """The concept dictionary: phrase → concepts, concept → related concepts, phrases to ignore."""

    phrases: dict[str, set[str]] = field(default_factory=dict)  # folded phrase → concept labels
    related: dict[str, set[str]] = field(default_factory=dict)
    ignore: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    _pattern: re.Pattern | None = None

    def pattern(self) -> re.Pattern:
        if self._pattern is None:
            alts = []
            for phrase in sorted(self.phrases, key=len, reverse=True):
                esc = re.escape(phrase)
                # ASCII words (it, pc, sns) match whole words only: 'it' is not in 'with'.
                alts.append(rf"(?<![0-9a-z]){esc}(?![0-9a-z])" if phrase.isascii() else esc)
            self._pattern = re.compile("|".join(alts) or r"(?!x)x")
        return self._pattern


def parse_synonyms(text: str) -> Synonyms:
    """Read the dictionary format of data/synonyms.txt (see the file's header)."""
    syn = Synonyms()
    for raw in text.splitlines():
        line = raw.split("#", 1)[0].strip() if not raw.lstrip().startswith("#") else ""
        if not line:
            continue
        if line.startswith("!"):
            if phrase := fold(line[1:].strip()):
                syn.ignore.append(phrase)
            continue
        related = line.startswith("~")
        head, sep, rest = line.lstrip("~").partition(":")
        head = unicodedata.normalize("NFKC", head.strip())
        if not sep or not head:
            continue
        items = [unicodedata.normalize("NFKC", x.strip()) for x in re.split(r"[,、，]", rest) if x.strip()]
        if related:
            syn.related.setdefault(head, set()).update(items)
            continue
        if head not in syn.labels:
            syn.labels.append(head)
        for phrase in [head, *items]:
            if folded := fold(phrase).strip():
                syn.phrases.setdefault(folded, set()).add(head)
    known = set(syn.labels)
    for head, others in list(syn.related.items()):  # only links between known concepts, and both ways
        others &= known
        for other in others:
            syn.related.setdefault(other, set()).add(head)
    return syn


_synonyms: Synonyms | None = None
_synonyms_lock = threading.Lock()


def synonyms() -> Synonyms:
    """The dictionary, read once per process (call :func:`reload_synonyms` after editing the file)."""
    global _synonyms
    if _synonyms is None:
        with _synonyms_lock:
            if _synonyms is None:
                _synonyms = parse_synonyms(SYNONYMS_FILE.read_text(encoding="utf-8"))
    return _synonyms


def reload_synonyms() -> None:
    global _synonyms
    with _synonyms_lock:
        _synonyms = None
    _analysed.cache_clear()


def concepts(text: str | None) -> list[str]:
    """Concept labels the dictionary finds in ``text`` (each once, in order of appearance)."""
    return list(_analysed(_clean(text))[1])


def analyse(text: str | None) -> tuple[list[str], list[str]]:
    """(:func:`words`, :func:`concepts`) of ``text``, with one run of the morphological analyser for both."""
    found = _analysed(_clean(text))
    return list(found[0]), list(found[1])


@lru_cache(maxsize=4096)
def _analysed(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    syn = synonyms()
    folded = fold(text)
    for phrase in syn.ignore:
        folded = folded.replace(phrase, "　")
    found_words = tuple(words(text)) if folded.strip() else ()
    # The dictionary's normalised forms meet what the phrase list spells differently (子供たち, 引越し).
    found: dict[str, None] = {}
    for source in (folded, "".join(found_words)):
        for m in syn.pattern().finditer(source):
            for label in sorted(syn.phrases[m.group()]):
                found.setdefault(label, None)
    return found_words, tuple(found)


def related(labels) -> set[str]:
    """Concepts related to ``labels`` (weaker links), without the labels themselves."""
    syn = synonyms()
    out: set[str] = set()
    for label in labels:
        out |= syn.related.get(label, set())
    return out - set(labels)


def concept_term(label: str) -> str:
    """The index term of a concept (no spaces: one term)."""
    return fold(label).replace(" ", "_")


# --- Whoosh tokenizers -----------------------------------------------------------------------------------------

class _ListTokenizer(Tokenizer):
    def produce(self, value) -> list[str]:
        raise NotImplementedError

    def __call__(self, value, positions=False, chars=False, keeporiginal=False, removestops=True,
                 start_pos=0, start_char=0, tokenize=True, mode="", **kwargs):
        token = Token(positions, chars, removestops=removestops, mode=mode, **kwargs)
        for pos, term in enumerate(self.produce(value) if tokenize else [fold(value)]):
            token.text = term
            token.boost = 1.0
            token.stopped = False
            if positions:
                token.pos = start_pos + pos
            if chars:
                token.startchar = start_char
                token.endchar = start_char + len(term)
            yield token


class BigramTokenizer(_ListTokenizer):
    """Whoosh tokenizer producing :func:`terms`."""

    def produce(self, value):
        return terms(value)


class WordTokenizer(_ListTokenizer):
    """Whoosh tokenizer producing :func:`words` (SudachiPy normalised forms)."""

    def produce(self, value):
        return words(value)


class ListTokenizer(_ListTokenizer):
    """Whoosh tokenizer for text already analysed: one term per line (the index stores words computed once)."""

    def produce(self, value):
        return [t for t in (value or "").split("\n") if t]


class ConceptTokenizer(_ListTokenizer):
    """Whoosh tokenizer producing the concept terms of :func:`concepts`."""

    def produce(self, value):
        return [concept_term(c) for c in concepts(value)]
