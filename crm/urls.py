from django.conf import settings
from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.urls import include, path
from django.views.i18n import set_language
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from bookings.api import CallerLookup
from bookings.booking_api import Availability, BookingCancel, BookingDetail, BookingList
from calls.api import CallCreate
from guests.api import GuestDetail, GuestList
from visits.api import BillAdjustment, VisitFromBill

from . import health

admin.site.site_header = settings.ADMIN_SITE_HEADER
admin.site.site_title = settings.ADMIN_SITE_HEADER

API_V1 = [
    path("lookup", login_not_required(CallerLookup.as_view()), name="lookup"),
    path("calls", login_not_required(CallCreate.as_view()), name="calls"),
    path("visits", login_not_required(VisitFromBill.as_view()), name="visits"),
    path("visits/adjustments", login_not_required(BillAdjustment.as_view()), name="visit_adjustments"),
    path("guests", login_not_required(GuestList.as_view()), name="guests"),
    path("guests/<str:card_no>", login_not_required(GuestDetail.as_view()), name="guest"),
    path("bookings/availability", login_not_required(Availability.as_view()), name="availability"),
    path("bookings", login_not_required(BookingList.as_view()), name="bookings"),
    path("bookings/<int:pk>", login_not_required(BookingDetail.as_view()), name="booking"),
    path("bookings/<int:pk>/cancel", login_not_required(BookingCancel.as_view()), name="booking_cancel"),
]

urlpatterns = [
    path("accounts/login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("accounts/password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    # The login page has a language switcher, so switching must work before login.
    path("i18n/setlang/", login_not_required(set_language), name="set_language"),
    path("health/", health.health, name="health"),
    path("admin/", admin.site.urls),
    path("", include("guests.urls")),
    path("", include("visits.urls")),
    path("", include("followups.urls")),
    path("review/", include("reports.review.urls")),
    path("reports/", include("reports.urls")),
    path("service/", include("bookings.sheet_urls")),
    path("bookings/", include("bookings.urls")),
    path("", include("calls.urls")),
    path("staff/", include("staff.urls")),
    # The API: machines send their key, never a session; the schema and its docs describe it to anyone.
    path("api/v1/", include((API_V1, "api"))),
    path("api/schema/", login_not_required(SpectacularAPIView.as_view()), name="api_schema"),
    path("api/docs/", login_not_required(SpectacularSwaggerSplitView.as_view(url_name="api_schema")), name="api_docs"),
]
