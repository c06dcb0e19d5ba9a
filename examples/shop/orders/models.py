from django.db import models


class Order(models.Model):
    email = models.EmailField()
    total = models.DecimalField(max_digits=10, decimal_places=2)
    reminders_sent = models.IntegerField(default=0)


class Product(models.Model):
    name = models.CharField(max_length=200)
    times_ordered = models.IntegerField(default=0)
