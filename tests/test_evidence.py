"""CEL401 call sites: which task calls exist and which arguments are ORM instances.

Precision first: every "stays silent" case below is a pattern seen in real projects that
must never be reported.
"""

from __future__ import annotations

import ast
import sys
import textwrap

import pytest

from celerylint.facts.calls import EvidenceScanner
from celerylint.facts.imports import collect_imports
from celerylint.facts.schema import CallSite
from celerylint.facts.values import Evaluator, Value
from celerylint.facts.walk import TreeIndex
from celerylint.findings import Span
from celerylint.parsing.source import SourceFile

HEADER = """\
from django.db import models, transaction
from django.shortcuts import get_object_or_404
from proj.models import Order, Event
from proj.tasks import notify
"""


def scan(code: str, header: str = HEADER, constants: dict[str, str] | None = None,
         ) -> list[CallSite]:
    """Call sites of `code` (file line 5 is the snippet's first line)."""
    text = header + textwrap.dedent(code).lstrip("\n")
    tree = ast.parse(text)
    source = SourceFile("proj/views.py", text)
    imports = collect_imports(tree, "proj.views", False)
    known = constants or {}

    def constant(name: str) -> Value | None:
        return Value(True, known[name]) if name in known else None

    evaluator = Evaluator(source.span, constant, imports.resolve)
    return EvidenceScanner(source, imports, evaluator).scan(TreeIndex(tree))


def flagged(code: str, header: str = HEADER) -> dict[str, str]:
    """Argument text -> evidence, over every call site."""
    return {arg.text: arg.evidence for site in scan(code, header) for arg in site.arguments}


# -- what becomes a call site -----------------------------------------------------------


def test_every_task_call_method_is_a_call_site_even_without_evidence() -> None:
    sites = scan("""
        def view(request, pk):
            notify.delay(pk)
            notify.apply_async((pk,), countdown=5)
            sig = notify.s(pk) | notify.si(pk)
            other = notify.signature((pk,))
            current_app.send_task("proj.tasks.notify", args=[pk])
    """)
    assert [site.method for site in sites] == [
        "delay", "apply_async", "s", "si", "signature", "send_task"]
    assert all(site.arguments == () for site in sites)
    assert sites[0].receiver == "proj.tasks.notify"
    assert sites[-1].receiver == "current_app"
    assert sites[-1].task_name == "proj.tasks.notify"


def test_call_sites_are_sorted_and_spans_cover_the_whole_call() -> None:
    sites = scan("""
        def b(pk):
            notify.delay(
                pk,
            )

        def a(pk):
            notify.s(pk)
    """)
    assert [site.method for site in sites] == ["delay", "s"]
    assert sites[0].span == Span(6, 5, 8, 6)
    assert sites[1].span.row == 11


def test_receiver_resolves_aliases_and_is_empty_when_unresolvable() -> None:
    sites = scan("""
        from proj import tasks as t
        def view(pk, registry):
            t.send_report.delay(pk)
            registry["x"].delay(pk)
    """)
    assert [site.receiver for site in sites] == ["proj.tasks.send_report", ""]


def test_task_name_of_signature_and_send_task_folds_constants() -> None:
    sites = scan("""
        from celery import current_app
        NAME = "proj.tasks.rebuild"
        def view(pk, dynamic):
            current_app.signature("proj.tasks.notify", args=(pk,))
            current_app.send_task(name=NAME)
            current_app.send_task(dynamic)
            notify.signature((pk,))
    """, constants={"NAME": "proj.tasks.rebuild"})
    assert [site.task_name for site in sites] == [
        "proj.tasks.notify", "proj.tasks.rebuild", None, None]


# -- evidence: Django queries -----------------------------------------------------------


