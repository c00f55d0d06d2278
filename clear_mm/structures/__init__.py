"""What an attribute means, below models and datasets: the schema
(attributes, groups, exclusive groups, description entries), the
pseudo-descriptions built from it, the attribute combinations of a split,
Cerberus' semantic IDs and the packed extra state that carries them in a
checkpoint. Datasets declare these, models keep them; neither imports the
other for them."""
from .attribute_combinations import additional_combinations
from .descriptions import PseudoDescriptionBuilder, attribute_words
from .extra_state import pack_state, unpack_state
from .schema import check_schema, exclusive_conflicts, plain, vector_from_names
from .semantic_ids import GROUP_NAMES, SemanticIDs

__all__ = [
    'GROUP_NAMES', 'PseudoDescriptionBuilder', 'SemanticIDs',
    'additional_combinations', 'attribute_words', 'check_schema',
    'exclusive_conflicts', 'pack_state', 'plain', 'unpack_state',
    'vector_from_names'
]
