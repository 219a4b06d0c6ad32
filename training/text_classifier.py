"""Train the text moderation classifier shipped as moderation/text/learned_model.npz.

    python -m training.text_classifier            # about 3 minutes on 2 CPU cores
    python -m training.text_classifier --folds 0  # no cross-validation (thresholds then come from the training fit)

Two logistic models per label ("harmful" and the 13 categories): one over the bundled MiniLM sentence embedding, one
over character 2-5-gram TF-IDF; the runtime averages their probabilities. Trained on the lines in training/data/ and
the development set evals/data/text_eval.jsonl, each as written and de-obfuscated. The held-out sets
(evals/data/text_generalization.jsonl and text_heldout.jsonl) are never read here, except to leave out training
lines that also appear in them.

Thresholds come from k-fold cross-validation on the training lines: each line is scored by models that did not see
it, as the runtime scores it (the highest probability over its readings), and block/review are placed where at most
BLOCK_FALSE_RATE / REVIEW_FALSE_RATE of the benign training lines would be blocked / reviewed.
"""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from tqdm import tqdm

from moderation.text import encoders
from moderation.text.classify import CATEGORIES
from moderation.text.learned import HARMFUL, MODEL_PATH, NGRAMS, readings, sigmoid
from training import background

ROOT = Path(__file__).resolve().parents[1]
TRAINING_DIR = ROOT / "training" / "data"
DEVELOPMENT_SET = ROOT / "evals" / "data" / "text_eval.jsonl"
HELD_OUT_SETS = (ROOT / "evals" / "data" / "text_generalization.jsonl", ROOT / "evals" / "data" / "text_heldout.jsonl")
LABELS = (HARMFUL, *CATEGORIES)
BLOCK_FALSE_RATE = 0.005
REVIEW_FALSE_RATE = 0.02


@dataclass(frozen=True)
class Config:
    """Everything that shapes a fit; stored in the checkpoint."""

    embedding_c: float = 10.0
    ngram_c: float = 10.0
    min_df: int = 3
    max_ngrams: int = 60_000
    background_lines: int = 3_000
    background_weight: float = 0.5
    seed: int = 7


def load_lines(paths: list[Path]) -> list[dict]:
    """Training lines, de-duplicated by text; a line that is also in a held-out set is left out (and counted)."""
    held_out = {json.loads(line)["text"] for path in HELD_OUT_SETS if path.exists() for line in path.open(encoding="utf-8")}
    rows: dict[str, dict] = {}
    skipped = 0
    for path in paths:
        for line in path.open(encoding="utf-8"):
            if not line.strip():
                continue
            row = json.loads(line)
            if row["text"] in held_out:
                skipped += 1
                continue
            rows.setdefault(row["text"], row)
    if skipped:
        print(f"left out {skipped} training lines that are also held-out lines")
    return list(rows.values())


def is_background(row: dict) -> bool:
    """A generated everyday string (training/background.py), not a written line."""
    return row.get("style") == background.STYLE


def training_files() -> list[Path]:
    """Every JSONL file of training/data plus the development set."""
    return [*sorted(TRAINING_DIR.glob("*.jsonl")), DEVELOPMENT_SET]


def targets(row: dict) -> np.ndarray:
    """The 0/1 target of each label for one line."""
    labels = set(row["labels"])
    harmful = row["expected"] != "allow"
    return np.array([harmful] + [category in labels for category in CATEGORIES], dtype=np.float32)


@dataclass
class Corpus:
    """Every line's readings, their embeddings, and which readings are training examples."""

    rows: list[dict]
    texts: list[str]  # all readings of all lines
    owner: np.ndarray  # line index of each reading
    example: np.ndarray  # True for the readings a model is fitted on (whole text as written and decoded)
    embeddings: np.ndarray
    targets: np.ndarray  # per line
    weights: np.ndarray  # per line: background lines count less than written ones


def corpus(rows: list[dict], encoder: encoders.SentenceEncoder, config: Config) -> Corpus:
    """Read and embed every line once."""
    texts, owner, example = [], [], []
    for index, row in enumerate(rows):
        for position, reading in enumerate(readings(row["text"])):
            texts.append(reading)
            owner.append(index)
            example.append(position < 2)
    batches = range(0, len(texts), 64)
    embeddings = np.vstack([encoder.encode(texts[i : i + 64]) for i in tqdm(batches, desc="embedding", leave=False)])
    weights = np.array([config.background_weight if is_background(r) else 1.0 for r in rows], dtype=np.float32)
    return Corpus(rows, texts, np.array(owner), np.array(example), embeddings, np.stack([targets(r) for r in rows]), weights)


@dataclass
class Fitted:
    """One fit: the n-gram vectorizer and both views' heads (weights [labels, features], biases [labels])."""

    vectorizer: TfidfVectorizer
    embedding: tuple[np.ndarray, np.ndarray]
    ngram: tuple[np.ndarray, np.ndarray]

    def probabilities(self, texts: list[str], embeddings: np.ndarray) -> np.ndarray:
        """What the runtime computes: the mean of the two views' probabilities."""
        by_meaning = sigmoid(embeddings @ self.embedding[0].T + self.embedding[1])
        by_spelling = sigmoid(self.vectorizer.transform(texts) @ self.ngram[0].T + self.ngram[1])
        return (by_meaning + by_spelling) / 2


def heads(features, truth: np.ndarray, sample_weight: np.ndarray, c: float) -> tuple[np.ndarray, np.ndarray]:
    """One logistic regression per label on the same features."""
    weights, biases = [], []
    for label in range(truth.shape[1]):
        model = LogisticRegression(C=c, max_iter=3000).fit(features, truth[:, label], sample_weight=sample_weight)
        weights.append(model.coef_[0])
        biases.append(model.intercept_[0])
    return np.array(weights, dtype=np.float32), np.array(biases, dtype=np.float32)


