import math
from typing import Iterator, Optional

import numpy as np
from mmengine.dist import get_dist_info, sync_random_seed
from torch.utils.data import Sampler

from clear_mm.registry import DATA_SAMPLERS


@DATA_SAMPLERS.register_module()
class IdentityBalancedSampler(Sampler):
    """P x K sampling for re-identification (Cerberus: 16 persons x 4
    images per batch): each epoch the persons are shuffled, and each
    contributes ``num_instances`` of its images (drawn without replacement,
    with replacement when it has fewer). Consecutive runs of
    ``num_ids_per_batch x num_instances`` indices form a batch, so set the
    dataloader's ``batch_size`` to a multiple of ``num_instances``
    (``DatasetMetaHook`` checks it before training).
    Persons come from the samples' ``person_id``; with several processes
    each takes its share of the persons.

    Args:
        dataset: A dataset whose data infos carry ``person_id``.
        num_instances (int): K. Defaults to 4.
        seed (int, optional): Shared random seed.
    """

    def __init__(self, dataset, num_instances: int = 4,
                 seed: Optional[int] = None):
        self.dataset = dataset
        self.num_instances = num_instances
        self.seed = sync_random_seed() if seed is None else seed
        self.epoch = 0
        self.rank, self.world_size = get_dist_info()
        by_id = {}
        for i in range(len(dataset)):
            info = dataset.get_data_info(i)
            if 'person_id' not in info:
                raise KeyError(
                    f'IdentityBalancedSampler: sample {i} of '
                    f'{type(dataset).__name__} has no person_id (use a '
                    'dataset with identities, e.g. Market1501Attr or '
                    'SyntheticPedestrians(identities=...)).')
            by_id.setdefault(int(info['person_id']), []).append(i)
        self.by_id = {k: np.asarray(v) for k, v in sorted(by_id.items())}
        self.ids = np.asarray(list(self.by_id))
        self.num_ids = int(math.ceil(len(self.ids) / self.world_size))

    def __iter__(self) -> Iterator[int]:
        rng = np.random.default_rng([self.seed, self.epoch])
        ids = rng.permutation(self.ids)
        ids = np.resize(ids, self.num_ids * self.world_size)  # pad evenly
        indices = []
        for pid in ids[self.rank::self.world_size]:
            images = self.by_id[int(pid)]
            replace = len(images) < self.num_instances
            indices.extend(
                rng.choice(images, self.num_instances, replace=replace))
        return iter(int(i) for i in indices)

    def __len__(self) -> int:
        return self.num_ids * self.num_instances

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch
