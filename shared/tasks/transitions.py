"""Moving a task through its state machine inside a unit of work: the one place a task's status changes.

Kept apart from shared/tasks/service.py so the areas that move tasks (applications, work, payments, disputes) need
only the task model and the pure rules, not the publishing use cases and everything they import (cold start).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from shared.errors import Conflict
from shared.tasks import rules as task_rules
from shared.tasks.models import Task

if TYPE_CHECKING:
    from shared.rules_config import Rules
    from shared.uow import UnitOfWork


def next_status(task: Task, action: str, rules: Rules | None = None) -> str:
    """The status `action` leads to, or 409 TASK_STATE_CONFLICT naming the current status."""
    try:
        return task_rules.transition(task.status, action, escrow_required=bool(rules and rules.escrow_required))
    except task_rules.InvalidTransition:
        raise Conflict("TASK_STATE_CONFLICT",
                       f"任务当前状态为「{task_rules.STATUS_NAMES[task.status]}」，不能执行此操作") from None


def set_status(uow: UnitOfWork, task: Task, status: str) -> str:
    """Apply the new status with its timestamps and version; returns the previous status. The caller publishes the
    domain event that says why (TaskClosed, TaskAssigned, TaskCompleted …): that is the behaviour log."""
    previous = task.status
    task.status = status
    task.updated_at = uow.now
    task.version += 1
    if status == "open" and task.published_at is None:
        task.published_at = uow.now
    if status in task_rules.TERMINAL:
        task.closed_at = uow.now
    uow.session.add(task)
    return previous
