from .ranking import attribute_ids, evaluate_ranking, ranks_of, relevant_pairs

__all__ = ['attribute_ids', 'evaluate_ranking', 'ranks_of', 'relevant_pairs']
