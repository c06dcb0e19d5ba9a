"""CEL501 body events: increments that a retry or redelivery would repeat.

Every "stays silent" case is a pattern from real code: local counters, concatenations,
statsd counters handled by receiver origin, and deliberate rate windows (pretix
``rc.incr(key); rc.expire(key, 300)``).
"""

from __future__ import annotations

import ast
import textwrap

import pytest

from celerylint.facts.imports import collect_imports
from celerylint.facts.increments import function_events, may_increment
from celerylint.facts.schema import BodyEvent
from celerylint.findings import Span
from celerylint.parsing.source import SourceFile

HEADER = """\
import redis
from celery import shared_task
from django.core.cache import cache, caches
from django.db.models import F
from django_redis import get_redis_connection
from proj.models import Article, User
"""


def events(code: str, function: str = "", module: str = "proj.tasks") -> list[BodyEvent]:
    """Increment events of the first top-level function (or the one named `function`);
    the ``call`` events CEL501 follows into helpers are tested with `calls`.

    The snippet's first line is file line 7.
    """
    text = HEADER + textwrap.dedent(code).lstrip("\n")
    tree = ast.parse(text)
    source = SourceFile("proj/tasks.py", text)
    imports = collect_imports(tree, module, False)
    functions = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    for node in functions:
        if not function or node.name == function:
            return function_events(node, source, imports)
    raise AssertionError("no such function")


def kinds(code: str) -> list[str]:
    return [event.kind for event in events(code)]


# -- attr-increment ----------------------------------------------------------------------


def test_attribute_increment_followed_by_save() -> None:
    (event,) = events("""
        @shared_task
        def mark_read(user_id):
            user = User.objects.get(pk=user_id)
            user.unread -= 1
            user.save(update_fields=["unread"])
    """)
    assert event.kind == "attr-increment"
    assert event.span == Span(10, 5, 10, 21)
    assert event.description == "`user.unread -= 1` followed by `user.save(...)` on line 11"
    assert event.receiver == ""


@pytest.mark.parametrize("statement", [
    "article.views += 1",
    "article.views = article.views + 1",
    "article.views = 1 + article.views",
    "article.views = article.views - step",
    'article.views = F("views") + 1',
    'article.views = 1 + F("views")',
    "article.views += timedelta(days=14)",
])
def test_increment_shapes(statement: str) -> None:
    found = events(f"""
        def bump(pk, step):
            article = Article.objects.get(pk=pk)
            {statement}
            article.save()
    """)
    assert [e.kind for e in found] == ["attr-increment"]
    assert found[0].description.startswith(f"`{statement}` followed by `article.save()`")


def test_save_later_in_a_nested_block_and_async_save_count() -> None:
    assert kinds("""
        async def bump(pk):
            article = await Article.objects.aget(pk=pk)
            article.views += 1
            if article.views > 10:
                article.popular = True
            try:
                await article.asave()
            except Exception:
                pass
    """) == ["attr-increment"]


def test_helper_doing_the_weblate_unread_pattern() -> None:
    """The real risk often sits one call away, in a helper (TRAPS, CEL501)."""
    assert kinds("""
        def notify_user(user):
            user.unread = F("unread") + 1
            user.save()
    """) == ["attr-increment"]


def test_self_increment_in_a_model_method_followed_by_self_save() -> None:
    assert kinds("""
        def register_failure(self):
            self.failures += 1
            self.save(update_fields=["failures", "modified"])
    """) == ["attr-increment"]


def test_one_event_per_increment_statement() -> None:
    found = events("""
        def import_profile(profile, data):
            profile.translated += data["translated"]
            profile.suggested += data["suggested"]
            profile.save()
    """)
    assert [e.span.row for e in found] == [8, 9]


# -- update-increment --------------------------------------------------------------------


def test_update_with_f_increment() -> None:
    (event,) = events("""
        def redeem(voucher_id):
            Article.objects.filter(pk=voucher_id).update(redeemed=F("redeemed") + 1, x=2)
    """)
    assert event.kind == "update-increment"
    assert event.span == Span(8, 5, 8, 82)
    assert event.description == (
        '`Article.objects.filter(pk=voucher_id).update(redeemed=F("redeemed") + 1)`')


@pytest.mark.parametrize("value", ['F("n") - 1', '1 + F("n")', 'models.F("n") + step',
                                   'expressions.F("n") + 1'])
def test_update_shapes_and_f_origins(value: str) -> None:
    found = events(f"""
        from django.db import models
        from django.db.models import expressions
        def shift(qs, step):
            qs.filter(position__gt=3).update(n={value})
    """)
    assert [e.kind for e in found] == ["update-increment"]


# -- incr ----------------------------------------------------------------------------------


def test_django_cache_incr_receivers() -> None:
    found = events("""
        def count(key):
            cache.incr(key)
            caches["default"].decr(key, 2)
    """)
    assert [(e.kind, e.receiver) for e in found] == [
        ("incr", "django.core.cache.cache"), ("incr", "django.core.cache.caches[]")]
    assert found[0].description == "`cache.incr(key)`"