def test_object_from_get_is_evidence_with_exact_argument_span() -> None:
    sites = scan("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            notify.delay(order, order.pk)
    """)
    (site,) = sites
    (arg,) = site.arguments
    assert arg.text == "order"
    assert arg.span == Span(7, 18, 7, 23)
    assert arg.evidence == "`order` is bound from `Order.objects.get(...)` on line 6"


@pytest.mark.parametrize("terminal", ["get", "create", "first", "last", "latest", "earliest"])
def test_query_terminals_through_a_chain(terminal: str) -> None:
    found = flagged(f"""
        def view(request, pk):
            obj = Order.objects.filter(event=pk).select_related("event").{terminal}()
            notify.delay(obj)
    """)
    assert f"`Order.objects.filter(...).select_related(...).{terminal}()`" in found["obj"]


def test_default_manager_and_async_terminals() -> None:
    found = flagged("""
        async def view(request, pk):
            order = await Order._default_manager.aget(pk=pk)
            notify.delay(order)
    """)
    assert "Order._default_manager.aget(...)" in found["order"]


def test_get_or_create_first_element_and_index_zero() -> None:
    found = flagged("""
        def view(request, code):
            order, created = Order.objects.get_or_create(code=code)
            notify.delay(order, created)
            event = Event.objects.update_or_create(slug=code)[0]
            notify.delay(event)
    """)
    assert set(found) == {"order", "event"}
    assert "unpacked from `Order.objects.get_or_create(...)`" in found["order"]


def test_direct_query_expression_as_argument() -> None:
    found = flagged("""
        def view(request, pk):
            notify.delay(Order.objects.get(pk=pk))
    """)
    assert found == {"Order.objects.get(pk=pk)":
                     "`Order.objects.get(...)` returns a model instance"}


def test_get_object_or_404_from_any_import_and_self_get_object() -> None:
    found = flagged("""
        from rest_framework import generics
        from rest_framework.generics import get_object_or_404 as fetch

        def one(request, pk):
            order = get_object_or_404(Order, pk=pk)
            notify.delay(order)

        def two(request, pk):
            event = fetch(Event, pk=pk)
            notify.delay(event)

        class OrderResend(generics.GenericAPIView):
            def post(self, request, *args, **kwargs):
                instance = self.get_object()
                notify.delay(instance)
    """)
    assert set(found) == {"order", "event", "instance"}
    assert "`get_object_or_404(...)`" in found["order"]
    assert "`self.get_object()`" in found["instance"]


def test_form_and_serializer_save() -> None:
    found = flagged("""
        def create(request):
            form = OrderForm(request.POST)
            obj = form.save()
            notify.delay(obj)

        def api(self, request):
            serializer = self.get_serializer(data=request.data)
            created = serializer.save()
            notify.delay(created)
            draft = self.order_form.save(commit=False)
            notify.delay(draft)
    """)
    assert set(found) == {"obj", "created", "draft"}


def test_request_user_direct_and_bound() -> None:
    found = flagged("""
        def view(request):
            notify.delay(request.user)

        class Export(View):
            def post(self, request):
                user = self.request.user
                notify.apply_async(kwargs={"user": user})
    """)
    assert found["request.user"] == "`request.user` is the request's user, a model instance"
    assert found["user"] == "`user` is bound from `self.request.user` on line 10"


def test_loop_variable_over_a_queryset_and_a_queryset_name() -> None:
    found = flagged("""
        def resend(event):
            for order in Order.objects.filter(event=event).iterator():
                notify.delay(order)
            pending = Order.objects.filter(status="p")
            if event.live:
                pending = pending.exclude(code="")
            for item in pending[:100]:
                notify.apply_async(args=[item])
    """)
    assert found["order"] == ("`order` is the loop variable over "
                              "`Order.objects.filter(...).iterator()` on line 6")
    assert found["item"].startswith("`item` is the loop variable over `pending[...]` on line 11")
    assert "`pending` is bound from `Order.objects.filter(...)` on line 8" in found["item"]


def test_comprehension_variable_in_a_group() -> None:
    found = flagged("""
        from celery import group
        def fan_out(event):
            group(notify.s(o) for o in Order.objects.filter(event=event)).apply_async()
    """)
    assert "`o` is the loop variable over `Order.objects.filter(...)`" in found["o"]


def test_closure_passed_to_on_commit_sees_the_enclosing_binding() -> None:
    found = flagged("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            transaction.on_commit(lambda: notify.delay(order))
    """)
    assert "Order.objects.get(...)" in found["order"]


def test_alias_of_an_instance_keeps_the_chain_of_evidence() -> None:
    found = flagged("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            target = order
            notify.delay(target)
    """)
    assert found["target"] == ("`target` is bound from `order` on line 7; "
                               "`order` is bound from `Order.objects.get(...)` on line 6")


def test_every_binding_is_evidence_in_both_branches() -> None:
    found = flagged("""
        def view(request, pk, code):
            if pk:
                order = Order.objects.get(pk=pk)
            else:
                order = Order.objects.get(code=code)
            notify.delay(order)
    """)
    assert "line 9" in found["order"]  # the nearest binding is named


# -- evidence: signals, model methods ---------------------------------------------------


def test_model_signal_receiver_instance() -> None:
    found = flagged("""
        from django.db.models.signals import post_save, post_delete
        from django.dispatch import receiver as on

        @on([post_save, post_delete], sender=Order)
        def order_changed(sender, instance, **kwargs):
            notify.delay(instance)
    """)
    assert found["instance"] == ("`instance` is the model instance sent by "
                                 "`post_save/post_delete` to the receiver `order_changed`")


def test_self_in_a_model_method_including_in_module_inheritance() -> None:
    found = flagged("""
        class Base(models.Model):
            class Meta:
                abstract = True

        class Invoice(Base):
            def send(self):
                notify.delay(self)
    """)
    assert found["self"] == "`self` is an instance of the Django model `Invoice`"


# -- evidence: SQLAlchemy ---------------------------------------------------------------


def test_sqlalchemy_session_get_and_query_terminal() -> None:
    found = flagged("""
        from superset.extensions import db
        from superset.models.dashboard import Dashboard

        def refresh(dashboard_id, session):
            dashboard = db.session.query(Dashboard).filter_by(id=dashboard_id).one_or_none()
            notify.delay(dashboard)
            other = session.get(Dashboard, dashboard_id)
            notify.delay(other)
    """)
    assert set(found) == {"dashboard", "other"}
    assert "db.session.query(...).filter_by(...).one_or_none()" in found["dashboard"]


# -- which arguments are task arguments -------------------------------------------------


def test_apply_async_options_are_not_arguments() -> None:
    sites = scan("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            notify.apply_async((order.pk,), {"when": order.date}, headers={"o": order})
            notify.apply_async(args=(1,), kwargs={"order": order}, countdown=10)
    """)
    assert sites[0].arguments == ()
    assert [a.text for a in sites[1].arguments] == ["order"]


