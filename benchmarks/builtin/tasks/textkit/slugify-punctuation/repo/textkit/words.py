"""Counting words."""

from collections import Counter


def word_count(text):
    """Number of words in text; words are separated by any whitespace."""
    return len(text.split())


def top_words(text, n):
    """The n most frequent lower-cased words as (word, count), most frequent first.

    Words with the same count are ordered alphabetically.
    """
    counts = Counter(word.lower() for word in text.split())
    ranked = sorted(counts.items(), key=lambda item: (-item[1], item[0]))
    return ranked[:n]
