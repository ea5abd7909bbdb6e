import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from ml.data import (
    DatasetError,
    affectnet,
    facial_keypoints,
    load_faceset,
    parse_label_csv,
    read_affectnet,
    read_class_folders,
    read_facial_keypoints,
    read_fer2013_csv,
    read_ferplus,
)
from ml.data.faceset import stratified_split
from ml.taxonomy import AFFECTNET8, FER2013_7, UnknownLabelError

from .conftest import write_class_folders


def test_ferplus_label_csv_parsing():
    rows = parse_label_csv('fer0028638.png,"(0, 0, 48, 48)",4,0,0,0,1,0,0,4,1,0\n')
    (row,) = rows
    assert row.file == "fer0028638.png" and row.box == (0, 0, 48, 48)
    assert row.votes == (4, 0, 0, 0, 1, 0, 0, 4, 1, 0)
    assert row.emotion_votes.tolist() == [4, 0, 0, 0, 0, 0, 1, 4]  # canonical order
    assert row.majority() == 0  # neutral and contempt tie at 4: earlier FER+ column wins
    assert row.is_usable and row.agreement == pytest.approx(4 / 9)


def test_ferplus_rows_with_unknown_or_nf_majority_are_unusable():
    unknown, nf = parse_label_csv(
        'a.png,"(0, 0, 48, 48)",2,0,0,1,0,0,0,3,4,0\nb.png,"(0, 0, 48, 48)",1,0,0,2,0,0,0,0,3,4\n'
    )
    assert not unknown.is_usable and not nf.is_usable


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('a.png,"(0, 0, 48, 48)",1,2,3\n', "expected 12 columns"),
        ('a.png,"0 0 48 48",1,0,0,0,0,0,0,0,0,0\n', "face box"),
        ('a.png,"(0, 0, 48, 48)",x,0,0,0,0,0,0,0,0,0\n', "vote counts"),
        ("", "no rows"),
    ],
)
def test_ferplus_malformed_label_csv(text, message):
    with pytest.raises(DatasetError, match=message):
        parse_label_csv(text)


def test_read_ferplus_fixture(ferplus_dir):
    faces = read_ferplus(str(ferplus_dir), "FER2013Train")
    assert faces.label_set == AFFECTNET8
    assert faces.notes == {"rows": 42, "dropped_unknown_or_not_face": 2}
    assert len(faces) == 40 and faces.images.shape == (40, 48, 48) and faces.images.dtype == np.uint8
    assert faces.class_counts() == dict.fromkeys(AFFECTNET8.classes, 5)
    np.testing.assert_allclose(faces.soft_targets.sum(axis=1), 1.0, rtol=1e-6)
    assert (faces.soft_targets.argmax(axis=1) == faces.labels).all()


def test_read_ferplus_majority_matches_votes(ferplus_dir):
    faces = read_ferplus(str(ferplus_dir), "FER2013Valid")
    rows = {r.file: r for r in parse_label_csv((ferplus_dir / "FER2013Valid" / "label.csv").read_text())}
    for name, label in zip(faces.names, faces.labels, strict=True):
        assert label == rows[name.split("/")[-1]].majority()


def test_read_ferplus_missing_split(ferplus_dir):
    with pytest.raises(DatasetError, match="no FER2013Test/label.csv"):
        read_ferplus(str(ferplus_dir), "FER2013Test")


def test_class_folders_kaggle_layout(fer2013_dir):
    faces = read_class_folders(str(fer2013_dir), "train")
    assert faces.label_set == FER2013_7
    assert faces.class_counts() == dict.fromkeys(FER2013_7.classes, 5)
    assert faces.names[0].startswith("train/")


def test_class_folders_from_zip_equal_folder(fer2013_dir, fer2013_zip):
    from_zip = load_faceset(str(fer2013_zip), "train")
    from_dir = load_faceset(str(fer2013_dir), "train")
    assert (from_zip.images == from_dir.images).all() and (from_zip.labels == from_dir.labels).all()


def test_class_folders_resize_and_rgb(fer2013_dir):
    faces = read_class_folders(str(fer2013_dir / "val"), size=64, channels=3)
    assert faces.images.shape == (7, 64, 64, 3) and faces.channels == 3


def test_class_folders_unknown_folder_name(tmp_path):
    write_class_folders(tmp_path, {"happy": 1, "bored": 1})
    with pytest.raises(UnknownLabelError, match="bored"):
        read_class_folders(str(tmp_path))