def test_send_task_and_signature_argument_positions() -> None:
    sites = scan("""
        from celery import current_app as app
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            app.send_task("proj.tasks.notify", (order,))
            app.send_task("proj.tasks.notify", kwargs={"order": order})
            app.signature("proj.tasks.notify", (order,))
            notify.signature((order,), {"o": order})
            notify.signature(args=[order])
            notify.signature(some_args)
    """)
    assert [len(site.arguments) for site in sites] == [1, 1, 1, 2, 1, 0]
    assert sites[2].task_name == "proj.tasks.notify"


def test_delay_keyword_arguments_and_starred_ignored() -> None:
    found = flagged("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            notify.delay(*[order], who=order, **extra)
    """)
    assert list(found) == ["order"]


# -- stays silent -----------------------------------------------------------------------


def test_silent_for_key_attributes_literals_and_plain_names() -> None:
    assert flagged("""
        def view(request, pk, event: Event):
            order = Order.objects.get(pk=pk)
            user = request.user
            notify.delay(order.pk, order.id, order.uuid, user.email, request.user.pk)
            notify.delay(42, "code", None, pk, event)
    """) == {}


def test_silent_for_values_list_loops_and_non_instance_querysets() -> None:
    assert flagged("""
        def view(request, event):
            for pk in Order.objects.filter(event=event).values_list("pk", flat=True):
                notify.delay(pk)
            for row in Order.objects.values("pk"):
                notify.delay(row)
            count = Order.objects.filter(event=event).count()
            first = Order.objects.values("pk").first()
            pair = Order.objects.get_or_create(code="x")
            manager_loop = [notify.s(o) for o in Order.objects]
            notify.delay(count, first, pair)
    """) == {}


def test_silent_when_rebound_before_the_call() -> None:
    assert flagged("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            order = order.pk
            notify.delay(order)

        def maybe(request, pk):
            order = None
            if pk:
                order = Order.objects.get(pk=pk)
            notify.delay(order)

        def reassigned_in_loop(pk):
            order = Order.objects.get(pk=pk)
            while order:
                notify.delay(order)
                order = order.parent_id

        def serialized(pk):
            order = Order.objects.get(pk=pk)
            order = serialize(order)
            notify.delay(order)
    """) == {}


def test_silent_for_dataclasses_pydantic_and_unknown_calls() -> None:
    assert flagged("""
        def view(request, pk):
            payload = OrderPayload(pk=pk, total=3)
            model = OrderSchema.model_validate(request.data)
            order = load_order(pk)
            notify.delay(payload, model, order)
    """) == {}


def test_silent_for_form_lookalikes_and_http_sessions() -> None:
    assert flagged("""
        import requests
        def view(platform, formset, session, url, params):
            a = platform.save()
            b = formset.save()
            c = session.get(url, params)
            d = session.get(API_URL, params)
            e = session.query(Dashboard.id).first()
            f = requests.Session().get(url, params)
            notify.delay(a, b, c, d, e, f)
    """) == {}


def test_silent_for_receivers_of_other_signals_and_connected_handlers() -> None:
    assert flagged("""
        from django.contrib.auth.signals import user_logged_in
        from django.db.models.signals import post_save
        from django.dispatch import receiver

        @receiver(user_logged_in)
        def logged_in(sender, request, user, instance=None, **kwargs):
            notify.delay(instance, user)

        def connected(sender, instance, **kwargs):
            notify.delay(instance)
        post_save.connect(connected, sender=Order)

        @receiver(post_save, sender=Order)
        def reassigned(sender, instance, **kwargs):
            instance = instance.pk
            notify.delay(instance)
    """) == {}


