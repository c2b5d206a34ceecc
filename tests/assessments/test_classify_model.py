"""Classifier v7: the model file's loader, training determinism, inference against training,
and the ensemble's contract (kinds, review routing, cues, version)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from assessments.classify import (
    DEFAULT_LEXICON_PATH,
    DEFAULT_MODEL_PATH,
    KINDS,
    Classifier,
    LexiconError,
    ModelError,
    TextModel,
    classify,
    label,
    load_classifier,
    load_labelled_actions,
    load_lexicon,
    load_model,
    normalise,
)
from assessments.classify.model import predict, text_features
from benchmarks import train_classifier as training

DATA = Path(__file__).resolve().parent.parent / "data"


@pytest.fixture(scope="module")
def classifier() -> Classifier:
    return load_classifier()


def write_model(tmp_path: Path, change: dict[str, object]) -> Path:
    data = json.loads(DEFAULT_MODEL_PATH.read_text(encoding="utf-8"))
    data.update(change)
    path = tmp_path / "model.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


# --- the model file -----------------------------------------------------------------------


def test_the_stored_model_is_v7_for_the_lexicon_and_trained_on_the_listed_data(classifier):
    model = classifier.model
    assert model.version == 7 and model.lexicon_version == classifier.lexicon.version == 6
    files = [DATA / name for name in training.TRAINING_FILES]
    # a changed labelled set without retraining fails here: retrain and commit the model
    assert model.data_hash == training.data_hash(files)
    assert classifier.version == f"v7+{model.data_hash[:12]}"
    assert 0.0 < model.rules_weight < 1.0 and len(model.weights) > 1000
    assert "actions_blind6.csv" in training.TRAINING_FILES
    assert (model.rules_weight, model.temperature) == (training.RULES_WEIGHT, training.TEMPERATURE)


def test_neither_half_alone_can_clear_review_against_the_other(classifier):
    # the pool is linear: a half that is sure contributes at most its weight
    weight, threshold = classifier.model.rules_weight, classifier.threshold
    assert weight < threshold and 1.0 - weight < threshold


def test_a_model_file_reports_every_problem_at_once(tmp_path):
    path = write_model(
        tmp_path,
        {
            "format": "other",
            "version": 0,
            "data_hash": "abc",
            "classes": ["a", "b"],
            "bias": [1, 2],
            "rules_weight": 2,
            "temperature": 0,
        },
    )
    with pytest.raises(ModelError) as caught:
        load_model(path)
    where = [line.split(": ")[1] for line in caught.value.errors]
    assert where == [
        "format",
        "version",
        "data_hash",
        "classes",
        "rules_weight",
        "temperature",
        "bias",
    ]
    assert all(line.startswith(f"{path.resolve()}: ") for line in caught.value.errors)


def test_bad_weights_are_named_by_feature(tmp_path):
    path = write_model(tmp_path, {"weights": {"w:audit": [1, 2], "x:bad": [0, 0, 0]}})
    with pytest.raises(ModelError) as caught:
        load_model(path)
    assert caught.value.errors == [
        f"{path.resolve()}: weights.w:audit: expected three finite numbers, one a kind",
        f"{path.resolve()}: weights.x:bad: expected a feature named w:, b: or c:",
    ]


def test_a_missing_or_broken_model_file_names_the_file(tmp_path):
    with pytest.raises(ModelError, match=r"nope\.json: \(file\): cannot read the file"):
        load_model(tmp_path / "nope.json")
    broken = tmp_path / "broken.json"
    broken.write_text("{", encoding="utf-8")
    with pytest.raises(ModelError, match=r"broken\.json: \(file\): invalid JSON"):
        load_model(broken)
    listed = tmp_path / "list.json"
    listed.write_text("[]", encoding="utf-8")
    with pytest.raises(ModelError, match=r"list\.json: \(top level\): expected a JSON object"):
        load_model(listed)


def test_a_model_trained_for_another_lexicon_is_refused(tmp_path):
    path = write_model(tmp_path, {"lexicon_version": 5})
    with pytest.raises(ModelError, match="trained on lexicon v5, the lexicon is v6; retrain"):
        load_classifier(model_path=path)


def test_the_lexicon_loader_reports_every_problem_at_once(tmp_path):
    path = tmp_path / "lexicon.yaml"
    path.write_text(
        DEFAULT_LEXICON_PATH.read_text(encoding="utf-8")
        + "\nthreshold: 1.7\nslope: -1\nnegation: []\n",
        encoding="utf-8",
    )
    with pytest.raises(LexiconError) as caught:
        load_lexicon(path)
    where = sorted(line.split(": ")[1] for line in caught.value.errors)
    assert where[:3] == ["negation", "slope", "threshold"]


# --- training -----------------------------------------------------------------------------


def test_training_is_deterministic_and_records_its_data():
    lexicon = load_lexicon()
    files = [DATA / "actions_dev6.csv", DATA / "actions_dev8.csv"]
    first, second = training.train(lexicon, files), training.train(lexicon, files)
    assert first == second
    head = json.loads(first)
    assert head["data_hash"] == training.data_hash(files)
    assert head["training_files"] == ["actions_dev6.csv", "actions_dev8.csv"]
    other = training.train(lexicon, [DATA / "actions_dev6.csv"])
    assert json.loads(other)["data_hash"] != head["data_hash"]


def test_the_app_reads_back_exactly_what_training_fitted(tmp_path):
    lexicon = load_lexicon()
    files = [DATA / "actions_dev6.csv", DATA / "actions_dev8.csv"]
    fitted = training.fit(training.load_examples(lexicon, files), lexicon, "0" * 64)
    path = tmp_path / "model.json"
    path.write_text(training.model_json(fitted, files), encoding="utf-8")
    loaded = load_model(path)
    assert loaded.weights == fitted.weights and loaded.bias == fitted.bias


def test_inference_matches_the_training_scripts_predictions(classifier):
    lexicon, model = classifier.lexicon, classifier.model
    texts = [text for text, _ in load_labelled_actions(DATA / "actions_blind5.csv")]
    norms = [normalise(text[: lexicon.max_chars], lexicon) for text in texts]
    expected = training.numpy_probabilities(model, norms)
    for row, norm in zip(expected, norms, strict=True):
        got = predict(model, text_features(norm))
        assert [got[kind] for kind in KINDS] == pytest.approx(list(row), abs=1e-9)


def test_the_temperature_divides_the_models_scores_before_the_softmax():
    sure = TextModel("", 7, 6, "0" * 64, 0.5, (0.0, 2.0, 0.0), {}, temperature=1.0)
    softer = TextModel("", 7, 6, "0" * 64, 0.5, (0.0, 2.0, 0.0), {}, temperature=2.0)
    e2, e1 = 2.718281828459045**2, 2.718281828459045
    assert predict(sure, {})["collective"] == pytest.approx(e2 / (e2 + 2))
    assert predict(softer, {})["collective"] == pytest.approx(e1 / (e1 + 2))


def test_features_are_words_pairs_and_character_grams_of_unit_length():
    features = text_features("added a disclaimer")
    assert {"w:added", "b:added a", "c: ad", "c:mer "} <= set(features)
    assert sum(value * value for value in features.values()) == pytest.approx(1.0)
    assert text_features("") == {} and text_features("!!!") == {}


# --- the ensemble -------------------------------------------------------------------------


def test_the_ensemble_keeps_the_contract_and_says_why(classifier):
    result = label("We held the launch two weeks for an external bias audit.", classifier, 0.7)
    assert list(result.to_dict()) == ["text", "kind", "confidence", "needs_review", "cues"]
    assert result.kind == "collective" and not result.needs_review
    assert "collective:launch_hold" in result.cues and "model:collective" in result.cues
    assert any(cue.startswith("model_word:") for cue in result.cues)
    assert sum(result.probabilities.values()) == pytest.approx(1.0)
    assert result.version == classifier.version


def test_the_old_confident_mistake_stays_gone(classifier):
    result = label("We did not get an audit", classifier, 0.7)
    assert result.kind == "none" and not result.needs_review


def test_rules_and_model_that_disagree_send_the_action_to_review(classifier):
    text = "Added a disclaimer to the chatbot's answers."
    assert classify(text, classifier.lexicon, 0.7).kind == "individual"
    # a model that always says collective, however sure, outvotes nothing: it halves
    contrary = TextModel("", 7, 6, "0" * 64, 0.5, (0.0, 20.0, 0.0), {})
    result = label(text, Classifier(classifier.lexicon, contrary), 0.7)
    assert result.needs_review and result.confidence < 0.7
    assert "review:rules_and_model_disagree" in result.cues
    assert "model:collective" in result.cues
    # what decided review: the pooled confidence; neither half was unsure on its own
    assert "review:confidence_below_threshold" in result.cues
    assert "review:rules_unsure" not in result.cues and "review:model_unsure" not in result.cues


def test_a_reviewed_action_names_the_unsure_half_and_a_confident_one_no_review_cue(classifier):
    unsure = TextModel("", 7, 6, "0" * 64, 0.5, (0.0, 0.0, 0.0), {})
    text = "Added a disclaimer to the chatbot's answers."
    result = label(text, Classifier(classifier.lexicon, unsure), 0.9)
    assert result.needs_review and "review:model_unsure" in result.cues
    confident = label("We held the launch two weeks for an external bias audit.", classifier, 0.7)
    assert not confident.needs_review
    assert not [cue for cue in confident.cues if cue.startswith("review:")]


@pytest.mark.parametrize(
    "text",
    ["Made sure things were handled properly.", "honestly we just hope the model behaves"],
)
def test_vague_texts_still_go_to_review_or_none(classifier, text):
    result = label(text, classifier, 0.7)
    assert result.needs_review or result.kind == "none"


def test_the_ensemble_is_deterministic(classifier):
    text = "I wrote eval cases the assistant should refuse, and legal signed off."
    assert label(text, classifier, 0.7) == label(text, classifier, 0.7)


_CLASSIFY_ALL = """
import sys
from assessments.classify import label, load_classifier, load_labelled_actions
classifier = load_classifier()
for text, _ in load_labelled_actions(sys.argv[1]):
    result = label(text, classifier, classifier.threshold)
    print(result.kind, repr(result.confidence), [repr(p) for p in result.probabilities.values()])
"""


def test_a_classification_is_the_same_in_every_worker_process():
    # The model's features come from a set, ordered by the process's hash seed: its sums
    # must not depend on that order, or a text at the review threshold could go either way.
    root = Path(__file__).resolve().parents[2]
    outputs = []
    for seed in ("1", "2"):
        env = {
            **os.environ,
            "PYTHONHASHSEED": seed,
            "DJANGO_SETTINGS_MODULE": "config.test_settings",
        }
        done = subprocess.run(
            [sys.executable, "-c", _CLASSIFY_ALL, str(DATA / "actions_blind5.csv")],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        outputs.append(done.stdout.splitlines())
    assert len(outputs[0]) == 200
    assert outputs[0] == outputs[1]
