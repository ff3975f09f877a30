from django.urls import path

from . import privacy_views, views

app_name = "guests"

urlpatterns = [
    path("", views.lookup, name="lookup"),
    path("guests/new/", views.create, name="create"),
    path("guests/quick-add/", views.quick_add, name="quick_add"),
    path("guests/<int:pk>/", views.profile, name="profile"),
    path("guests/<int:pk>/edit/", views.edit, name="edit"),
    path("guests/<int:pk>/history/", views.history, name="history"),
    path("guests/<int:pk>/merge/", views.merge, name="merge"),
    path("guests/<int:pk>/anonymise/", views.anonymise, name="anonymise"),
    path("guests/<int:pk>/card.xlsx", views.card_download, name="card_download"),
    path("guests/<int:pk>/consent/withdraw/", privacy_views.consent_withdraw, name="consent_withdraw"),
    path("guests/<int:pk>/data.xlsx", privacy_views.data_download, name="data_download"),
    path("cards/template.xlsx", views.card_template, name="card_template"),
    path("cards/export/", views.cards_download, name="cards_export"),
    path("cards/register.xlsx", views.register_download, name="register_export"),
    path("cards/import/", views.card_import, name="card_import"),
    path("cards/import/<int:pk>/", views.card_transfer, name="card_transfer"),
    path("cards/import/<int:pk>/progress/", views.card_transfer_progress, name="card_transfer_progress"),
    path("cards/import/<int:pk>/confirm/", views.card_transfer_confirm, name="card_transfer_confirm"),
    path("cards/import/<int:pk>/retry/", views.card_transfer_retry, name="card_transfer_retry"),
]
