from tests.webapp.training.conftest import (  # noqa: F401
    affectnet,
    facial_keypoints,
    fer2013,
    ferplus,
    import_dataset,
    sent_tasks,
)
