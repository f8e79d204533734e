"""Money in integer kopecks: the rules live in `fiscal.money`, shared with the fiscal drive model."""

from fiscal.money import KOPECK, format_rubles, item_sum_kopecks, to_kopecks

__all__ = ["KOPECK", "format_rubles", "item_sum_kopecks", "to_kopecks"]
