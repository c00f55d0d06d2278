import os.path as osp

import cv2
from mmcv.transforms import LoadImageFromFile

from clear_mm.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadPedestrianImage(LoadImageFromFile):
    """mmcv's ``LoadImageFromFile`` with errors that name the file.

    Datasets read annotations only, so this is where a missing or unreadable
    image is found: a missing file raises ``FileNotFoundError`` and a file
    that does not decode raises ``ValueError``, each with its path, instead
    of a bare assertion.

    Our configs name it ``LoadPedestrianImage``; mmcv's
    ``LoadImageFromFile`` stays what it is for everyone else. Loading is
    the same, only the errors are clearer. Tools that drop the loading step
    of a pipeline drop both (:data:`LOADING_TRANSFORMS`).
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        if self.backend_args is None and not osp.isfile(path):
            raise FileNotFoundError(
                f'Image {path} does not exist. The annotation file lists it; '
                'check the dataset layout in docs/datasets.md.')
        if self.backend_args is None and osp.getsize(path) == 0:
            raise ValueError(f'Image {path} is empty (0 bytes).')
        try:
            out = super().transform(results)
        except (AssertionError, cv2.error):
            out = None
        if out is None:
            raise ValueError(f'Image {path} could not be decoded (corrupt or '
                             'not an image).')
        return out



# the steps that load an image file, which inferencers replace
LOADING_TRANSFORMS = ('LoadPedestrianImage', 'LoadImageFromFile')
