"""CLIP prompts for pedestrian attributes (paper 002, Sec. 6.3).

Each attribute gets a positive and a negative prompt, built from the
phrases of the dataset's pseudo-description table
(``metainfo['descriptions']``: one place for the wording of each dataset)
and one template pair per slot, e.g. the
accessory 'a hat' -> "a photo of a person wearing a hat." / "a photo of a
person not wearing a hat.". The gender attribute uses the table's two nouns
("a photo of a woman." / "a photo of a man.").
"""
from typing import Dict, Optional, Sequence, Tuple

# slot -> (positive, negative) templates: {p} is the table's phrase, {a} its
# article; for gender {n} is the negative noun, {na} its article.
SLOT_TEMPLATES: Dict[str, Tuple[str, str]] = dict(
    age=('a photo of {a} {p} person.', 'a photo of a person who is not {p}.'),
    build=('a photo of {a} {p} person.',
           'a photo of a person who is not {p}.'),
    gender=('a photo of {a} {p}.', 'a photo of {na} {n}.'),
    role=('a photo of {a} {p}.', 'a photo of a person who is not {a} {p}.'),
    view=('a photo of a person taken from {p}.',
          'a photo of a person not taken from {p}.'),
    hair=('a photo of a person with {p} hair.',
          'a photo of a person without {p} hair.'),
    lower_color=('a photo of a person wearing {p} lower-body clothing.',
                 'a photo of a person not wearing {p} lower-body clothing.'),
    lower=('a photo of a person wearing {p}.',
           'a photo of a person not wearing {p}.'),
    upper_color=('a photo of a person wearing {p} upper-body clothing.',
                 'a photo of a person not wearing {p} upper-body clothing.'),
    upper=('a photo of a person wearing a {p}.',
           'a photo of a person not wearing a {p}.'),
    sleeve=('a photo of a person wearing {p} sleeves.',
            'a photo of a person not wearing {p} sleeves.'),
    motif=('a photo of a person wearing a {p} top.',
           'a photo of a person not wearing a {p} top.'),
    lower_motif=('a photo of a person wearing {p} lower-body clothing.',
                 'a photo of a person not wearing {p} lower-body clothing.'),
    accessory=('a photo of a person wearing {p}.',
               'a photo of a person not wearing {p}.'),
    footwear=('a photo of a person wearing {p}.',
              'a photo of a person not wearing {p}.'),
    bag=('a photo of a person carrying {p}.',
         'a photo of a person not carrying {p}.'),
    action=('a photo of a person {p}.', 'a photo of a person not {p}.'),
)


def attribute_prompts(attributes: Sequence[str],
                      table: Optional[dict] = None,
                      prompts: Optional[Dict[str, Tuple[str, str]]] = None
                      ) -> Dict[str, Tuple[str, str]]:
    """``{attribute: (positive prompt, negative prompt)}``.

    Args:
        attributes: Attribute names, in label order.
        table: The dataset's description table
            (``{name: (slot, phrase, negative)}``).
        prompts: Explicit prompt pairs; they win over the table.
    """
    prompts = dict(prompts or {})
    table = table or {}
    out = {}
    for name in attributes:
        if name in prompts:
            pair = tuple(prompts[name])
            if len(pair) != 2 or not all(isinstance(p, str) for p in pair):
                raise ValueError(f'prompts[{name!r}] must be two strings '
                                 f'(positive, negative), got {pair!r}.')
            out[name] = pair
            continue
        if name not in table:
            raise KeyError(
                f'Attribute {name!r} has no prompt: it is not in the '
                "dataset's description table (metainfo['descriptions']); "
                'add it there or to `prompts=`.')
        slot, phrase, negative = table[name]
        negative = negative or 'person'
        fields = dict(p=phrase, a=_article(phrase), n=negative,
                      na=_article(negative))
        out[name] = tuple(t.format(**fields) for t in SLOT_TEMPLATES[slot])
    return out


def _article(word: str) -> str:
    return 'an' if word[:1].lower() in 'aeiou' else 'a'
