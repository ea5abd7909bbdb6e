"""One worker process's face pipelines, one per model version, loaded once and kept.

The detector and the landmark predictor do not depend on the model version, so every cached
pipeline shares the same two objects; only the classifier is loaded per version. A promotion
reaches a running worker because each job asks for the active version's pipeline by tag.
"""

from __future__ import annotations

import os
import threading
from collections import OrderedDict
from collections.abc import Iterator
from contextlib import contextmanager

# A single photo is too little work to share between cores; spinning OpenMP threads would only
# burn the cores other jobs need. Must be set before torch starts its thread pool.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

# Versions kept in memory at once: the active one, plus the last few after promotions.
MAX_PIPELINES = 3
SALIENCY = "gradcam++"  # never negative on the post-ReLU maps ml.saliency reads (see there)

_lock = threading.Lock()
_pipelines: OrderedDict = OrderedDict()
_faces: dict = {}


class StaleCheckpointError(ValueError):
    """The checkpoint file on disk is no longer the one the model version was registered with."""


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one thread for the block (a training task in the same process gets its threads back)."""
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def pipeline_for(version, settings):
    """The Pipeline that predicts with `version` (a modelzoo ModelVersion), loaded on first use.

    `settings` (an ml.settings.PipelineSettings: the webapp's `settings.CONFIG.pipeline`) choose
    the detector, landmarks, thresholds and weight files when the process loads its first pipeline.
    """
    with _lock:
        pipeline = _pipelines.get(version.tag)
        if pipeline is not None:
            _pipelines.move_to_end(version.tag)
            return pipeline
        pipeline = _load(version, settings)
        _pipelines[version.tag] = pipeline
        while len(_pipelines) > MAX_PIPELINES:
            _pipelines.popitem(last=False)
        return pipeline


def cached_tags() -> list[str]:
    return list(_pipelines)


def shared_landmarker(settings):
    """The process's landmark predictor (FER_LANDMARKS), shared with its pipelines; loaded on first use."""
    with _lock:
        if "landmarks" not in _faces:
            _faces["landmarks"] = settings.create_landmarker()
        return _faces["landmarks"]


def _load(version, settings):
    from ml.pipeline import Pipeline

    if "detector" not in _faces:
        _faces["detector"] = settings.create_detector()
    if "landmarks" not in _faces:
        _faces["landmarks"] = settings.create_landmarker()
    pipeline = Pipeline.from_settings(
        settings,
        detector=_faces["detector"],
        landmarks=_faces["landmarks"],
        classifier_checkpoint=version.path,
        saliency=SALIENCY,
    )
    if pipeline.model_version != version.tag:
        raise StaleCheckpointError(
            f"{version.checkpoint} now holds {pipeline.model_version}, not {version.tag}: "
            "the file changed after it was registered; register it again as a new version"
        )
    with single_thread():
        pipeline.warm_up()
    return pipeline
