"""Training: `train(TrainConfig(...), progress=callback)`."""

from ml.evaluation.predict import predict_probs
from ml.training.config import TrainConfig
from ml.training.loop import TrainResult, evaluate_model, train

__all__ = ["TrainConfig", "TrainResult", "evaluate_model", "predict_probs", "train"]
