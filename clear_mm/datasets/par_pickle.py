"""The split files of Rethinking_of_PAR and OpenPAR, read safely.

Those toolboxes distribute each dataset's annotation as a pickled
``EasyDict`` (``dataset_all.pkl``; the zero-shot identity splits PETAzs and
RAPzs as ``dataset_zs_run0.pkl``): ``image_name`` (list), ``label``
(``(N, A)`` array; RAP's 2 = uncertain), ``attr_name`` (list),
``label_idx.eval`` (the evaluated columns, in their group order; absent in
some zero-shot files: all columns), ``partition.{train,val,test,trainval}``
(0-based index arrays, or a list of them, one per random split) and
``weight_train`` / ``weight_trainval``.

``pickle.load`` would run whatever a file asks. :func:`load_par_pickle`
uses an unpickler that resolves only the globals such a file holds: the
``EasyDict`` class (mapped to a plain dict), numpy arrays, dtypes and
scalars, ``range``, and the copyreg helper that rebuilds a dict subclass.
Any other global is refused with its name.
"""
import copyreg
import pickle
from typing import Any, Optional

import numpy as np

from clear_mm.registry import DATASETS
from .base_par_dataset import AttributeTable, group_attributes
from .pa100k import PA100K, PA100K_GROUPS
from .peta import PETA, peta_group
from .rap import RAPv2, rap_group


class _AttrDict(dict):
    """Stand-in for ``easydict.EasyDict`` while unpickling (a dict whose
    attribute state is ignored: EasyDict keeps the same items as keys)."""

    def __setstate__(self, state):
        pass


def _numpy_globals() -> dict:
    core = getattr(np, '_core', None) or np.core
    allowed = {}
    for module in ('numpy.core.multiarray', 'numpy._core.multiarray'):
        allowed[(module, '_reconstruct')] = core.multiarray._reconstruct
        allowed[(module, 'scalar')] = core.multiarray.scalar
    allowed[('numpy', 'ndarray')] = np.ndarray
    allowed[('numpy', 'dtype')] = np.dtype
    for name in dir(np.dtypes):
        if name.endswith('DType'):
            allowed[('numpy.dtypes', name)] = getattr(np.dtypes, name)
    return allowed


ALLOWED_GLOBALS = {
    ('easydict', 'EasyDict'): _AttrDict,
    ('builtins', 'range'): range,
    ('builtins', 'object'): object,
    ('builtins', 'dict'): dict,
    ('builtins', 'list'): list,
    ('copyreg', '_reconstructor'): copyreg._reconstructor,
    **_numpy_globals(),
}


class _RestrictedUnpickler(pickle.Unpickler):

    def find_class(self, module: str, name: str) -> Any:
        try:
            return ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f'{module}.{name} is not allowed in a PAR split file (only '
                'EasyDict, numpy arrays, range); refusing to load it.'
            ) from None