def test_class_folders_empty_class(tmp_path):
    write_class_folders(tmp_path, {"happy": 2, "sad": 0})
    (tmp_path / "sad" / "notes.txt").write_text("no images here")
    with pytest.raises(DatasetError, match=r"without images: \['sad'\]"):
        read_class_folders(str(tmp_path))


def test_missing_path():
    with pytest.raises(DatasetError, match="does not exist"):
        load_faceset("/nonexistent/fer2013")


def _write_csv(path, header, rows):
    path.write_text(header + "\n" + "\n".join(rows) + "\n")
    return path


def test_fer2013_csv(tmp_path):
    pixels = " ".join(["128"] * 2304)
    csv_path = _write_csv(
        tmp_path / "fer2013.csv",
        "emotion,pixels,Usage",
        [f"0,{pixels},Training", f"6,{pixels},Training", f"3,{pixels},PublicTest"],
    )
    faces = read_fer2013_csv(str(csv_path), "Training")
    assert faces.label_set == FER2013_7 and faces.images.shape == (2, 48, 48)
    assert [faces.label_set.classes[i] for i in faces.labels] == ["anger", "neutral"]
    assert len(load_faceset(str(csv_path), "PublicTest")) == 1


def test_fer2013_csv_wrong_columns(tmp_path):
    csv_path = _write_csv(tmp_path / "bad.csv", "label,image", ["0,1 2 3"])
    with pytest.raises(DatasetError, match=r"missing column\(s\) \['emotion', 'pixels'\]"):
        read_fer2013_csv(str(csv_path))


def test_fer2013_csv_wrong_pixel_count(tmp_path):
    csv_path = _write_csv(tmp_path / "short.csv", "emotion,pixels,Usage", ["0,1 2 3,Training"])
    with pytest.raises(DatasetError, match="2304 pixel values"):
        read_fer2013_csv(str(csv_path))


def test_stratified_split_is_deterministic_and_keeps_every_class():
    labels = np.array([0] * 10 + [1] * 3 + [2] * 1)
    keep_a, held_a = stratified_split(labels, 0.3, seed=1)
    keep_b, held_b = stratified_split(labels, 0.3, seed=1)
    assert (keep_a == keep_b).all() and (held_a == held_b).all()
    assert set(labels[keep_a]) == {0, 1, 2} and len(held_a) == 3 + 1
    assert sorted(np.concatenate([keep_a, held_a]).tolist()) == list(range(14))


def test_fingerprint_changes_with_data(fer2013_dir):
    faces = read_class_folders(str(fer2013_dir), "val")
    same = read_class_folders(str(fer2013_dir), "val")
    assert faces.fingerprint() == same.fingerprint()
    assert faces.subset(np.arange(3)).fingerprint() != faces.fingerprint()


def test_read_ferplus_from_zip_equals_folder(tmp_path, ferplus_dir):
    import shutil

    archive = shutil.make_archive(str(tmp_path / "ferplus"), "zip", root_dir=ferplus_dir.parent, base_dir="ferplus")
    from_zip = load_faceset(archive, "FER2013Valid")
    from_dir = load_faceset(str(ferplus_dir), "FER2013Valid")
    assert from_zip.soft_targets is not None
    assert (from_zip.images == from_dir.images).all() and (from_zip.soft_targets == from_dir.soft_targets).all()


def test_ferplus_root_without_split_asks_for_one(ferplus_dir):
    with pytest.raises(DatasetError, match="name a split"):
        load_faceset(str(ferplus_dir))
    assert len(load_faceset(str(ferplus_dir / "FER2013Valid"))) == 8


def test_torch_dataset_view(ferplus_dir):
    from torch.utils.data import DataLoader

    from ml.data import FaceTensorDataset

    faces = read_ferplus(str(ferplus_dir), "FER2013Valid")
    images, targets = next(iter(DataLoader(FaceTensorDataset(faces, mean=[0.5], std=[0.25]), batch_size=4)))
    assert images.shape == (4, 1, 48, 48) and images.dtype.is_floating_point
    assert targets["target"].shape == (4, 8) and targets["va"].shape == (4, 2)
    assert (targets["label"] == targets["target"].argmax(dim=1)).all()


