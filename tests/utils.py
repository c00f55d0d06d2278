"""Helpers shared by the tests."""
import atexit
import json
import os
import os.path as osp
import subprocess
import sys
import tempfile
import threading

import numpy as np
import torch
from mmpretrain.structures import DataSample

from clear_mm.models import AttributeModel

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def synthetic_meta(**extra) -> dict:
    """The synthetic pedestrians' ``metainfo`` (the PA100K schema), as a
    dataset would give it, without building the dataset."""
    from clear_mm.datasets import SyntheticPedestrians
    from clear_mm.datasets.synthetic.synthetic_pedestrians import (
        ATTRIBUTES, PA100K_GROUPS)
    meta = dict(SyntheticPedestrians.METAINFO)
    meta.update(attributes=list(ATTRIBUTES), classes=list(ATTRIBUTES),
                attribute_groups=dict(PA100K_GROUPS))
    meta.update(extra)
    return meta


def toy_batch(rng, n):
    """Three visible attributes on noisy 128x64 images."""
    labels = (rng.random((n, 3)) < [0.5, 0.3, 0.2]).astype(np.int64)
    imgs = rng.normal(120, 30, (n, 3, 128, 64))
    imgs[labels[:, 0] == 1, 0, 10:30, 20:44] = 250  # red square on top
    imgs[labels[:, 1] == 1, 2, 60:70, :] = 250  # blue band in the middle
    imgs[labels[:, 2] == 1, :, 100:120, 8:24] = 10  # dark patch low left
    samples = [DataSample().set_gt_score(torch.tensor(y)) for y in labels]
    return torch.tensor(imgs, dtype=torch.float32), samples, labels


def fit_toy(model, steps, rng, lr=1e-3, warmup=20):
    """AdamW on ``toy_batch`` batches of 16 with a linear warm-up; the
    summed losses of every step."""
    optim = torch.optim.AdamW(model.parameters(), lr=lr)
    losses = []
    for step in range(steps):
        for group in optim.param_groups:
            group['lr'] = lr * min(1, (step + 1) / warmup)
        imgs, samples, _ = toy_batch(rng, 16)
        data = model.data_preprocessor(
            dict(inputs=imgs, data_samples=samples), training=True)
        loss = sum(model(**data, mode='loss').values())
        optim.zero_grad()
        loss.backward()
        optim.step()
        losses.append(loss.item())
    return losses


def small(tmp_path, epochs):
    """Overrides for a run of seconds, as a dict."""
    opts = {'train_cfg.max_epochs': epochs, 'train_cfg.val_interval': 1}
    data = dict(num_train=24, num_val=8, num_test=8, seed=1)
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        opts.update({
            f'{loader}.batch_size': 8,
            f'{loader}.num_workers': 0,
            f'{loader}.persistent_workers': False,
            f'{loader}.dataset.data_root': f'{tmp_path}/data',
        })
        opts.update({f'{loader}.dataset.{k}': v for k, v in data.items()})
    return opts


def cli(opts):
    return ['--cfg-options'] + [f'{k}={v}' for k, v in opts.items()]


class _Zygote:
    """The client of ``tests/zygote.py``: a process with the host
    libraries imported that forks one child per run (see its docstring).
    ``CLEAR_MM_TEST_FRESH=1`` runs every script in a fresh interpreter
    instead."""

    def __init__(self):
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            [sys.executable, osp.join(REPO, 'tests', 'zygote.py')],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            cwd=REPO)
        assert json.loads(self.proc.stdout.readline()) == dict(ready=True)
        atexit.register(self.proc.kill)

    def ask(self, message: dict) -> dict:
        self.proc.stdin.write(json.dumps(message) + '\n')
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError('tests/zygote.py died')
        return json.loads(line)

    def run(self, argv, cwd, env, timeout):
        if self.proc is None or self.proc.poll() is not None:
            self.start()
        with tempfile.TemporaryDirectory() as tmp:
            out, err = osp.join(tmp, 'stdout'), osp.join(tmp, 'stderr')
            self.ask(dict(argv=list(argv), cwd=str(cwd), env=dict(env),
                          stdout=out, stderr=err))
            timer = threading.Timer(timeout, self._kill)
            timer.start()
            try:
                line = self.proc.stdout.readline()
            finally:
                timer.cancel()
            returncode = json.loads(line)['returncode']
            with open(out, errors='replace') as f, open(
                    err, errors='replace') as g:
                stdout, stderr = f.read(), g.read()
        if self.killed:
            self.killed = False
            raise subprocess.TimeoutExpired(argv, timeout, stdout, stderr)
        return subprocess.CompletedProcess(argv, returncode, stdout, stderr)

    killed = False

    def _kill(self):
        self.killed = True
        self.proc.stdin.write(json.dumps(dict(kill=True)) + '\n')
        self.proc.stdin.flush()


