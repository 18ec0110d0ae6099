"""Signals other apps may subscribe to (this app never imports them).

`visit_needs_case(sender=Visit, visit=<Visit>, user=<User>)` is sent after the visit's
transaction commits when the visitor ticked "需转为事件办理". The case loop (jiceng.cases)
can connect a receiver that opens a case with channel "grid" and writes the case number
back with `jiceng.people.services.link_case(visit, number)`.
"""

from django.dispatch import Signal

visit_needs_case = Signal()