# ---- AffectNet CSV and Kaggle facial keypoints (constructed fixtures, see tests/fixtures/datasets/README.md) ----

DATASET_FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "datasets"
AFFECTNET_DIR = DATASET_FIXTURES / "affectnet_small"
KEYPOINTS_CSV = DATASET_FIXTURES / "facial_keypoints_small.csv"


def _affectnet_row(**overrides) -> dict[str, str]:
    row = {
        "subDirectory_filePath": "1/a.jpg", "face_x": "10", "face_y": "20", "face_width": "30", "face_height": "40",
        "facial_landmarks": ";".join(["1.5"] * 136), "expression": "3", "valence": "0.25", "arousal": "-2",
    }  # fmt: skip
    return {**row, **overrides}


def test_affectnet_row_parser():
    row = affectnet.parse_row(_affectnet_row())
    assert (row.file, row.box, row.emotion, row.valence, row.arousal) == ("1/a.jpg", (10, 20, 30, 40), "surprise",
                                                                         0.25, None)  # fmt: skip
    assert row.landmarks.shape == (68, 2)
    assert affectnet.parse_row(_affectnet_row(expression="10")).emotion is None
    assert affectnet.parse_row(_affectnet_row(expression="10")).expression_name == "non-face"
    assert affectnet.parse_row(_affectnet_row(facial_landmarks="")).landmarks is None


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"expression": "11"}, "expression must be 0..10"),
        ({"expression": "happy"}, "expression must be a number"),
        ({"face_width": "0"}, "must be positive"),
        ({"face_x": "1.5"}, "whole number"),
        ({"valence": "1.5"}, r"valence must lie in \[-1, 1\]"),
        ({"arousal": "nan"}, "must be finite"),
        ({"facial_landmarks": "1;2;3"}, "136 numbers"),
        ({"subDirectory_filePath": " "}, "subDirectory_filePath is empty"),
    ],
)
def test_affectnet_bad_rows_name_the_problem(overrides, message):
    with pytest.raises(DatasetError, match=message):
        affectnet.parse_row(_affectnet_row(**overrides), "training.csv:7")


def test_affectnet_reader_crops_faces_and_keeps_annotated_va():
    faces = read_affectnet(str(AFFECTNET_DIR / "training.csv"), size=64, channels=1)
    assert len(faces) == 7 and faces.images.shape == (7, 64, 64)
    assert faces.notes == {"rows": 8, "dropped_no_emotion": 1, "dropped_unreadable": 0, "va_only": 1}
    assert [faces.label_set.classes[i] for i in faces.labels[:6]] == ["happy", "surprise", "happy", "sad", "neutral",
                                                                     "anger"]  # fmt: skip
    # the "uncertain" row has V/A: kept for V/A tasks with label -1; the non-face row without V/A is dropped
    assert faces.labels[6] == -1 and faces.valence_arousal[6].tolist() == pytest.approx([-0.3, 0.6])
    assert faces.valence_arousal[0].tolist() == pytest.approx([0.762, 0.254])
    assert np.isnan(faces.valence_arousal[2]).all()  # -2 = not annotated
    assert faces.keypoints.shape == (7, 68, 2)
    # landmarks moved into the crop and scaled with it: the nose tip (point 30) lands mid-crop
    nose_tips = faces.keypoints[:, 30]
    assert ((nose_tips > 16) & (nose_tips < 48)).all(), nose_tips
    assert faces.subset(np.array([1])).keypoints.shape == (1, 68, 2)


def test_affectnet_reader_finds_its_csv_in_a_zip(tmp_path):
    archive = shutil.make_archive(str(tmp_path / "affectnet"), "zip", root_dir=AFFECTNET_DIR)
    faces = load_faceset(archive, size=48)
    assert len(faces) == 7 and faces.source.startswith("affectnet:")


def test_affectnet_wrong_columns(tmp_path):
    bad = tmp_path / "training.csv"
    bad.write_text("subDirectory_filePath,valence\n1/a.jpg,0.5\n")  # neither an expression nor V/A pair
    with pytest.raises(DatasetError, match="needs subDirectory_filePath and expression or valence and arousal"):
        read_affectnet(str(bad))


DIFFUSIONFER_DIR = DATASET_FIXTURES / "diffusionfer_small"


