import numpy as np
import pytest

from ml.taxonomy import (
    AFFECTNET8,
    CIRCUMPLEX,
    EMOTIONS,
    FER2013_7,
    FERPLUS_COLUMNS,
    LabelSet,
    UnknownLabelError,
    canonical_name,
    ckplus_code_to_name,
    derive_va,
    fer2013_code_to_name,
    ferplus_votes_to_canonical,
    label_set_for,
)


def test_canonical_order_is_affectnet():
    assert EMOTIONS == ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger", "contempt")
    assert AFFECTNET8.num_classes == 8
    assert FER2013_7.classes == ("neutral", "happy", "sad", "surprise", "fear", "disgust", "anger")


@pytest.mark.parametrize(
    ("name", "expected"),
    [("angry", "anger"), ("Happiness", "happy"), ("surprised", "surprise"), ("sadness", "sad"),
     ("fearful", "fear"), ("disgusted", "disgust"), ("contempt", "contempt"), (" neutral ", "neutral")],
)  # fmt: skip
def test_folder_names_map_onto_canonical(name, expected):
    assert canonical_name(name) == expected


def test_unknown_name_raises_clear_error():
    with pytest.raises(UnknownLabelError, match="unknown emotion name 'boredom'"):
        canonical_name("boredom")


def test_fer2013_codes_follow_the_csv():
    assert [fer2013_code_to_name(c) for c in range(7)] == [
        "anger", "disgust", "fear", "happy", "sad", "surprise", "neutral",
    ]  # fmt: skip
    with pytest.raises(UnknownLabelError):
        fer2013_code_to_name(7)


def test_ckplus_codes():
    assert [ckplus_code_to_name(c) for c in range(8)] == [
        "neutral", "anger", "contempt", "disgust", "fear", "happy", "sad", "surprise",
    ]  # fmt: skip
    with pytest.raises(UnknownLabelError):
        ckplus_code_to_name(8)


def test_ferplus_votes_reorder_and_drop_unknown_and_nf():
    assert FERPLUS_COLUMNS[-2:] == ("unknown", "NF")
    # neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF
    votes = [4, 0, 0, 0, 1, 0, 0, 4, 1, 0]
    canonical = ferplus_votes_to_canonical(votes)
    assert canonical.tolist() == [4, 0, 0, 0, 0, 0, 1, 4]
    with pytest.raises(ValueError, match="10 vote columns"):
        ferplus_votes_to_canonical([1, 2, 3])


def test_label_set_rejects_non_canonical_classes():
    with pytest.raises(UnknownLabelError):
        LabelSet("bad", ("happy", "bored"))
    assert label_set_for(["anger", "happy", "neutral", "sad", "surprise", "fear", "disgust"]) is FER2013_7
    assert label_set_for(["happy", "sad"]).classes == ("happy", "sad")


def test_to_canonical_spreads_subset_scores():
    out = FER2013_7.to_canonical(np.array([[0.1, 0.2, 0.3, 0.1, 0.1, 0.1, 0.1]]))
    assert out.shape == (1, 8) and out[0, 7] == 0 and out[0, 2] == pytest.approx(0.3)


def test_derive_va_is_weighted_mean_of_circumplex_points():
    one_hot = np.eye(8)[EMOTIONS.index("happy")]
    assert derive_va(one_hot) == pytest.approx(CIRCUMPLEX["happy"])
    mixed = derive_va([0.5, 0.5, 0, 0, 0, 0, 0, 0])
    assert mixed == pytest.approx(tuple(0.5 * v for v in CIRCUMPLEX["happy"]))
    assert derive_va(np.ones(8) * 3) == pytest.approx(tuple(np.mean([CIRCUMPLEX[e] for e in EMOTIONS], axis=0)))
    assert all(-1 <= v <= 1 for v in derive_va(np.random.default_rng(0).random(8)))
    assert derive_va(np.zeros(8)) == (0.0, 0.0)


def test_derive_va_checks_the_number_of_classes():
    with pytest.raises(ValueError, match="expected 8"):
        derive_va([1.0, 0.0])
    assert derive_va(np.eye(7)[0], FER2013_7) == pytest.approx(CIRCUMPLEX["neutral"])
