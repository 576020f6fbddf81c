"""Pages that gather from every app."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.shortcuts import render

from salesdesk.analytics.today import today_page


@login_required
def home(request):
    """The Today page: what each app has for the user today."""
    return render(request, "analytics/home.html", today_page(request.user, dt.date.today()))