def _plain(obj: Any) -> Any:
    if isinstance(obj, dict):
        return {k: _plain(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_plain(v) for v in obj]
    if isinstance(obj, range):
        return list(obj)
    return obj


def load_par_pickle(path: str) -> dict:
    """A Rethinking_of_PAR / OpenPAR split file as plain dicts, lists and
    numpy arrays, without executing anything it names."""
    with open(path, 'rb') as f:
        try:
            data = _RestrictedUnpickler(f).load()
        except pickle.UnpicklingError as e:
            raise pickle.UnpicklingError(f'{path}: {e}') from None
        except (EOFError, ValueError) as e:
            raise ValueError(f'{path} is not a readable pickle ({e}).') \
                from None
    if not isinstance(data, dict):
        raise ValueError(f'{path}: expected a dict (EasyDict), got '
                         f'{type(data).__name__}.')
    return _plain(data)


class PicklePARMixin:
    """``load_table`` from a split file (see the module docstring); the
    dataset class it is mixed into gives the schema and label values, the
    subclass its default folders (``DEFAULT_ROOT``, ``DEFAULT_PREFIX``)."""

    DEFAULT_ROOT = ''
    DEFAULT_PREFIX = ''
    # whether the dataset class takes ``split_index`` itself
    TAKES_SPLIT_INDEX = True

    def __init__(self,
                 data_root: Optional[str] = None,
                 ann_file: str = 'dataset_all.pkl',
                 img_prefix: Optional[str] = None,
                 label_set: str = 'eval',
                 split_index: int = 0,
                 **kwargs):
        if label_set not in ('eval', 'color', 'all'):
            raise ValueError("label_set must be 'eval', 'color' or 'all', "
                             f'got {label_set!r}.')
        self.label_set = label_set
        self.split_index = split_index
        if self.TAKES_SPLIT_INDEX:
            kwargs['split_index'] = split_index
        super().__init__(
            data_root=self.DEFAULT_ROOT if data_root is None else data_root,
            ann_file=ann_file,
            img_prefix=(self.DEFAULT_PREFIX
                        if img_prefix is None else img_prefix),
            **kwargs)

    def _groups(self, attributes):
        raise NotImplementedError

    def load_table(self) -> AttributeTable:
        path = self.require_file(self.ann_file)
        info = load_par_pickle(path)
        missing = [k for k in ('image_name', 'label', 'attr_name',
                               'partition') if k not in info]
        if missing:
            raise KeyError(f'{path}: no {missing}; expected the split file '
                           'of Rethinking_of_PAR / OpenPAR.')
        labels = np.asarray(info['label'])  # checked before any cast
        names = [str(n) for n in info['attr_name']]
        if labels.ndim != 2 or labels.shape[1] != len(names):
            raise ValueError(f'{path}: label is {labels.shape} for '
                             f'{len(names)} attribute names.')
        columns = list(range(len(names)))
        label_idx = info.get('label_idx') or {}
        if self.label_set != 'all' and label_idx.get('eval') is not None:
            columns = list(label_idx['eval'])
            if self.label_set == 'color':
                columns += list(label_idx.get('color') or [])
        bad = [c for c in columns if not 0 <= int(c) < len(names)]
        if bad:
            raise ValueError(f'{path}: label_idx names columns {bad[:5]} of '
                             f'{len(names)} attributes.')
        attributes = [names[c] for c in columns]
        splits = {}
        for split, index in info['partition'].items():
            if isinstance(index, list) and index and not np.isscalar(
                    index[0]):  # one array per random split
                if not 0 <= self.split_index < len(index):
                    raise ValueError(
                        f'{path}: split_index must be in [0, {len(index)}), '
                        f'got {self.split_index}.')
                index = index[self.split_index]
            splits[split] = np.asarray(index, dtype=np.int64).ravel()
        if 'trainval' not in splits and {'train', 'val'} <= set(splits):
            splits['trainval'] = np.concatenate(
                [splits['train'], splits['val']])
        return AttributeTable(
            attributes=attributes,
            img_paths=[str(n) for n in info['image_name']],
            labels=labels[:, columns],
            splits=splits,
            groups=self._groups(attributes))


_ARGS_DOC = """
    Args:
        data_root (str, optional): The dataset folder (default: the
            class's, e.g. 'data/PETA').
        ann_file (str): The split file, e.g. 'dataset_all.pkl' or the
            zero-shot 'dataset_zs_run0.pkl'.
        img_prefix (str, optional): The image folder, relative to
            ``data_root`` (the file's own ``root`` is a path on its authors'
            machine; default: the class's, e.g. 'images').
        label_set (str): 'eval' (``label_idx.eval``, the standard
            attributes), 'color' (eval + ``label_idx.color``) or 'all'.
            Defaults to 'eval'.
        split_index (int): Which random split when the partition holds
            several. Defaults to 0.
        **kwargs: See :class:`BasePARDataset`.
"""


@DATASETS.register_module()
class PETAPickle(PicklePARMixin, PETA):
    __doc__ = ('PETA from the Rethinking_of_PAR / OpenPAR split file '
               '(PETA and the zero-shot PETAzs), PETA\'s schema.\n' +
               _ARGS_DOC)
    DEFAULT_ROOT, DEFAULT_PREFIX = 'data/PETA', 'images'

    def _groups(self, attributes):
        return group_attributes(attributes, peta_group)


@DATASETS.register_module()
class RAPPickle(PicklePARMixin, RAPv2):
    __doc__ = ('RAP (v1, v2 and the zero-shot RAPzs) from the '
               'Rethinking_of_PAR / OpenPAR split file, RAP\'s schema and '
               'label values (2 = uncertain).\n' + _ARGS_DOC)
    DEFAULT_ROOT, DEFAULT_PREFIX = 'data/RAPv2', 'RAP_dataset'

    def _groups(self, attributes):
        return group_attributes(attributes, rap_group)


@DATASETS.register_module()
class PA100KPickle(PicklePARMixin, PA100K):
    __doc__ = ('PA100K from the Rethinking_of_PAR / OpenPAR split file, '
               'PA100K\'s schema.\n' + _ARGS_DOC)
    DEFAULT_ROOT, DEFAULT_PREFIX = 'data/PA100K', 'data'
    TAKES_SPLIT_INDEX = False

    def _groups(self, attributes):
        return {k: v for k, v in PA100K_GROUPS.items()
                if set(v) <= set(attributes)}
