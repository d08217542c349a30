from textkit.words import top_words, word_count
from textkit.slug import slugify

__all__ = ["slugify", "top_words", "word_count"]
