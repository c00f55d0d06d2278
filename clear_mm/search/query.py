"""Person-search queries: attribute names with don't-care and negation, or
free text, turned into a partial attribute vector.

A query states some attributes as present (1) or absent (0); every other
attribute is *unknown* (-1), not absent. Accepted forms:

- names, comma-separated: ``"Female, Backpack, -Hat, no ShortSleeve"``
  (``-``, ``!``, ``no``, ``not``, ``without`` negate);
- free text: ``"a woman in a long coat carrying a handbag, no hat"``,
  matched against the dataset's own words for its attributes: the
  attribute names split into words (``LongCoat`` -> "long coat"), the
  phrases of its pseudo-description table (``Female``: "woman" / "man")
  and a few common synonyms ("lady", "pants"); with a
  :class:`~clear_mm.search.similarity.WordSimilarity`, a word none of
  these know takes the attribute of the phrase a language model finds
  closest, above a threshold ("gown" -> "dress"), reported in ``guessed``
  with its cosine. The words that matched nothing are reported as ignored.

Names that are not attributes, a query that says nothing understood, an
attribute both present and absent, and two attributes of an exclusive
group (two age bins) are errors that list what is valid.
"""
import difflib
import re
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Tuple

import numpy as np

from clear_mm.structures.descriptions import attribute_words
from clear_mm.structures.schema import exclusive_conflicts

NEGATIONS = ('no', 'not', 'without', 'non', 'none')
# words that carry no attribute; they are not reported as ignored
STOPWORDS = frozenset(
    'a an the and or with in on of to is are was wearing wears wear '
    'carrying carries carry holding holds hold has have having who that '
    'which person people someone somebody dressed walking standing seen '
    'from at by photo picture image this it its their his her'.split())
# common words for a description phrase (used when the schema has it)
SYNONYMS = {
    'woman': ('female', 'women', 'lady', 'girl', 'she'),
    'man': ('male', 'men', 'guy', 'boy', 'he'),
    'elderly': ('old', 'senior', 'older'),
    'young': ('child', 'kid', 'teenager', 'teen'),
    'adult': ('middle aged', ),
    'handbag': ('hand bag', 'purse'),
    'backpack': ('rucksack', 'back pack'),
    'hat': ('cap', ),
    'trousers': ('pants', 'jeans'),
    'skirt or dress': ('skirt', 'dress'),
    'long coat': ('coat', ),
}


def _stem(token: str) -> str:
    """A crude plural folding, applied to phrases and text alike
    ("glasses" -> "glass", "sleeves" -> "sleeve", "boots" -> "boot")."""
    if len(token) > 4 and re.search(r'(s|x|z|ch|sh)es$', token):
        return token[:-2]
    if len(token) > 3 and token.endswith('s') and not token.endswith('ss'):
        return token[:-1]
    return token


def _tokens(text: str) -> List[str]:
    return [_stem(t) for t in re.findall(r'[a-z0-9]+', text.lower())]


@dataclass
class ParsedQuery:
    """A query as the index understood it.

    Attributes:
        vector (np.ndarray): ``(A, )`` 1 present, 0 absent, -1 unknown.
        present (list[str]): Attributes asked to be present.
        absent (list[str]): Attributes asked to be absent.
        ignored (list[str]): Words that matched no attribute.
        text (str): The query as given.
        guessed (dict): Words matched by the language model's similarity
            only: word -> ``dict(attribute, value, phrase, cosine)``.
    """
    vector: np.ndarray
    present: List[str]
    absent: List[str]
    ignored: List[str] = field(default_factory=list)
    text: str = ''
    guessed: Dict[str, dict] = field(default_factory=dict)

    @property
    def complete(self) -> bool:
        return bool((self.vector >= 0).all())

    def understood(self) -> Dict[str, List[str]]:
        return dict(present=list(self.present), absent=list(self.absent))


