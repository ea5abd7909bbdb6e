"""The science core: taxonomies, datasets, faces, architectures, training, metrics.

Pure PyTorch/NumPy/OpenCV; nothing here imports Django or Celery, so it can be used
alone (`python -m ml ...`) and is called by the Celery worker.
"""