_ZYGOTE = _Zygote()


def python(*args, cwd=REPO, env=None, timeout=600):
    """``python ARGS`` (a script and its arguments, or ``-c CODE``) in its
    own process, as ``subprocess.run(..., capture_output=True,
    text=True)`` returns it, forked from ``tests/zygote.py`` (the host
    libraries already imported)."""
    env = dict(os.environ if env is None else env)
    if os.environ.get('CLEAR_MM_TEST_FRESH') == '1':
        return subprocess.run([sys.executable, *args], cwd=cwd, env=env,
                              capture_output=True, text=True,
                              timeout=timeout)
    return _ZYGOTE.run(args, cwd, env, timeout)


def run(*args, cwd=REPO, env=None):
    """Run a Python script (path relative to ``cwd``); it must succeed.
    Returns its stdout and stderr."""
    proc = python(*args, cwd=cwd, env=env)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    return proc.stdout + proc.stderr


def tiny_par_checkpoint(path, meta: bool = True) -> str:
    """The demo's tiny CLEAR (configs/clear/par_synthetic.py), random
    weights (seed 0), saved like tools/train.py saves it: with the
    synthetic schema as ``meta.dataset_meta`` unless ``meta=False``."""
    from mmengine.config import Config

    from clear_mm.registry import MODELS
    torch.manual_seed(0)
    model = MODELS.build(
        Config.fromfile(osp.join(REPO, 'configs', 'clear',
                                 'par_synthetic.py')).model)
    checkpoint = dict(state_dict=model.state_dict())
    if meta:
        checkpoint['meta'] = dict(dataset_meta=synthetic_meta())
    torch.save(checkpoint, str(path))
    return str(path)


class ToyRetriever(AttributeModel):
    """A retriever for scoring tests: its proxies are ``attrs`` (with
    ``counts`` training images) and their embeddings the rows of ``emb``."""

    def __init__(self, attrs, counts, emb):
        self.train_attrs = torch.as_tensor(attrs)
        self.proxy_counts = np.asarray(counts)
        self.emb = emb

    def set_dataset_meta(self, meta):
        self.schema = meta

    def train_combinations(self):
        return self.train_attrs.numpy(), self.proxy_counts

    def embed_images(self, inputs):
        raise NotImplementedError('a toy: its gallery is given')

    def encode_queries(self, attrs):
        index = {tuple(r): i for i, r in enumerate(self.train_attrs.tolist())}
        return torch.stack([self.emb[index[tuple(r)]]
                            for r in torch.as_tensor(attrs).tolist()])


def ranking_loop(scores, relevant, topk=(1, 5, 10)) -> dict:
    """CMC and mAP (percent), one query at a time by a stable sort: the
    independent reference the ranking core is checked against.
    ``relevant`` is a ``(Q, G)`` bool mask; queries without a relevant item
    are left out (``num_skipped``)."""
    scores = torch.as_tensor(scores).float()
    relevant = np.asarray(relevant, dtype=bool)
    hits = {k: 0 for k in topk}
    aps = []
    for q in range(len(scores)):
        ranked = torch.argsort(-scores[q], stable=True).numpy()
        good = relevant[q][ranked]
        if not good.any():
            continue
        first = int(np.argmax(good))
        for k in topk:
            hits[k] += first < k
        ranks = np.nonzero(good)[0] + 1
        aps.append(np.mean(np.arange(1, len(ranks) + 1) / ranks))
    n = max(len(aps), 1)
    out = {f'R{k}': 100.0 * hits[k] / n for k in topk}
    out['mAP'] = 100.0 * float(np.sum(aps)) / n
    out['num_skipped'] = len(scores) - len(aps)
    return out
