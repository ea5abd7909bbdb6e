"""Training: `train(TrainConfig(...), progress=callback)`."""

from ml.training.config import TrainConfig
from ml.training.loop import TrainResult, evaluate_model, predict_probs, train

__all__ = ["TrainConfig", "TrainResult", "evaluate_model", "predict_probs", "train"]