def test_diffusionfer_layout_whole_image_is_the_face_no_landmarks_and_va_only_rows_kept():
    """AffectNet's columns without box and landmarks (DiffusionFER's dataset_sheet.csv), found in its folder."""
    faces = load_faceset(str(DIFFUSIONFER_DIR), size=32, channels=3)
    assert faces.source.startswith("affectnet:") and faces.images.shape == (4, 32, 32, 3)
    assert faces.notes == {"rows": 5, "dropped_no_emotion": 1, "dropped_unreadable": 0, "va_only": 1}
    assert faces.keypoints is None  # no landmark column: none stored, not 68 NaN points
    assert [faces.label_set.classes[i] if i >= 0 else None for i in faces.labels] == ["neutral", "happy", None,
                                                                                     "surprise"]  # fmt: skip
    np.testing.assert_allclose(faces.valence_arousal, [[-0.1, 0.1], [0.4, 0.2], [-0.2, -0.1], [-0.1, 0.5]], atol=1e-6)
    # no box: the whole 64x64 image is the crop (shrunk to 32, not cut)
    whole = np.asarray(Image.open(DIFFUSIONFER_DIR / "cropped/neutral/aksjlkjl_0.jpg").convert("RGB").resize((32, 32)))
    assert np.abs(faces.images[0].astype(int) - whole.astype(int)).mean() < 8
    emotion_only = faces.with_emotion_labels()
    assert len(emotion_only) == 3 and (emotion_only.labels >= 0).all()
    assert emotion_only.notes["left_out_no_emotion"] == 1


def test_affectnet_rows_without_box_or_expression_parse_and_half_a_box_is_refused():
    row = affectnet.parse_row({"subDirectory_filePath": "a.jpg", "valence": "0.5", "arousal": "-0.25"})
    assert (row.box, row.expression, row.emotion, row.has_va) == (None, None, None, True)
    assert row.crop_box(40, 30) == (0, 0, 40, 30) and row.expression_name == "no expression given"
    with pytest.raises(DatasetError, match="all of .* or none"):
        affectnet.parse_row({"subDirectory_filePath": "a.jpg", "face_x": "1", "expression": "1"}, "x.csv:2")
    assert affectnet.is_affectnet_header(["subDirectory_filePath", "valence", "arousal"])
    assert not affectnet.is_affectnet_header(["subDirectory_filePath", "valence"])


def test_facial_keypoints_reader():
    faces = load_faceset(str(KEYPOINTS_CSV), size=96)
    assert faces.images.shape == (4, 96, 96) and faces.keypoints.shape == (4, 15, 2)
    assert (faces.labels == -1).all() and faces.class_counts() == dict.fromkeys(faces.label_set.classes, 0)
    assert np.isfinite(faces.keypoints[0]).all()
    assert np.isfinite(faces.keypoints[1]).sum() == 8  # only 4 of 15 points annotated
    left, right = faces.keypoints[0, 0], faces.keypoints[0, 1]
    assert left[0] > right[0]  # Kaggle's "left eye" is the subject's left: the picture's right
    half = read_facial_keypoints(str(KEYPOINTS_CSV), size=48)
    assert np.allclose(half.keypoints, faces.keypoints / 2, equal_nan=True)


def test_facial_keypoints_bad_rows(tmp_path):
    header = ",".join(facial_keypoints.COORDINATE_COLUMNS)
    with pytest.raises(DatasetError, match="no 'Image' column"):
        facial_keypoints.read_rows(f"{header}\n", "kp.csv")
    with pytest.raises(DatasetError, match="keypoint columns missing"):
        facial_keypoints.read_rows("left_eye_center_x,Image\n", "kp.csv")
    pixels = " ".join(["7"] * 9216)
    good = dict.fromkeys(facial_keypoints.COORDINATE_COLUMNS, "") | {"Image": pixels}
    assert np.isnan(facial_keypoints.parse_row(good).keypoints).all()
    for overrides, message in [
        ({"Image": "1 2 3"}, "9216 pixel values"),
        ({"Image": pixels.replace("7", "300", 1)}, "0..255"),
        ({"nose_tip_x": "97"}, "outside the 96x96"),
        ({"nose_tip_x": "40"}, "only one of x, y"),
        ({"nose_tip_x": "abc", "nose_tip_y": "1"}, "must be a number"),
    ]:
        with pytest.raises(DatasetError, match=message):
            facial_keypoints.parse_row(good | overrides, "kp.csv:2")
