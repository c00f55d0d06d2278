from typing import Sequence, Union

from clear_mm.registry import MODELS
from .attribute_retriever import AttributeRetriever


@MODELS.register_module()
class ASMRRetriever(AttributeRetriever):
    """The ASMR baseline (Jeong et al., ICCV 2021; docs/method_notes.md,
    "ASMR baseline"): hard attribute queries only, an attribute encoder
    N -> 512 -> 128 -> 128 and a visual head -> 512 -> 128 -> 128 aligned
    by the MA loss over every training combination, plus the ASMR
    regularizer on the combinations' embeddings. The visual model
    (``par_model``, e.g. an ImageNet ResNet-50) trains end to end with the
    heads unless ``freeze_par=True`` (then the feature cache applies).

    Args:
        par_model (dict | str): The visual model (an mmpretrain classifier
            whose head gives the feature size and attribute count).
        regularizer (dict): Defaults to ``ASMRLoss`` with 10 groups and
            weight 1 (lambda_ASMR: the original value is not in the papers
            we have; 1.0 is ours).
        embed_dims (int): Defaults to 128.
        hidden_channels (int | Sequence[int]): Defaults to (512, 128).
        freeze_par (bool): Defaults to False (trained end to end).
        **kwargs: The other arguments of :class:`AttributeRetriever`
            except the text-query ones (``query_forms``, ``language_model``,
            ``text_channels``, ``description``, ``loss_weights``).
    """

    TEXT_ARGS = ('query_forms', 'language_model', 'text_channels',
                 'description', 'loss_weights', 'text_input_norm')

    def __init__(self,
                 par_model: Union[dict, str],
                 regularizer: dict = dict(
                     type='ASMRLoss', num_groups=10, loss_weight=1.0),
                 embed_dims: int = 128,
                 hidden_channels: Union[int, Sequence[int]] = (512, 128),
                 freeze_par: bool = False,
                 **kwargs):
        given = sorted(set(kwargs) & set(self.TEXT_ARGS))
        if given:
            raise ValueError(
                f'ASMRRetriever takes hard attribute queries only; {given} '
                'belong to AttributeRetriever (CLEAR with text queries).')
        if regularizer is None:
            raise ValueError(
                'ASMRRetriever needs its regularizer (an ASMRLoss config); '
                'for MA alone use AttributeRetriever with '
                "query_forms=('hard', ).")
        super().__init__(
            par_model,
            query_forms=('hard', ),
            embed_dims=embed_dims,
            hidden_channels=hidden_channels,
            regularizer=regularizer,
            freeze_par=freeze_par,
            **kwargs)