def test_silent_for_self_outside_model_methods() -> None:
    assert flagged("""
        from celery import Task

        class Notifier(Task):
            def run(self):
                notify.delay(self)

        class Order2(models.Model):
            @staticmethod
            def make(self):
                notify.delay(self)

            @classmethod
            def build(cls):
                notify.delay(cls)
    """) == {}


def test_silent_across_scopes_shadowing_and_globals() -> None:
    assert flagged("""
        DEFAULT_ORDER = Order.objects.first()

        def one(pk):
            order = Order.objects.get(pk=pk)

        def two(order):
            notify.delay(order)

        def three():
            notify.delay(DEFAULT_ORDER)

        def four(pk):
            order = Order.objects.get(pk=pk)
            def inner(order):
                notify.delay(order)
            return inner

        def five(pk):
            global cached
            cached = Order.objects.get(pk=pk)
            notify.delay(cached)
    """) == {}


def test_silent_for_pretix_style_key_passing() -> None:
    """pretix passes keys in more than a hundred calls; base classes turn them back."""
    assert flagged("""
        from pretix.base.services.tasks import EventTask
        from pretix.celery_app import app

        @app.task(base=EventTask)
        def export(event: Event, user: int, provider: str):
            pass

        def start(request, event):
            order = Order.objects.get(code=request.GET["code"], event=event)
            export.apply_async(args=(event.id, request.user.pk, "csv"))
            notify.apply_async(kwargs={"order": order.pk, "user": request.user.id})
    """) == {}


def test_module_without_task_calls_yields_nothing() -> None:
    assert scan("""
        def view(request, pk):
            order = Order.objects.get(pk=pk)
            order.save()
    """) == []


@pytest.mark.skipif(sys.version_info < (3, 10), reason="match statements need Python 3.10")
def test_silent_when_a_match_capture_rebinds_the_name() -> None:
    assert flagged("""
        def view(request, pk, command):
            order = Order.objects.get(pk=pk)
            other = Order.objects.get(pk=pk)
            match command:
                case {"order": order}:
                    pass
                case [*other]:
                    pass
            notify.delay(order, other)
    """) == {}


# -- CEL401's message and hint: deleted rows, the serializer's consequence (issue 9) ------


def test_delete_receivers_name_their_signal_in_the_evidence() -> None:
    from celerylint.checks.calling.orm_object_argument import is_deleted_instance

    found = flagged("""
        from django.db.models.signals import post_save, pre_delete
        from django.dispatch import receiver

        @receiver([pre_delete, post_save], sender=Order)
        def order_changed(sender, instance, **kwargs):
            notify.delay(instance)
    """)
    assert found["instance"] == ("`instance` is the model instance sent by "
                                 "`pre_delete/post_save` to the receiver `order_changed`")
    assert is_deleted_instance(found["instance"])  # a delete signal first: the old test missed it
    assert is_deleted_instance("`x` is bound from `instance` on line 9; `instance` is the "
                               "model instance sent by `post_save/post_delete` to the "
                               "receiver `r`")
    assert not is_deleted_instance("`instance` is the model instance sent by `post_save` "
                                   "to the receiver `r`")
    assert not is_deleted_instance("`order` is bound from `Order.objects.soft_delete()` "
                                   "on line 3")


def test_the_hint_of_a_deleted_instance_never_asks_to_fetch_it() -> None:
    from celerylint.checks.calling import orm_object_argument as rule

    assert "fetch" in rule._HINT
    assert "cannot be fetched" in rule._DELETED_HINT
    assert "fetch the object" not in rule._DELETED_HINT


@pytest.mark.parametrize(("serializers", "method", "expected"), [
    ({"json"}, "delay", "EncodeError at .delay()"),
    ({"json"}, "apply_async", "EncodeError at .apply_async()"),
    ({"json"}, "s", "EncodeError when sent"),
    ({"yaml"}, "send_task", "yaml: EncodeError at .send_task()"),
    ({"json", "msgpack"}, "delay", "json/msgpack: EncodeError at .delay()"),
    ({"pickle"}, "delay", "pickle: the worker gets a stale copy"),
    ({"pickle", "json"}, "delay", "EncodeError, or a stale copy if pickled"),
    ({"signed-pickle"}, "delay", "EncodeError, or a stale copy if pickled"),
    (None, "delay", "EncodeError, or a stale copy if pickled"),
])
def test_the_consequence_follows_the_serializer(serializers: set[str] | None, method: str,
                                                expected: str) -> None:
    from celerylint.checks.calling.orm_object_argument import consequence

    assert consequence(serializers, method) == expected


def test_the_message_fits_with_a_long_first_clause() -> None:
    from celerylint.checks.calling.orm_object_argument import _message

    message = _message("proj.tasks." + "x" * 60, "EncodeError at .delay()", "`a` " * 60)
    assert len(message) == 160 and message.endswith("…")
