"""The one fake for sending Celery tasks: record what a service sent (and optionally run it here).

Services send their task on commit with `task.apply_async(args=[...], queue=...)`; tests that are not
about the broker patch the task so nothing reaches one. Each fixture built on this (`queued`,
`sent_tasks`, `queue_only`, `run_inline`) picks what it records, so its tests read naturally.
"""

from __future__ import annotations

from collections.abc import Callable


class FakeResult:
    """What `apply_async` returns; services store its id on the job row."""

    id = "task-1"


def fake_sends(
    monkeypatch,
    tasks,
    entry: Callable = lambda task, args, queue: (args, queue),
    run: bool = False,
) -> list:
    """Patch each task's `apply_async` to append `entry(task, args, queue)` to the returned list; with
    `run`, also run the task at once in this process (as a worker would, minus the broker)."""
    sent: list = []

    def patch(task):
        def apply_async(args=None, kwargs=None, queue=None, **options):
            sent.append(entry(task, args, queue))
            if run:
                task(*(args or ()), **(kwargs or {}))
            return FakeResult()

        monkeypatch.setattr(task, "apply_async", apply_async)

    for task in tasks:
        patch(task)
    return sent