def fit(data: Corpus, lines: np.ndarray, config: Config) -> Fitted:
    """Fit both views on the example readings of the given lines."""
    chosen = data.example & np.isin(data.owner, lines)
    texts = [text for text, keep in zip(data.texts, chosen, strict=True) if keep]
    truth = data.targets[data.owner[chosen]]
    weight = data.weights[data.owner[chosen]]
    vectorizer = TfidfVectorizer(
        analyzer="char_wb", ngram_range=NGRAMS, sublinear_tf=True, min_df=config.min_df, max_features=config.max_ngrams
    )
    grams = vectorizer.fit_transform(texts)
    return Fitted(
        vectorizer,
        heads(data.embeddings[chosen], truth, weight, config.embedding_c),
        heads(grams, truth, weight, config.ngram_c),
    )


def line_scores(fitted: Fitted, data: Corpus, lines: np.ndarray) -> np.ndarray:
    """Per line, each label's highest probability over all its readings (whole, decoded, per sentence)."""
    chosen = np.isin(data.owner, lines)
    texts = [text for text, keep in zip(data.texts, chosen, strict=True) if keep]
    probabilities = np.asarray(fitted.probabilities(texts, data.embeddings[chosen]))
    owners = data.owner[chosen]
    return np.stack([probabilities[owners == line].max(axis=0) for line in lines])


def out_of_fold_scores(data: Corpus, config: Config, folds: int) -> np.ndarray:
    """Each line scored by models fitted without it."""
    order = np.random.default_rng(config.seed).permutation(len(data.rows))
    scores = np.zeros((len(data.rows), len(LABELS)), dtype=np.float32)
    for fold in tqdm(range(folds), desc="cross-validation", leave=False):
        held = np.sort(order[fold::folds])
        scores[held] = line_scores(fit(data, np.setdiff1d(order, held), config), data, held)
    return scores


def threshold(benign_scores: np.ndarray, false_rate: float) -> float:
    """The lowest probability that at most `false_rate` of the benign lines reach."""
    ordered = np.sort(benign_scores)[::-1]
    allowed = int(false_rate * len(ordered))
    return float(min(0.999, ordered[allowed] + 1e-4)) if allowed < len(ordered) else 0.5


def thresholds(rows: list[dict], scores: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per label: (block_at, review_at), placed on the written benign lines' scores (background lines are easy: counting
    them would make the false rates look smaller than they are on real text)."""
    benign = np.array([not row["labels"] and row["expected"] == "allow" and not is_background(row) for row in rows])
    block = np.array([threshold(scores[benign, j], BLOCK_FALSE_RATE) for j in range(len(LABELS))])
    review = np.array([threshold(scores[benign, j], REVIEW_FALSE_RATE) for j in range(len(LABELS))])
    return block, np.minimum(block, review)


def cross_validated_report(all_rows: list[dict], all_scores: np.ndarray, block: np.ndarray, review: np.ndarray) -> dict:
    """What cross-validation says the thresholds do on the written training lines (not a held-out figure)."""
    written = np.array([not is_background(row) for row in all_rows])
    rows, scores = [row for row in all_rows if not is_background(row)], all_scores[written]
    harmful = np.array([row["expected"] != "allow" for row in rows])
    top = scores[:, 0]
    recall = {}
    for category in CATEGORIES:
        labelled = np.array([category in row["labels"] for row in rows])
        if labelled.any():
            recall[category] = round(float((top[labelled] >= review[0]).mean()), 4)
    return {
        "lines": len(rows),
        "harmful_recall_not_allowed": round(float((top[harmful] >= review[0]).mean()), 4),
        "benign_false_block": round(float((top[~harmful] >= block[0]).mean()), 4),
        "benign_false_review": round(float(((top[~harmful] >= review[0]) & (top[~harmful] < block[0])).mean()), 4),
        "recall_by_category": recall,
    }


def save(fitted: Fitted, config: Config, block: np.ndarray, review: np.ndarray, report: dict, path: Path) -> None:
    """Heads, vocabulary, thresholds and config as one compressed .npz (no pickled objects)."""
    vocabulary = sorted(fitted.vectorizer.vocabulary_, key=fitted.vectorizer.vocabulary_.__getitem__)
    np.savez_compressed(
        path,
        labels=np.array(LABELS),
        vocabulary=np.array(vocabulary),
        idf=fitted.vectorizer.idf_.astype(np.float32),
        embedding_weight=fitted.embedding[0],
        embedding_bias=fitted.embedding[1],
        ngram_weight=fitted.ngram[0].astype(np.float16),
        ngram_bias=fitted.ngram[1],
        block_at=block.astype(np.float32),
        review_at=review.astype(np.float32),
        config=np.array(json.dumps(asdict(config))),
        report=np.array(json.dumps(report)),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds for the thresholds (0: none)")
    parser.add_argument("--out", type=Path, default=MODEL_PATH)
    args = parser.parse_args()
    config = Config()
    started = time.monotonic()
    rows = load_lines(training_files()) + list(background.lines(config.background_lines))
    data = corpus(rows, encoders.sentence_encoder(), config)
    everything = np.arange(len(data.rows))
    fitted = fit(data, everything, config)
    scores = out_of_fold_scores(data, config, args.folds) if args.folds > 1 else line_scores(fitted, data, everything)
    block, review = thresholds(data.rows, scores)
    report = cross_validated_report(data.rows, scores, block, review) | {
        "folds": args.folds,
        "train_seconds": round(time.monotonic() - started, 1),
    }
    save(fitted, config, block, review, report, args.out)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
