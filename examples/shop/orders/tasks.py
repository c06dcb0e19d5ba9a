from celery import shared_task
from django.core.mail import send_mail
from django.db.models import F

from .models import Order, Product


@shared_task(time_limit=60)
def send_receipt(order_id):
    order = Order.objects.get(pk=order_id)
    send_mail("Your receipt", f"Total: {order.total}", "shop@example.com", [order.email])


@shared_task(autoretry_for=(ConnectionError,), max_retries=5)
def send_reminder(order_id):
    order = Order.objects.get(pk=order_id)
    send_mail("Still there?", "Your cart misses you.", "shop@example.com", [order.email])
    order.reminders_sent += 1
    order.save(update_fields=["reminders_sent"])


@shared_task(time_limit=300)
def count_product(product_id):
    Product.objects.filter(pk=product_id).update(times_ordered=F("times_ordered") + 1)
