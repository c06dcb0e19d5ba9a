from django.shortcuts import get_object_or_404, redirect

from .models import Order
from .tasks import send_receipt, send_reminder


def checkout_done(request, order_id):
    order = get_object_or_404(Order, pk=order_id)
    send_receipt.delay(order.pk)
    send_reminder.apply_async(args=[order], countdown=3600)
    return redirect("home")
