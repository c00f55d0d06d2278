from .par_dataset_hook import PARDatasetHook

__all__ = ['PARDatasetHook']
