from django.urls import path

from . import views

app_name = "reports"

urlpatterns = [
    path("", views.index, name="index"),
    path("vip/", views.report_page, {"slug": "vip"}, name="vip"),
    path("at-risk/", views.report_page, {"slug": "at-risk"}, name="at_risk"),
    path("birthdays/", views.report_page, {"slug": "birthdays"}, name="birthdays"),
    path("top-spenders/", views.report_page, {"slug": "top-spenders"}, name="top_spenders"),
    path("developed/", views.report_page, {"slug": "developed"}, name="developed"),
    path("complaints/", views.report_page, {"slug": "complaints"}, name="complaints"),
    path("meal-weekday/", views.report_page, {"slug": "meal-weekday"}, name="meal_weekday"),
    path("spend-by-tier/", views.report_page, {"slug": "spend-by-tier"}, name="spend_by_tier"),
    path("booking-sources/", views.report_page, {"slug": "booking-sources"}, name="booking_sources"),
    path("booking-outcomes/", views.report_page, {"slug": "booking-outcomes"}, name="booking_outcomes"),
    path("room-utilisation/", views.report_page, {"slug": "room-utilisation"}, name="room_utilisation"),
    path("booked-walk-in-covers/", views.report_page, {"slug": "booked-walk-in-covers"}, name="booked_walk_in_covers"),
]
