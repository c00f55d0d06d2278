from .attribute_csv import AttributeCSV
from .base_par_dataset import AttributeTable, BasePARDataset
from .cached_features import CachedFeatureDataset
from .market1501_attr import Market1501Attr
from .pa100k import PA100K
from .par_pickle import PA100KPickle, PETAPickle, RAPPickle, load_par_pickle
from .peta import PETA
from .rap import RAPv2
from .samplers import IdentityBalancedSampler
from .synthetic import SyntheticPedestrians, generate_synthetic_dataset
from .transforms import *  # noqa: F401,F403
from .upar2024 import UPAR2024

__all__ = [
    'AttributeCSV', 'AttributeTable', 'BasePARDataset',
    'CachedFeatureDataset', 'IdentityBalancedSampler',
    'Market1501Attr', 'PA100K', 'PA100KPickle', 'PETA', 'PETAPickle',
    'RAPPickle', 'RAPv2', 'load_par_pickle',
    'SyntheticPedestrians', 'UPAR2024', 'generate_synthetic_dataset'
]
