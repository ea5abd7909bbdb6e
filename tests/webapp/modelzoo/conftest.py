from tests.webapp.training.conftest import fer2013, ferplus, import_dataset, sent_tasks  # noqa: F401