@pytest.mark.parametrize("method", ["incr", "decr", "incrby", "decrby", "hincrby",
                                    "hincrbyfloat", "incrbyfloat", "zincrby"])
def test_redis_counter_methods(method: str) -> None:
    found = events(f"""
        def count(key):
            rc = get_redis_connection("default")
            rc.{method}(key, 1)
    """)
    assert [(e.kind, e.receiver) for e in found] == [
        ("incr", "call:django_redis.get_redis_connection")]


def test_receiver_origins_of_clients() -> None:
    found = events("""
        client = redis.Redis()

        def count(key, url):
            r = redis.Redis.from_url(url)
            r.incr(key)
            p = r.pipeline()
            p.incr(key)
            with r.pipeline() as pipe:
                pipe.hincrby("h", key)
            client.incr(key)
            redis.StrictRedis().incr(key)
    """)
    assert [e.receiver for e in found] == [
        "call:redis.Redis.from_url", "call:redis.Redis.from_url",
        "call:redis.Redis.from_url", "proj.tasks.client", "call:redis.StrictRedis"]


def test_statsd_counters_keep_a_receiver_the_model_can_recognise() -> None:
    """statsd is not state: the project model drops these by their receiver's origin."""
    found = events("""
        from statsd import StatsClient
        stats = StatsClient()

        def count():
            stats.incr("reports.scheduler")
    """, module="superset.tasks.scheduler")
    assert [e.receiver for e in found] == ["superset.tasks.scheduler.stats"]


def test_unknown_receivers_are_empty() -> None:
    found = events("""
        def count(cache, key, pool):
            cache.incr(key)
            local = pool
            local.incr(key)
            self_like = Thing()
            self_like.counter.incr(key)
            either = redis.Redis() if key else get_redis_connection()
            either.incr(key)
    """)
    assert [e.receiver for e in found] == ["", "", "", ""]


def test_global_declaration_reads_the_module_variable() -> None:
    found = events("""
        client = None

        def count(key):
            global client
            client = client or redis.Redis()
            client.incr(key)
    """)
    assert [e.receiver for e in found] == ["proj.tasks.client"]


# -- stays silent --------------------------------------------------------------------------


def test_silent_for_local_counters_and_dict_subscripts() -> None:
    assert events("""
        def tally(rows):
            i = 0
            seen = {}
            for row in rows:
                i += 1
                seen[row.key] += 1
                seen[row.key] = seen[row.key] + 1
            return i
    """) == []


NOT_PERSISTED = """
    def no_save(article):
        article.views += 1

    def save_before(article):
        article.save()
        article.views += 1

    def other_object(article, other):
        article.views += 1
        other.save()

    def other_fields(article):
        article.views += 1
        article.save(update_fields=["title"])

    def deep_owner(task):
        task.article.views += 1
        task.article.save()

    def not_a_step(article, other):
        article.views = other.views + 1
        article.views = F("likes") + 1
        article.views = F("views") * 2
        article.views = 10 - article.views
        article.save()
"""


@pytest.mark.parametrize("function", ["no_save", "save_before", "other_object",
                                      "other_fields", "deep_owner", "not_a_step"])
def test_silent_without_a_later_save_of_the_same_field(function: str) -> None:
    assert events(NOT_PERSISTED, function=function) == []


def test_silent_for_concatenation() -> None:
    assert events("""
        from django.utils.translation import pgettext
        def annotate(invoice, ia, tags, n):
            invoice.invoice_to += "\\n" + pgettext("invoice", "VAT-ID: %s") % ia.vat_id
            invoice.additional_text += "<br />".join(tags)
            invoice.code = invoice.code + str(n).zfill(4)
            invoice.note += f"sent {n}"
            invoice.tags += [n]
            invoice.save()
    """) == []


def test_silent_for_updates_that_are_not_increments() -> None:
    assert events("""
        def update(qs, data):
            qs.update(n=F("other") + 1)
            qs.update(n=F("n"))
            qs.update(n=1, m=F("n") * 2)
            data.update(n=2)
    """) == []


def test_silent_for_rate_windows() -> None:
    assert events("""
        def windows(key, backend):
            rc = get_redis_connection("redis")
            cnt = rc.incr(key)
            rc.expire(key, 300)
            p = rc.pipeline()
            p.set(key + "x", 0, nx=True, ex=60)
            p.incr(key + "x")
            cache.add("hits", 0, 60)
            cache.incr("hits")
            cache.set(key="other", value=0, timeout=30)
            cache.incr(key="other")
            rc.setex("tmp", 10, 0)
            rc.incrby("tmp", 5)
    """) == []


def test_a_window_on_another_key_or_without_timeout_is_not_a_window() -> None:
    found = events("""
        def paypal_cycle(key):
            rc = get_redis_connection("redis")
            rc.incr(key)
            rc.expire("other", 300)
            try:
                cache.incr("pretix_paypal_token_hash_cycle")
            except ValueError:
                cache.set("pretix_paypal_token_hash_cycle", 1, None)
    """)
    assert [e.span.row for e in found] == [9, 12]


