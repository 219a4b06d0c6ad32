"""The trained text classifier: two logistic models per label, averaged, over two views of each text.

- the bundled MiniLM sentence embedding (meaning: paraphrases, framing, intent without trigger words);
- character 2-5-grams weighted by TF-IDF (spelling: slang, algospeak, misspellings the encoder's vocabulary splits).

Fitted by `python -m training.text_classifier` on training/data/ and the development set (never on the held-out sets
in evals/data/) and shipped as learned_model.npz: the heads, the n-gram vocabulary with its IDF weights, and the
decision thresholds chosen by cross-validation on the training data alone.

It reads each text as written and de-obfuscated (look-alike letters folded, leetspeak decoded, spaced-out letters
joined and split back into words), whole and sentence by sentence; a label's probability is the highest over the
readings, so neither obfuscation nor a harmful sentence inside a long harmless text dilutes it.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from moderation.text.normalize import decoded_text, squash_spaces

MODEL_PATH = Path(__file__).resolve().parent / "learned_model.npz"
HARMFUL = "harmful"
MAX_SENTENCES = 8
MAX_READING_CHARS = 600
NGRAMS = (2, 5)
SPACED_LETTERS = re.compile(r"(?<![\w])(?:\w[ .\-_*]{1,3}){2,}\w(?![\w])")
SENTENCE_END = re.compile(r"(?<=[.!?…\n])\s+|\n+")
_LOCK = threading.Lock()


def _segment(match: re.Match[str]) -> str:
    """'k i l l  m y s e l f' -> 'kill myself': join the letters, then split the run into likely words."""
    import wordninja

    joined = re.sub(r"[ .\-_*]", "", match.group())
    return " ".join(wordninja.split(joined)) or joined


def decoded(text: str) -> str:
    """The de-obfuscated reading: the normalizer's leet-decoded, confusable-folded form with spaced letters re-worded."""
    return squash_spaces(SPACED_LETTERS.sub(_segment, decoded_text(text)))


def readings(text: str) -> list[str]:
    """Every reading the classifier scores for one text: whole and per sentence, as written and decoded."""
    whole = squash_spaces(text)[:MAX_READING_CHARS]
    plain = decoded(whole)
    found = [whole, plain]
    sentences = [s for s in SENTENCE_END.split(plain) if len(s.split()) >= 2]
    if len(sentences) > 1:
        found.extend(sentences[:MAX_SENTENCES])
    # The encoder's vocabulary is uncased: readings that differ only in case would cost a second pass for nothing.
    return list({r.casefold(): r for r in found if r.strip()}.values())


@dataclass(frozen=True)
class Thresholds:
    """Where a probability becomes a decision, for the harmful head and for each category head."""

    block: dict[str, float]
    review: dict[str, float]


def ngram_analyzer():
    """Character 2-5-grams inside word boundaries, as scikit-learn's TfidfVectorizer makes them (one definition for
    training and runtime)."""
    from sklearn.feature_extraction.text import TfidfVectorizer

    return TfidfVectorizer(analyzer="char_wb", ngram_range=NGRAMS, lowercase=True).build_analyzer()


class NgramFeatures:
    """Sublinear TF-IDF over a fixed n-gram vocabulary, L2-normalized, as TfidfVectorizer computes it, without its
    per-call validation overhead."""

    def __init__(self, vocabulary: list[str], idf: np.ndarray) -> None:
        self.index = {gram: i for i, gram in enumerate(vocabulary)}
        self.idf = idf.astype(np.float32)
        self.analyze = ngram_analyzer()

    def __len__(self) -> int:
        return len(self.index)

    def vector(self, text: str) -> tuple[np.ndarray, np.ndarray]:
        """The text's non-zero TF-IDF entries: (columns, values)."""
        counts: dict[int, int] = {}
        for gram in self.analyze(text):
            column = self.index.get(gram)
            if column is not None:
                counts[column] = counts.get(column, 0) + 1
        columns = np.fromiter(counts, dtype=np.int64, count=len(counts))
        values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float32, count=len(counts)))) * self.idf[columns]
        return columns, values / (np.linalg.norm(values) or 1.0)

    def logits(self, texts: list[str], weight: np.ndarray, bias: np.ndarray) -> np.ndarray:
        """A linear model's logits ([texts, labels]) straight from the sparse entries, without a dense matrix."""
        rows = []
        for text in texts:
            columns, values = self.vector(text)
            rows.append(weight[:, columns] @ values + bias)
        return np.stack(rows)


def sigmoid(logits: np.ndarray) -> np.ndarray:
    """Probabilities from logits."""
    return 1.0 / (1.0 + np.exp(-logits))


class LearnedClassifier:
    """The heads, the n-gram vocabulary and the thresholds, over the shared sentence encoder."""

    def __init__(self, path: Path = MODEL_PATH) -> None:
        from moderation.text import encoders

        stored = np.load(path, allow_pickle=False)
        self.labels: tuple[str, ...] = tuple(str(label) for label in stored["labels"])
        self.encoder = encoders.sentence_encoder()
        self.ngrams = NgramFeatures([str(gram) for gram in stored["vocabulary"]], stored["idf"])
        self.embedding_head = (stored["embedding_weight"].astype(np.float32), stored["embedding_bias"].astype(np.float32))
        self.ngram_head = (stored["ngram_weight"].astype(np.float32), stored["ngram_bias"].astype(np.float32))
        self.thresholds = Thresholds(
            block=dict(zip(self.labels, stored["block_at"].tolist(), strict=True)),
            review=dict(zip(self.labels, stored["review_at"].tolist(), strict=True)),
        )

    def probabilities(self, texts: list[str]) -> np.ndarray:
        """One row of label probabilities per text: the mean of the two views' logistic models."""
        weight, bias = self.embedding_head
        by_meaning = sigmoid(self.encoder.encode(texts) @ weight.T + bias)
        by_spelling = sigmoid(self.ngrams.logits(texts, *self.ngram_head))
        return (by_meaning + by_spelling) / 2

    def scores(self, text: str) -> tuple[dict[str, float], str]:
        """Each label's highest probability over the text's readings, and the reading that scored highest as harmful."""
        found = readings(text)
        rows = self.probabilities(found)
        worst_reading = found[int(rows[:, self.labels.index(HARMFUL)].argmax())]
        return {label: float(p) for label, p in zip(self.labels, rows.max(axis=0), strict=True)}, worst_reading


_loaded: list[LearnedClassifier] = []


def classifier() -> LearnedClassifier:
    """The shipped classifier, loaded on first use."""
    if not _loaded:
        with _LOCK:
            if not _loaded:
                _loaded.append(LearnedClassifier())
    return _loaded[0]
