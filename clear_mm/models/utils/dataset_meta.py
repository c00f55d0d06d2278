"""How a model learns about its dataset: ``set_dataset_meta(meta)``.

``meta`` is a dataset's ``metainfo`` (its schema, see
:mod:`clear_mm.structures.schema`). Before training, :class:`DatasetMetaHook`
adds what the model may need from the training split itself:

- ``train_labels``: ``(N, A)`` 0/1 labels of the training images (the
  retrieval proxies are their distinct rows; Cerberus' SIDs too);
- ``person_ids``: ``(N, )`` identity of each training image, when the
  dataset has identities (Cerberus).

A model keeps what it needs in its state dict (buffers and
``get_extra_state``), so a checkpoint carries it and a trained model runs
without its training split.
"""
from typing import Dict, List, Optional, Sequence

from mmengine.logging import MMLogger

# The schema keys a model keeps (``pos_ratio`` is training-only).
MODEL_SCHEMA_KEYS = ('attributes', 'attribute_groups', 'exclusion_rules',
                     'descriptions', 'sid_groups')
HOW_TO_SET = (
    "add dict(type='DatasetMetaHook') to custom_hooks (tools/train.py and "
    "tools/test.py configs do), load a checkpoint that carries it, or call "
    "model.set_dataset_meta(dataset.metainfo) (before training, with "
    "train_labels=the training split's (N, A) labels)")


def schema_of(meta: dict) -> dict:
    """The part of a dataset's ``metainfo`` a model keeps, as plain
    Python types (lists, dicts, tuples; no numpy), so that a checkpoint
    holding it loads with ``weights_only``."""
    out = {}
    for key in MODEL_SCHEMA_KEYS:
        value = meta.get(key)
        if value is None:
            continue
        if key == 'attributes':
            out[key] = [str(a) for a in value]
        elif key == 'descriptions':
            out[key] = {str(k): tuple(v) for k, v in value.items()}
        elif key == 'exclusion_rules':
            out[key] = {str(k): str(v) for k, v in value.items()}
        else:
            out[key] = {str(k): [str(a) for a in v] for k, v in value.items()}
    return out


def require_attributes(meta: dict, num_attributes: int, owner: str
                       ) -> List[str]:
    """``meta['attributes']``, checked against the model's size."""
    attributes = meta.get('attributes')
    if attributes is None:
        raise ValueError(f'{owner}.set_dataset_meta: the dataset meta has no '
                         "'attributes' (pass the dataset's metainfo).")
    if len(attributes) != num_attributes:
        raise ValueError(
            f'{owner} was built for {num_attributes} attributes, the dataset '
            f'has {len(attributes)}: set the attribute count in the model '
            f'config to {len(attributes)}.')
    return list(attributes)


def check_same_attributes(own: Optional[Sequence[str]],
                          given: Sequence[str], owner: str) -> None:
    """A trained model is evaluated on data with its own attributes, in the
    same order."""
    if own is not None and list(own) != list(given):
        diff = [(i, a, b) for i, (a, b) in enumerate(zip(own, given))
                if a != b][:3]
        raise ValueError(
            f'{owner} was trained on the attributes {list(own)}; the dataset '
            f'has {list(given)} (first differences (index, model, dataset): '
            f'{diff}). Evaluate it on data with the same schema.')


def set_classifier_meta(model, meta: dict, stage: str = 'train') -> None:
    """The dataset meta of a plain classifier (an mmpretrain
    ``ImageClassifier``, the multi-task model's head): its head must predict
    the dataset's attributes, and a loss with ``set_pos_ratio``
    (:class:`WeightedBCELoss`) gets the training split's positive ratios
    unless its config set them."""
    head = getattr(model, 'head', None)
    attributes = meta.get('attributes')
    if head is None or attributes is None:
        return
    num_classes = getattr(head, 'num_classes', None)
    if num_classes is not None and num_classes != len(attributes):
        raise ValueError(
            f'The head predicts {num_classes} attributes but the {stage} '
            f'dataset has {len(attributes)}: set model.head.num_classes='
            f'{len(attributes)}.')
    loss = getattr(head, 'loss_module', None)
    ratio = meta.get('pos_ratio')
    if (stage == 'train' and hasattr(loss, 'set_pos_ratio')
            and loss.pos_ratio is None and ratio is not None):
        loss.set_pos_ratio(ratio)
        MMLogger.get_current_instance().info(
            'WeightedBCELoss positive ratios set from the training dataset.')


def merged_table(meta: Optional[Dict], override: Optional[Dict]) -> Dict:
    """The dataset's description table with a config's entries on top."""
    table = dict((meta or {}).get('descriptions') or {})
    table.update(override or {})
    return table
