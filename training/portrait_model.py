"""Fit the photo probability of moderation/images/portrait.py and write moderation/images/portrait_model.json.

    python -m training.portrait_model        # refit, write the model file, print its coefficients as JSON

The fit uses the shipped evaluation set (evals/data/portraits/) without the shared SillyTavern cards,
which stay unseen so the bench (`python -m bench.moderation_images`) can show how the model does on
drawings the project did not make. The bench also refits with fit_logistic, one source held out at a
time, for its honest leave-one-source-out figures.
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from evals.portraits import Sample, load_samples
from moderation.images import portrait
from moderation.images.faces import detect_faces
from moderation.images.features import image_features
from moderation.images.upload import load_upload

# Every feature with the direction in which it may push towards "photograph": the fit is
# constrained to these signs so that each contribution reads the way its phrase says (an
# unconstrained fit on 118 correlated samples flips some of them, e.g. more noise → "drawing").
MODEL_FEATURES: dict[str, int] = {
    "noise_sigma": 1,
    "noise_floor": 1,
    "flat_share": -1,
    "residual_kurtosis": -1,
    "soft_gradient_share": 1,
    "strong_edge_share": -1,
    "distinct_colours": 1,
    "top_colour_share": -1,
    "saturation_mean": -1,
    "grey_share": 1,
    "spectral_slope": -1,
    "face_noise_sigma": 1,
    "face_noise_floor": 1,
    "face_flat_share": -1,
    "face_residual_kurtosis": -1,
    "face_soft_gradient_share": 1,
    "face_strong_edge_share": -1,
}
# Inverse L2 strength. Leave-one-source-out accuracy was flat for C in 0.3..10; the smallest keeps
# the most features in play, so no single statistic decides alone.
REGULARIZATION_C = 0.3


def sample_features(samples: list[Sample]) -> np.ndarray:
    """Feature matrix in MODEL_FEATURES order, computed as the check computes them; NaN = undefined (no face)."""
    rows = []
    for sample in samples:
        upload = load_upload(sample.read())
        features = image_features(upload.rgb, detect_faces(upload.rgb))
        rows.append([np.nan if features[name] is None else features[name] for name in MODEL_FEATURES])
    return np.array(rows)


def fit_logistic(x: np.ndarray, y: np.ndarray) -> dict:
    """Standardize, then sign-constrained L2 logistic regression (L-BFGS-B); plain numbers for the JSON file."""
    from scipy.optimize import minimize

    mean = np.nanmean(x, axis=0)
    x = np.where(np.isnan(x), mean, x)  # undefined → average, exactly as PhotoModel.contributions treats it
    scale = np.where(x.std(axis=0) > 1e-9, x.std(axis=0), 1.0)
    z = (x - mean) / scale
    target = y.astype(float)
    dims = z.shape[1]

    def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
        logits = z @ w[:dims] + w[dims]
        residual = 1.0 / (1.0 + np.exp(-logits)) - target
        value = float(np.sum(np.logaddexp(0.0, logits) - target * logits) + 0.5 / REGULARIZATION_C * np.sum(w[:dims] ** 2))
        return value, np.r_[z.T @ residual + w[:dims] / REGULARIZATION_C, residual.sum()]

    bounds = [(0.0, None) if sign > 0 else (None, 0.0) for sign in MODEL_FEATURES.values()] + [(None, None)]
    weights = minimize(loss, np.zeros(dims + 1), jac=True, method="L-BFGS-B", bounds=bounds).x
    return {
        "features": list(MODEL_FEATURES),
        "mean": [round(float(v), 6) for v in mean],
        "scale": [round(float(v), 6) for v in scale],
        "coef": [round(float(v), 6) for v in weights[:dims]],
        "intercept": round(float(weights[dims]), 6),
    }


def predict(params: dict, x: np.ndarray) -> np.ndarray:
    """Photo probabilities of fitted parameters, before the metadata priors (the set carries no EXIF)."""
    mean = np.array(params["mean"])
    x = np.where(np.isnan(x), mean, x)
    z = ((x - mean) / np.array(params["scale"])) @ np.array(params["coef"]) + params["intercept"]
    return 1.0 / (1.0 + np.exp(-z))


def fit() -> dict:
    """The shipped model: fitted on the shipped set, never on the shared cards, with a note of how it was made."""
    samples = load_samples(include_shared=False)
    y = np.array([sample.label == "photo" for sample in samples])
    params = fit_logistic(sample_features(samples), y)
    params["about"] = (
        "Logistic regression of moderation/images/portrait.py, fitted by `python -m training.portrait_model` "
        f"on {int(y.sum())} photographs and {int((~y).sum())} drawings of evals/data/portraits/ (C={REGULARIZATION_C}, "
        "coefficient signs constrained to the directions in training/portrait_model.py MODEL_FEATURES)."
    )
    return params


def write_model(params: dict) -> None:
    """Beside the check that loads it, indented so that a refit reads as a diff in review."""
    portrait.MODEL_PATH.write_text(json.dumps(params, indent=1) + "\n")


def main() -> None:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    params = fit()
    write_model(params)
    coefficients = dict(zip(params["features"], params["coef"], strict=True))
    print(json.dumps({"fitted": params["about"], "coef": coefficients}, indent=1))


if __name__ == "__main__":
    main()