def test_nested_functions_lambdas_and_classes_are_not_this_body() -> None:
    assert events("""
        def outer(article, key):
            def inner():
                cache.incr(key)
                article.views += 1
                article.save()
            callback = lambda: cache.incr(key)
            class Local:
                def run(self):
                    Article.objects.update(views=F("views") + 1)
            return inner, callback, Local
    """) == []


def test_events_are_sorted_by_position() -> None:
    found = events("""
        def mixed(article, key):
            cache.incr(key)
            article.views += 1
            Article.objects.update(views=F("views") + 1)
            article.save()
    """)
    assert [e.kind for e in found] == ["incr", "attr-increment", "update-increment"]


def test_extract_records_events_of_the_top_level_function_only() -> None:
    from celerylint.facts.extract import extract

    text = HEADER + textwrap.dedent("""
        @shared_task
        def count(key):
            cache.incr(key)
            def nested():
                cache.decr(key)
            return nested
    """)
    facts = extract(SourceFile("proj/tasks.py", text), ast.parse(text), "proj.tasks", False)
    (function,) = facts.functions
    assert [e.description for e in function.events] == ["`cache.incr(key)`"]
    assert [origin for origin, _ in function.calls] == ["django.core.cache.cache.incr"]


# -- bulk_update saves the objects it is given (issue 9) -----------------------------------


def test_bulk_update_of_the_loop_list_saves_the_increment() -> None:
    (event,) = events("""
        def count_views(ids):
            products = list(Article.objects.filter(pk__in=ids))
            for product in products:
                product.views += 1
            Article.objects.bulk_update(products, ["views"])
    """)
    assert event.kind == "attr-increment"
    assert event.span.row == 10
    assert event.description == ("`product.views += 1` followed by "
                                 "`Article.objects.bulk_update(...)` on line 11")


def test_bulk_update_of_a_list_the_object_is_appended_to() -> None:
    assert kinds("""
        def promote(ids):
            changed = []
            for entry in Article.objects.filter(pk__in=ids):
                entry.rank = entry.rank + 1
                changed.append(entry)
            Article.objects.bulk_update(changed, fields=["rank", "modified"])
    """) == ["attr-increment"]


@pytest.mark.parametrize("shape", [
    "Article.objects.bulk_update([article], ('views', 'modified'))",
    "await Article.objects.abulk_update([article], ['views'])",
])
def test_bulk_update_shapes_holding_the_object(shape: str) -> None:
    assert kinds(f"""
        async def bump(article):
            changed = []
            article.views = article.views + 1
            {shape}
    """) == ["attr-increment"]


@pytest.mark.parametrize("shape", [
    "Article.objects.bulk_update([article], ['modified'])",  # the field is not named
    "Article.objects.bulk_update([article], FIELDS)",  # not a literal list
    "Article.objects.bulk_update(others, ['views'])",  # other objects
    "Article.objects.bulk_create([article])",
])
def test_silent_for_bulk_updates_that_do_not_save_the_field(shape: str) -> None:
    assert kinds(f"""
        def bump(article, others):
            article.views += 1
            {shape}
    """) == []


def test_bulk_update_before_the_increment_saves_nothing() -> None:
    assert kinds("""
        def bump(articles):
            Article.objects.bulk_update(articles, ["views"])
            for article in articles:
                article.views += 1
    """) == []


def test_prefilter_texts_know_bulk_update() -> None:
    assert may_increment(b"Model.objects.bulk_update(objs, ['n'])")
    assert may_increment(b"await Model.objects.abulk_update(objs, ['n'])")
    assert not may_increment(b"def f(x):\n    return helper(x)\n")


# -- direct calls: what CEL501 follows from a helper into the next ----------------------


def calls(code: str) -> set[str]:
    """The direct calls extraction records for the first function of `code`."""
    from celerylint.facts.extract import extract

    text = HEADER + textwrap.dedent(code).lstrip("\n")
    facts = extract(SourceFile("proj/services.py", text), ast.parse(text), "proj.services",
                    False)
    return {origin for origin, _ in facts.functions[0].calls}


def test_plain_helpers_record_calls_of_imported_and_module_level_names() -> None:
    assert calls("""
        from proj.badges import notify_user

        def record_delivery(message, user):
            message.mark_delivered()
            notify_user(user)
            _local(user)
            Article.objects.filter(pk=1).update(seen=True)

        def _local(user):
            pass
    """) >= {"proj.badges.notify_user", "proj.services._local"}


def test_decorated_functions_record_their_calls_too() -> None:
    assert calls("""
        @shared_task
        def task(user):
            notify(user)

        def notify(user):
            pass
    """) == {"proj.services.notify"}


def test_the_text_test_looks_only_for_increments() -> None:
    assert not may_increment(b"def deliver(message):\n    record_delivery(message)\n")
    assert not may_increment(b"def constant():\n    return 1\n")
    assert may_increment(b"def bump(x):\n    x.n = F('n') + 1\n")