class QueryParser:
    """Parse queries for a dataset schema (``attributes``, optional
    ``descriptions``, ``attribute_groups``, ``exclusion_rules``).

    Args:
        schema (dict): The model's schema (``model.dataset_meta``).
        similarity (WordSimilarity, optional): Matches words the phrase
            table does not know by a language model. Defaults to None
            (such words are ignored).
    """

    def __init__(self, schema: dict, similarity=None):
        self.schema = schema
        self.attributes = list(schema['attributes'])
        self._by_name = {a.lower(): a for a in self.attributes}
        self.phrases = self._phrase_table()
        self._longest = max(len(p) for p in self.phrases)
        self.similarity = similarity
        if similarity is not None:
            self._phrase_keys = list(self.phrases)
            similarity.set_phrases([' '.join(k) for k in self._phrase_keys])

    def _phrase_table(self) -> Dict[Tuple[str, ...], Tuple[str, int]]:
        """``{stemmed token tuple: (attribute, value)}``; phrases that two
        attributes share (``"striped"``) are left out as ambiguous."""
        candidates: Dict[Tuple[str, ...], set] = {}

        def add(phrase: str, attribute: str, value: int) -> None:
            key = tuple(_tokens(phrase))
            if key:
                candidates.setdefault(key, set()).add((attribute, value))

        descriptions = self.schema.get('descriptions') or {}
        for attribute in self.attributes:
            add(attribute, attribute, 1)
            add(attribute_words(attribute), attribute, 1)
            entry = descriptions.get(attribute)
            if not entry:
                continue
            slot, positive, negative = entry
            phrases = [(positive, 1)]
            # "man" says Female is absent; "no hat" is the parser's own
            # negation of "hat"
            if negative and not negative.lower().startswith('no '):
                phrases.append((negative, 0))
            for phrase, value in phrases:
                words = re.sub(r'^(a|an|the)\s+', '', phrase.lower())
                if slot == 'sleeve':  # "long" alone is not a sleeve
                    words = f'{words} sleeve'
                add(words, attribute, value)
                for synonym in SYNONYMS.get(words, ()):
                    add(synonym, attribute, value)
        return {k: next(iter(v)) for k, v in candidates.items()
                if len(v) == 1}

    # -- parsing -----------------------------------------------------------
    def parse(self, text: str) -> ParsedQuery:
        """The partial vector of ``text`` (see the module docstring)."""
        if not isinstance(text, str) or not text.strip():
            raise ValueError(self._empty_message('An empty query'))
        values: Dict[str, int] = {}
        ignored: List[str] = []
        guessed: Dict[str, dict] = {}
        for item in re.split(r'[,;]', text):
            item = item.strip()
            if not item:
                continue
            # a single word ("Wings", "-Hatt") is meant as a name: it must
            # be one; in a description, unknown words are only reported
            # (or matched by the language model's similarity)
            word = re.sub(r'^([-!]\s*|(no|not|without)\s+)', '', item,
                          flags=re.IGNORECASE)
            single = not re.search(r'\s', word)
            got, left = self._scan(item, None if single else guessed)
            if single and (left or not got):
                raise KeyError(self._unknown_message(item))
            ignored.extend(left)
            for attribute, value in got:
                if values.get(attribute, value) != value:
                    raise ValueError(
                        f'Query {text!r} asks for {attribute} both present '
                        'and absent.')
                values[attribute] = value
        if not values:
            raise ValueError(self._empty_message(
                f'Nothing in {text!r} names an attribute'))
        vector = np.full(len(self.attributes), -1, dtype=np.int64)
        for attribute, value in values.items():
            vector[self.attributes.index(attribute)] = value
        conflicts = exclusive_conflicts(vector == 1, self.schema)
        if conflicts:
            raise ValueError(f'Query {text!r} contradicts itself: '
                             f'{"; ".join(conflicts)}.')
        return ParsedQuery(
            vector=vector,
            present=[a for a, v in zip(self.attributes, vector) if v == 1],
            absent=[a for a, v in zip(self.attributes, vector) if v == 0],
            ignored=ignored,
            text=text,
            guessed=guessed)

    def _scan(self, item: str, guessed: Optional[dict] = None
              ) -> Tuple[List[Tuple[str, int]], List[str]]:
        """Attributes of one item (longest phrase first, a negation word
        up to two words before a phrase flips it) and its words that
        matched nothing; with ``guessed`` (a dict it fills), unknown words
        go through the language model's similarity first."""
        negated = item[0] in '-!'
        item = item.lstrip('-! ')
        if item.lower() in self._by_name:  # an exact attribute name
            return [(self._by_name[item.lower()], 0 if negated else 1)], []
        raw = re.findall(r'[A-Za-z0-9]+', item)
        tokens = [_stem(t.lower()) for t in raw]
        got, left, i, last_negation = [], [], 0, -10
        while i < len(tokens):
            if tokens[i] in NEGATIONS:
                last_negation, i = i, i + 1
                continue
            for n in range(min(self._longest, len(tokens) - i), 0, -1):
                match = self.phrases.get(tuple(tokens[i:i + n]))
                if match is not None:
                    attribute, value = match
                    if negated or i - last_negation <= 2:
                        value = 1 - value
                    got.append((attribute, value))
                    i += n
                    break
            else:
                if raw[i].lower() not in STOPWORDS:
                    match = None if guessed is None else self._similar(
                        raw[i], guessed)
                    if match is None:
                        left.append(raw[i])
                    else:
                        attribute, value = match
                        if negated or i - last_negation <= 2:
                            value = 1 - value
                        guessed[raw[i]]['value'] = value
                        got.append((attribute, value))
                i += 1
        return got, left

    def _similar(self, word: str, guessed: dict):
        """``(attribute, value)`` of the phrase the language model finds
        closest to ``word`` (None without a model or below its
        threshold); recorded in ``guessed``."""
        if self.similarity is None or not re.search('[A-Za-z]', word):
            return None
        index, cosine = self.similarity.nearest(word)
        if index is None:
            return None
        key = self._phrase_keys[index]
        attribute, value = self.phrases[key]
        guessed[word] = dict(attribute=attribute, value=value,
                             phrase=' '.join(key), cosine=round(cosine, 3))
        return attribute, value

    def _unknown_message(self, item: str) -> str:
        name = item.lstrip('-! ')
        close = difflib.get_close_matches(name, self.attributes, 3)
        return (f'{name!r} is not an attribute' +
                (f' (did you mean {close}?)' if close else '') +
                f'; the attributes: {self.attributes} (prefix - or "no" to '
                'ask for one to be absent), or write a description without '
                'commas.')

    def _empty_message(self, what: str) -> str:
        return (f'{what}: name attributes ({self.attributes}) or describe '
                'the person ("a woman with a backpack").')
