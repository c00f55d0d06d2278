import copy
import sys
import time
from typing import Optional, Sequence

import numpy as np
import torch
from mmengine.dataset import pseudo_collate
from mmengine.hooks import Hook
from mmengine.utils import track_iter_progress
from mmpretrain.utils import get_ori_model
from torch.utils.data import DataLoader

from clear_mm.datasets import CachedFeatureDataset
from clear_mm.registry import DATASETS, HOOKS


@HOOKS.register_module()
class RetrievalFeatureCacheHook(Hook):
    """Trains the retrieval adapters on precomputed f_par features.

    f_par is frozen, so its features of a training image never change
    (given a deterministic pipeline). Before training, this hook runs f_par
    once over the training set (the extraction step), keeps the features in
    memory as a :class:`CachedFeatureDataset`, and trains on a dataloader
    over them built by ``Runner.build_dataloader`` with the training
    loader's batch size and sampler settings (hence the same number of
    iterations per epoch, so iteration-based schedules are unchanged). The
    batches say they hold features (``is_feature``), so nothing guesses
    from tensor shapes. An epoch then costs only the adapters' passes.

    Args:
        pipeline (list[dict], optional): Pipeline used to extract the
            features; defaults to the test dataloader's (no augmentation:
            a random flip would be frozen into the cache otherwise).
        batch_size (int, optional): Batch size of the extraction pass.
            Defaults to the training batch size.
    """
    priority = 'HIGH'  # after DatasetMetaHook, before the loop starts

    def __init__(self,
                 pipeline: Optional[Sequence[dict]] = None,
                 batch_size: Optional[int] = None):
        self.pipeline = pipeline
        self.batch_size = batch_size
        self.extract_time = None

    def _extraction_dataset(self, runner):
        cfg = copy.deepcopy(runner.cfg.train_dataloader.dataset)
        pipeline = self.pipeline
        if pipeline is None:
            pipeline = runner.cfg.test_dataloader.dataset.get('pipeline')
        cfg['pipeline'] = copy.deepcopy(list(pipeline))
        return DATASETS.build(cfg)

    def before_train(self, runner) -> None:
        loop = runner.train_loop
        old = loop.dataloader
        model = get_ori_model(runner.model)
        from clear_mm.models.retrievers import AttributeRetriever
        if not isinstance(model, AttributeRetriever) or not model.freeze_par:
            raise RuntimeError(
                'RetrievalFeatureCacheHook needs a retriever with a frozen '
                'f_par (AttributeRetriever, ASMRRetriever with '
                f'freeze_par=True), got {type(model).__name__}; remove the '
                'hook to train f_par.')
        dataset = self._extraction_dataset(runner)
        batch_size = self.batch_size or old.batch_size
        loader = DataLoader(
            dataset,
            batch_size=batch_size,
            shuffle=False,
            num_workers=old.num_workers,
            collate_fn=pseudo_collate)
        start = time.perf_counter()
        feats, attrs = [], []
        was_training = model.training
        model.eval()
        with torch.no_grad():
            for batch in track_iter_progress((loader, len(loader)),
                                             file=sys.stderr):
                data = model.data_preprocessor(batch, False)
                feats.append(model.extract_vis(data['inputs']).float().cpu())
                attrs.extend(s.gt_score.cpu() for s in data['data_samples'])
        model.train(was_training)
        feats = torch.cat(feats)
        attrs = torch.stack(attrs)
        self.extract_time = time.perf_counter() - start
        runner.logger.info(
            f'RetrievalFeatureCacheHook: {len(feats)} training features '
            f'{tuple(feats.shape[1:])} extracted in '
            f'{self.extract_time:.1f} s; training runs on them.')

        features = CachedFeatureDataset(feats, attrs, old.dataset.metainfo)
        sampler = dict(type='DefaultSampler',
                       shuffle=getattr(old.sampler, 'shuffle', True))
        loop.dataloader = runner.build_dataloader(
            dict(dataset=features, sampler=sampler,
                 batch_size=old.batch_size, num_workers=0,
                 drop_last=old.drop_last),
            seed=runner.seed)
        if len(loop.dataloader) != len(old):
            raise RuntimeError(
                f'The feature loader has {len(loop.dataloader)} batches per '
                f'epoch, the image loader {len(old)}; keep the sampler a '
                'DefaultSampler.')
        # The model is checked against the same data.
        if not model.known_combinations(np.unique(attrs.numpy(),
                                                  axis=0)).all():
            raise RuntimeError(
                'The cached features come from a dataset whose attribute '
                'combinations are not among the training combinations.')
