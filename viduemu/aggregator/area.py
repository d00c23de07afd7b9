"""The aggregator dialect: /ent/v2's generation and subjects behind another wire (``/model/v1``).

It owns no records: its tasks run in the shared task engine (vidu/tasks.py) under its own types (the
model names), are checked and priced by /ent/v2's rule tables, and get their outputs and callbacks from
the task events it subscribes to.
"""

from __future__ import annotations

from collections.abc import Sequence

from starlette.routing import BaseRoute

from viduemu.aggregator import routes, rules
from viduemu.aggregator.views import task_view
from viduemu.core.area import Area
from viduemu.core.context import Core
from viduemu.ent.area import EntArea
from viduemu.ent.views import subject_created_view
from viduemu.vidu.accounts import Accounts
from viduemu.vidu.callbacks import NOTIFY_STATES, Callbacks
from viduemu.vidu.tasks import TaskChanged, TaskEngine, TaskSucceeding


class AggregatorArea(Area):
    def __init__(self, core: Core, accounts: Accounts, tasks: TaskEngine, callbacks: Callbacks, ent: EntArea) -> None:
        self.core, self.accounts, self.tasks, self.callbacks, self.ent = core, accounts, tasks, callbacks, ent
        core.events.subscribe(TaskSucceeding, self._task_succeeding)
        core.events.subscribe(TaskChanged, self._task_changed)

    def _task_succeeding(self, event: TaskSucceeding) -> None:
        task = event.task
        if task.type == rules.IMG2VIDEO:
            self.ent.outputs.fill(task)
        elif task.type == rules.CREATE_SUBJECTS:
            task.result = subject_created_view(self.ent.subjects.make(task.api_key, task.fields))

    def _task_changed(self, event: TaskChanged) -> None:
        task = event.task
        if task.callback_url and task.type in rules.TYPES and task.state in NOTIFY_STATES:   # callbacks carry this dialect's task object
            self.callbacks.notify(task.task_id, task.api_key, task.callback_url,
                                  task_view(task, self.core.linker(self.core.settings.base_url), self.core.clock.now()))

    def routes(self) -> Sequence[BaseRoute]:
        return routes.routes(self)
